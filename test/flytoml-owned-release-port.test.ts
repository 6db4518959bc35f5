/**
 * [deploy] release_command and [env] PORT are owned keys of fly.toml: merged three ways like the
 * others, while the rest of [deploy] and [env] (and a PORT or release_command the tool never wrote)
 * stays the user's.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { mergeFlyToml } from '../src/flytoml.js';

const LAUNCH = `# fly.toml app configuration file generated for acme on 2024-05-01T10:00:00Z

app = 'acme'
primary_region = 'ams'

[build]

[http_service]
  internal_port = 8080
  force_https = true
  auto_stop_machines = 'stop'
  processes = ['web']

[[vm]]
  memory = '1gb'
`;

function ours(options: { release?: string; port?: string } = {}): string {
  let text = `# generated
app = "acme"
kill_signal = "SIGINT"
kill_timeout = 5

[build]
  dockerfile = "Dockerfile"
`;
  if (options.release)
    text += `\n# Runs once before each deploy.\n[deploy]\n  release_command = "${options.release}"\n`;
  if (options.port) text += `\n# PORT for the process that reads it.\n[env]\n  PORT = "${options.port}"\n`;
  text += `\n[processes]\n  web = "bin/web"\n\n[http_service]\n  internal_port = 8080\n  force_https = true\n  auto_stop_machines = "stop"\n  processes = ["web"]\n`;
  return text;
}

const doc = (text: string) => parse(text) as Record<string, any>;

describe('fly.toml merge: [deploy] release_command and [env] PORT', () => {
  it('adds both to a file fly launch wrote, keeping every line of the user', () => {
    const our = ours({ release: 'bin/rails db:migrate', port: '8080' });
    const merged = mergeFlyToml(LAUNCH, our, undefined);
    expect(merged.error).toBeUndefined();
    const d = doc(merged.content);
    expect(d.deploy).toEqual({ release_command: 'bin/rails db:migrate' });
    expect(d.env).toEqual({ PORT: '8080' });
    expect(d.vm).toEqual([{ memory: '1gb' }]);
    // New tables come as our template writes them, comment included.
    expect(merged.content).toContain(
      '# Runs once before each deploy.\n[deploy]\n  release_command = "bin/rails db:migrate"\n',
    );
    expect(merged.content).toContain('# PORT for the process that reads it.\n[env]\n  PORT = "8080"\n');
    for (const line of LAUNCH.split('\n')) expect(merged.content).toContain(line);
    // Stable: merging our output again changes nothing.
    expect(mergeFlyToml(merged.content, our, our)).toMatchObject({ content: merged.content, conflicts: [] });
  });

  it("sets the keys inside the user's own [deploy] and [env], keeping their other keys", () => {
    const theirs = `${LAUNCH}\n[deploy]\n  strategy = 'rolling'\n\n[env]\n  LOG_LEVEL = 'debug'\n`;
    const merged = mergeFlyToml(theirs, ours({ release: 'python manage.py migrate', port: '8000' }), undefined);
    // Without our last output every owned difference is asked about (--force takes ours).
    expect(merged.conflicts.filter((c) => /deploy|env/.test(c))).toEqual([
      `[deploy] release_command: yours (none), this run's "python manage.py migrate"`,
      `[env] PORT: yours (none), this run's "8000"`,
    ]);
    const d = doc(merged.content);
    expect(d.deploy).toEqual({ strategy: 'rolling', release_command: 'python manage.py migrate' });
    expect(d.env).toEqual({ LOG_LEVEL: 'debug', PORT: '8000' });
  });

  it("a PORT or release_command the tool never wrote stays the user's (a one-Machine strategy sets no [env] PORT)", () => {
    const theirs = `${LAUNCH}\n[deploy]\n  release_command = 'bin/migrate'\n\n[env]\n  PORT = '3000'\n`;
    const merged = mergeFlyToml(theirs, ours(), undefined);
    expect(merged.conflicts.filter((c) => /deploy|env/.test(c))).toEqual([]);
    expect(doc(merged.content).deploy).toEqual({ release_command: 'bin/migrate' });
    expect(doc(merged.content).env).toEqual({ PORT: '3000' });
  });

  it('a different release_command without a known last output is a conflict; with one, our change is taken and theirs kept', () => {
    const theirs = `${LAUNCH}\n[deploy]\n  release_command = 'bin/migrate'   # keep\n`;
    expect(
      mergeFlyToml(theirs, ours({ release: 'bin/rails db:migrate' }), undefined).conflicts.filter((c) =>
        /deploy|env/.test(c),
      ),
    ).toEqual([`[deploy] release_command: yours "bin/migrate", this run's "bin/rails db:migrate"`]);
    // We wrote bin/migrate last time, now bin/rails db:migrate: ours, with the user's comment kept.
    const base = ours({ release: 'bin/migrate' });
    const merged = mergeFlyToml(theirs, ours({ release: 'bin/rails db:migrate' }), base);
    expect(merged.conflicts.filter((c) => /deploy|env/.test(c))).toEqual([]);
    expect(merged.content).toContain(`release_command = "bin/rails db:migrate"   # keep`);
  });

  it('a release_command we wrote and no longer write goes; the rest of [deploy] stays', () => {
    const base = ours({ release: 'bin/migrate', port: '8080' });
    const theirs = base.replace('[deploy]\n', "[deploy]\n  strategy = 'bluegreen'\n");
    const merged = mergeFlyToml(theirs, ours(), base);
    expect(merged.conflicts).toEqual([]);
    const d = doc(merged.content);
    expect(d.deploy).toEqual({ strategy: 'bluegreen' });
    // [env] held only our PORT: the key goes (the emptied table header stays; flyctl reads it as no variables).
    expect(d.env ?? {}).toEqual({});
    expect(merged.content).not.toContain('PORT =');
  });
});
