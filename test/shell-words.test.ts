/**
 * How a command that needs a shell is run: `sh -c '...'` with `exec` in front of the program, so
 * that the program (not sh) is the process that receives the stop signal. Checked with the real
 * /bin/sh (dash on Debian): the program must have the PID sh started with.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellArgv, splitWords, type SplitResult } from '../src/shell-words.js';

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

  it.each(['a | b', 'a && b', 'a; b', 'a > log', '(cd x; y)', 'x # note'])('%s is compound: run as written, without exec', (command) => {
    expect(split(command).compound).toBe(true);
    expect(shellArgv(command, split(command))).toEqual(['sh', '-c', command]);
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
    const out = execFileSync('/bin/sh', ['-c', `echo $$; exec ${argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`], { encoding: 'utf8' });
    const [shellPid, line] = out.trim().split('\n');
    expect(line).toBe(`${shellPid} ${value}`);
  });
});
