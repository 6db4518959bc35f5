import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { CASES, renderCase } from './cases.js';
import { STRATEGIES } from '../src/strategies/index.js';
import { lintDockerfile } from './dockerfile-lint.js';
import { cleanupTemps, requireTool, tempDir } from './helpers.js';

afterAll(cleanupTemps);

type Toml = Record<string, any>;

describe.each(Object.keys(CASES))('generated files: %s', (name) => {
  const { plan, files } = renderCase(name);
  const dir = tempDir(`cfm-gen-${name}-`);
  for (const f of files) writeFileSync(path.join(dir, f.path), f.content, { mode: f.executable ? 0o755 : 0o644 });
  const scripts = files.filter((f) => f.path.endsWith('.sh'));

  it('scripts start with #!/usr/bin/env bash, are executable and pass bash -n', () => {
    expect(scripts.length).toBeGreaterThan(0);
    for (const f of scripts) {
      expect(f.content.startsWith('#!/usr/bin/env bash\n'), f.path).toBe(true);
      expect(f.executable, f.path).toBe(true);
      expect(spawnSync('bash', ['-n', path.join(dir, f.path)]).status, f.path).toBe(0);
    }
  });

  it('scripts pass shellcheck', () => {
    if (!requireTool('shellcheck', 'shellcheck')) return;
    const result = spawnSync('shellcheck', ['--format=gcc', ...scripts.map((f) => path.join(dir, f.path))], {
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('every entrypoint execs its arguments', () => {
    const entry = files.find((f) => f.path === 'entrypoint.sh')!;
    expect(entry.content).toMatch(/if \[ "\$#" -gt 0 \]; then\n\s+exec "\$@"\nfi|exec "\$@"\n$/);
    const out = execFileSync(path.join(dir, 'entrypoint.sh'), ['sh', '-c', 'echo "ran: $0 $1"', 'x', 'y z'], {
      encoding: 'utf8',
    });
    expect(out).toBe('ran: x y z\n');
  });

  it("fly.toml (or each app's fly.NAME.toml) parses and agrees with the plan", () => {
    const strategy = STRATEGIES[plan.strategy];
    // One fly.toml for every process, or (apps) one config per process, each its own app.
    const configs = strategy.flyToml
      ? [{ file: 'fly.toml', app: plan.app, processes: plan.processes }]
      : strategy
          .files(plan)
          .flatMap((f) => (f.current ? [{ file: f.path, app: f.current.app, processes: [f.current.process] }] : []));
    expect(configs.length).toBeGreaterThan(0);
    for (const config of configs) {
      const toml = parse(files.find((f) => f.path === config.file)!.content) as Toml;
      expect(toml.app).toBe(config.app);
      expect(toml.primary_region).toBe(plan.region);
      expect(toml.kill_signal).toBe(plan.killSignal);
      expect(toml.kill_timeout).toBe(plan.killTimeout);
      const groups = strategy.processGroups || !strategy.flyToml;
      if (groups) {
        expect(Object.keys(toml.processes)).toEqual(config.processes.map((p) => p.name));
      } else {
        expect(toml.processes).toBeUndefined();
      }
      const http = config.processes.find((p) => p.name === plan.http);
      expect(toml.http_service?.internal_port).toBe(http?.port);
      const services = (toml.services ?? []) as Toml[];
      expect(services.map((s) => s.internal_port)).toEqual(
        config.processes.filter((p) => p.port !== undefined && p !== http).map((p) => p.port),
      );
      // Every `processes` filter names a group that exists (a missing one makes the config invalid).
      for (const s of [toml.http_service, ...services].filter(Boolean)) {
        if (groups) expect(s.processes.every((n: string) => n in toml.processes)).toBe(true);
        else expect(s.processes).toBeUndefined();
      }
    }
  });

  it('Dockerfile follows the lint rules (test/dockerfile-lint.ts; its own tests show each rule can fail)', () => {
    expect(lintDockerfile(files.find((f) => f.path === 'Dockerfile')!.content)).toEqual([]);
  });
});
