/**
 * Rails' bin/docker-entrypoint prepares the database only for one spelling of the server command
 * (src/dockerfile/rails-prepare.ts reads the condition). Fly passes each [processes] command to the
 * ENTRYPOINT as written, so `bin/rails server` or `bundle exec puma` skip it; without a
 * release_command the database is then never migrated on deploy.
 */
import { findPrepareGate, opens, describeGate } from '../dockerfile/rails-prepare.js';
import type { FlyFacts } from './fly-toml.js';
import type { ScriptFacts } from './script.js';
import { runInstructions, resolveImagePath, type Dockerfile, type Setup } from './setup.js';
import type { Reporter } from './types.js';
import { shlexSplit } from './util.js';

export function checkRailsGate(
  setup: Setup,
  d: Dockerfile,
  fly: FlyFacts,
  scripts: ScriptFacts[],
  out: Reporter,
): void {
  if (fly.releaseCommand !== undefined) return;
  const exec = runInstructions(d).entrypoint?.exec;
  if (!exec) return;
  const at = exec.findIndex((w) => scripts.some((s) => resolveImagePath(setup, w) === s.file.path));
  if (at < 0) return;
  const script = scripts.find((s) => resolveImagePath(setup, exec[at]!) === s.file.path)!;
  const gate = findPrepareGate(script.file.path, script.file.text);
  if (!gate) return;
  const fixed = exec.slice(at + 1);
  // What the script receives: each group's command (the CMD when there is no [processes]).
  const received: { group: string; args: string[] }[] = [];
  if (fly.hasProcesses) {
    for (const [group, command] of fly.commands) {
      const split = shlexSplit(command);
      if ('words' in split) received.push({ group, args: [...fixed, ...split.words] });
    }
  } else {
    const cmd = runInstructions(d).cmd;
    received.push({ group: 'app', args: [...fixed, ...(cmd?.exec ?? cmd?.args ?? [])] });
  }
  if (!received.length || received.some((r) => opens(gate, r.args))) return;
  const wants = describeGate(gate);
  out.report(
    'consistency/rails-prepare-skipped',
    script.file.path,
    gate.line,
    `runs ${gate.task} only when its arguments ${wants.words}, but ${received.map((r) => `${r.group} passes ${JSON.stringify(r.args)}`).join('; ')}, and fly.toml has no release_command`,
    {
      fix: `Add release_command = "./bin/rails ${gate.task}" under [deploy] in fly.toml (it runs once per deploy, before the new Machines start), or spell the web group's command \`${wants.command}\`.`,
    },
  );
}
