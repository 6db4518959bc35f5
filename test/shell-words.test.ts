/**
 * How a command that needs a shell is run: `sh -c '...'` with `exec` in front of the program, so
 * that the program (not sh) is the process that receives the stop signal. Checked with the real
 * /bin/sh (dash on Debian): the program must have the PID sh started with.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shellArgv, splitWords, type SplitResult } from '../src/shell-words.js';
import { parseProcfile } from '../src/import.js';

function split(command: string): SplitResult {
  const s = splitWords(command);
  if ('error' in s) throw new Error(s.error);
  return s;
}

describe('shellArgv', () => {
  it.each([
    ['REMAP_SIGTERM=SIGQUIT celery -A app worker', 'REMAP_SIGTERM=SIGQUIT exec celery -A app worker'],
    ['PORT=3000 bundle exec puma -C config/puma.rb', 'PORT=3000 exec bundle exec puma -C config/puma.rb'],
    ['A=1 B="x y" bin/run', 'A=1 B="x y" exec bin/run'],
    ['bin/x --rev $(git rev-parse HEAD)', 'exec bin/x --rev $(git rev-parse HEAD)'],
    ['bin/x --n $(( 1 + 2 ))', 'exec bin/x --n $(( 1 + 2 ))'],
    ['gunicorn -b 0.0.0.0:${PORT:-5000} app:app', 'exec gunicorn -b 0.0.0.0:${PORT:-5000} app:app'],
    ['echo `date`', 'exec echo `date`'],
    ['exec bin/start', 'exec bin/start'],
    ['X=1 exec bin/start', 'X=1 exec bin/start'],
  ])('%s -> sh -c %s', (command, script) => {
    expect(shellArgv(command, split(command))).toEqual(['sh', '-c', script]);
  });

  it.each([
    ['a | b', 'a pipeline (`|`)'],
    ['tail -f log | grep x', 'a pipeline (`|`)'],
    ['a || b', 'an `||` list'],
    ['bin/worker & bin/web', 'backgrounding (`&`)'],
    ['bin/web &> log', 'backgrounding (`&>` is `&` then `>` in sh)'],
    ['(cd x; y)', 'a subshell (`( )`)'],
    ['if [ -f x ]; then a; else b; fi', 'a compound command (`if`)'],
    ['while true; do a; done', 'a compound command (`while`)'],
    ['{ a; b; }', 'a compound command (`{`)'],
    ['bin/x; exit 0', 'a list that ends with the shell builtin `exit`'],
    ['cat <<EOF', 'a here-document'],
  ])('%s keeps sh as the main process: run as written, without exec (%s)', (command, why) => {
    expect(split(command)).toMatchObject({ compound: true, keepsShell: why });
    expect(split(command).execAt).toBeUndefined();
    expect(shellArgv(command, split(command))).toEqual(['sh', '-c', command]);
  });

  // Lists: the last program is exec'd, so it (not sh) receives kill_signal; the steps before it run as before.
  it.each([
    ['a && b', 'a && exec b'],
    ['a; b', 'a; exec b'],
    ['a; b;', 'a; exec b;'],
    ['cd app && node server.js', 'cd app && exec node server.js'],
    ['NAME=v cmd1 && cmd2', 'NAME=v cmd1 && exec cmd2'],
    ['a && B=1 C="x y" b --n $(c && d)', 'a && B=1 C="x y" exec b --n $(c && d)'],
    ['a && b "x && y" \'p; q\'', 'a && exec b "x && y" \'p; q\''],
    ['a > log', 'exec a > log'],
    ['a && b >> log 2>&1', 'a && exec b >> log 2>&1'],
    ['a && 2>&1 b', 'a && 2>&1 exec b'],
    ['x # note', 'exec x # note'],
    ['a && b # c; d | e', 'a && exec b # c; d | e'],
    ['cd x && exec y', 'cd x && exec y'],
    ['cd x; X=1 exec y', 'cd x; X=1 exec y'],
  ])('%s -> sh -c %s', (command, script) => {
    expect(split(command).compound).toBe(false);
    expect(shellArgv(command, split(command))).toEqual(['sh', '-c', script]);
  });

  it('a `(` inside $(...) is not a subshell, and an unterminated $( is an error', () => {
    expect(split('bin/x $(cat "a)b")').compound).toBe(false);
    expect(splitWords('bin/x $(date')).toEqual({ error: 'has an unterminated `$(`' });
  });

  it("a quoted 'A'=1 is a program name, not an assignment", () => {
    expect(split(`'A=1' bin/x`).execAt).toBe(0);
  });

  // The real shell: the program replaces sh (same PID), and the NAME=value prefix reaches it.
  it.each([
    ['FOO=bar python3 -c "import os; print(os.getpid(), os.environ[\'FOO\'])"', 'bar'],
    ['python3 -c "import os; print(os.getpid(), \'$(echo sub)\')"', 'sub'],
  ])('dash runs %s as the same process', (command, value) => {
    const argv = shellArgv(command, split(command));
    const out = execFileSync(
      '/bin/sh',
      ['-c', `echo $$; exec ${argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`],
      { encoding: 'utf8' },
    );
    const [shellPid, line] = out.trim().split('\n');
    expect(line).toBe(`${shellPid} ${value}`);
  });
});

/**
 * Real Procfiles from public repositories (verbatim, owner/repo@commit:path): lists that run a
 * migration or `cd` first. Each line's last program is exec'd; `||` lines stay as written.
 */
const REAL_PROCFILES: { source: string; text: string; scripts: Record<string, string> }[] = [
  {
    source: 'rejlersabudhabi1-RAD/aiflow_backend@8684c8936af2fc4d3db33b565f231d91ddcf444d:Procfile',
    text: 'web: python manage.py migrate --noinput && python railway_startup.py && gunicorn config.wsgi:application --bind 0.0.0.0:$PORT --workers 3 --timeout 600 --access-logfile - --error-logfile - --log-level info\nworker: celery -A config worker -l info --concurrency=2\nbeat: celery -A config beat -l info\nrelease: python manage.py migrate --noinput && python railway_startup.py\n',
    scripts: {
      web: 'python manage.py migrate --noinput && python railway_startup.py && exec gunicorn config.wsgi:application --bind 0.0.0.0:$PORT --workers 3 --timeout 600 --access-logfile - --error-logfile - --log-level info',
      release: 'python manage.py migrate --noinput && exec python railway_startup.py',
    },
  },
  {
    source: 'uktrade/market-access-api@f98ec663b48ae02c02b34dd58ac5c7921b49530f:Procfile',
    text: 'web: python manage.py collectstatic --noinput && waitress-serve --port=$PORT config.wsgi:application\n',
    scripts: {
      web: 'python manage.py collectstatic --noinput && exec waitress-serve --port=$PORT config.wsgi:application',
    },
  },
  {
    source: 'luisalfredoestigarribiasosa85/vestiventa@f6df62bc4f7e7773a9f0143e681a2a57b5973b64:Procfile',
    text: 'web: bundle exec puma -C config/puma.rb\nrelease: chmod +x bin/precompile && bin/precompile\ndb_migrate: chmod +x bin/run_migrations && bin/run_migrations',
    scripts: {
      release: 'chmod +x bin/precompile && exec bin/precompile',
      db_migrate: 'chmod +x bin/run_migrations && exec bin/run_migrations',
    },
  },
  {
    source: 'rubyforgood/casa (test/corpus/procfiles/rubyforgood__casa__Procfile)',
    text: readFileSync(new URL('./corpus/procfiles/rubyforgood__casa__Procfile', import.meta.url), 'utf8'),
    scripts: { release: 'bundle exec rake db:migrate && exec bundle exec rake after_party:run' },
  },
];

describe('real Procfile lists', () => {
  it.each(REAL_PROCFILES)('$source', ({ text, scripts }) => {
    const parsed = parseProcfile(text, 'Procfile');
    expect(parsed.problems).toEqual([]);
    const commands = new Map<string, string>(parsed.processes.map((p) => [p.name, p.command]));
    if (parsed.release) commands.set('release', parsed.release.command);
    for (const [name, script] of Object.entries(scripts)) {
      const command = commands.get(name)!;
      expect(split(command).compound).toBe(false);
      expect(shellArgv(command, split(command))).toEqual(['sh', '-c', script]);
    }
  });

  // The real shell: after the first steps, the last program has the PID sh started with.
  it.each([
    'cd /tmp && python3 -c "import os; print(os.getpid(), os.getcwd())"',
    'true; X=1 python3 -c "import os; print(os.getpid(), os.environ[\'X\'])"',
    'A=2 true && python3 -c "import os; print(os.getpid(), 1)" 2>&1',
  ])('dash runs the last program of %s as sh itself', (command) => {
    const argv = shellArgv(command, split(command));
    const out = execFileSync(
      '/bin/sh',
      ['-c', `echo $$; exec ${argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`],
      { encoding: 'utf8' },
    );
    const [shellPid, line] = out.trim().split('\n');
    expect(line!.split(' ')[0]).toBe(shellPid);
  });
});
