import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  bypassFindings,
  defaultGroup,
  filterFindings,
  goDurationString,
  groupNames,
  killTimeoutSeconds,
  parseGoDuration,
  processMap,
  shlexSplit,
} from '../src/flytoml-rules.js';

const doc = (text: string) => parse(text) as Record<string, unknown>;

describe('kill_timeout as flyctl reads it', () => {
  it.each([
    ['1m30s', 90],
    ['5m0s', 300],
    ['1m0s', 60],
    ['5s', 5],
    ['1h', 3600],
    ['1.5m', 90],
    ['500ms', 0.5],
    ['+5s', 5],
    ['0', 0],
  ])('Go duration %s is %d s', (text, seconds) => {
    expect(parseGoDuration(text)).toBe(seconds);
    expect(killTimeoutSeconds(text)).toBe(seconds);
  });

  it.each(['5', '', 's', '1x', '5 s', '1m30', 'five'])('%j is not a Go duration (a unit is required)', (text) => {
    expect(killTimeoutSeconds(text)).toBeUndefined();
  });

  it('numbers are seconds, floats truncated; other types are not durations', () => {
    expect(killTimeoutSeconds(90)).toBe(90);
    expect(killTimeoutSeconds(1.5)).toBe(1);
    expect(killTimeoutSeconds(0.5)).toBe(0);
    expect(killTimeoutSeconds(true)).toBeUndefined();
  });

  it('writes seconds back the way flyctl does', () => {
    expect([5, 60, 90, 300, 3600].map(goDurationString)).toEqual(['5s', '1m0s', '1m30s', '5m0s', '1h0m0s']);
  });
});

describe('process groups as flyctl sees them', () => {
  it('reads the [processes] table and the legacy forms', () => {
    expect(processMap(doc('[processes]\nweb = "a"\n'))).toEqual({ web: 'a' });
    expect(processMap(doc('processes = []\n'))).toBeUndefined();
    expect(
      processMap(
        doc('[[processes]]\nname = "web"\ncommand = "./web"\n[[processes]]\nname = "worker"\ncommand = "./worker"\n'),
      ),
    ).toEqual({ web: './web', worker: './worker' });
    expect(processMap(doc('[[processes]]\n'))).toBeUndefined();
  });

  it('the default group is "app" if there is one, else the first in sort order', () => {
    expect(groupNames(doc('app = "x"\n'))).toEqual(['app']);
    expect(defaultGroup(groupNames(doc('[processes]\nzzz = "z"\nbar = "b"\nfoo = "f"\n')))).toBe('bar');
    expect(defaultGroup(['web', 'app', 'admin'])).toBe('app');
    expect(defaultGroup(['web', 'admin'])).toBe('admin');
  });
});

describe('filterFindings: flyctl processes-filter rules, with lines', () => {
  const groups = '[processes]\n  web = "w"\n  worker = "k"\n';

  it('an unfiltered service with two groups: fly deploy refuses it', () => {
    const text = `${groups}\n[[services]]\n  internal_port = 5432\n`;
    expect(filterFindings(doc(text), text)).toEqual([
      {
        severity: 'error',
        line: 5,
        message: expect.stringContaining(
          'fly.toml:5: [[services]] has no processes filter, but the app has 2 process groups (web, worker): fly deploy refuses this ("Service has no processes set but app has 2 processes defined")',
        ),
      },
    ]);
  });

  it('a service or [[restart]] filter naming a missing group: refused; [[vm]]/[[mounts]]/[checks] with one: silently ignored', () => {
    const text = `${groups}
[http_service]
  internal_port = 8080
  processes = ["app"]

[[restart]]
  policy = "always"
  processes = ["cron"]

[[vm]]
  memory = "2gb"
  processes = ["jobs"]

[[mounts]]
  source = "data"
  destination = "/data"
  processes = ["web", "db"]

[checks.pg]
  port = 5500
  type = "http"
  processes = ["db"]
`;
    const found = filterFindings(doc(text), text);
    expect(found.map((f) => [f.severity, f.line])).toEqual([
      ['error', 5],
      ['error', 9],
      ['warning', 13],
      ['warning', 17],
      ['warning', 22],
    ]);
    expect(found[0]!.message).toMatch(
      /\[http_service\] has processes = \["app"\], but "app" is not a process group \(groups: web, worker\): fly deploy refuses this/,
    );
    expect(found[1]!.message).toMatch(/\[\[restart\]\] has processes = \["cron"\].*fly deploy refuses this/);
    expect(found[2]!.message).toMatch(
      /\[\[vm\]\] has processes = \["jobs"\].*flyctl silently ignores that name, so this entry applies to no Machines at all/,
    );
    expect(found[3]!.message).toMatch(
      /\[\[mounts\]\] has processes = \["web","db"\].*silently ignores that name, so this entry applies to "web" only/,
    );
    expect(found[4]!.message).toMatch(/\[checks\.pg\] has processes = \["db"\]/);
  });

  it('unfiltered [[mounts]], [metrics], [checks], [[restart]] with two groups reach only the default group, named; [[vm]] reaches all', () => {
    const text = `[processes]\n  web = "w"\n  admin = "a"\n\n[mounts]\n  source = "data"\n  destination = "/data"\n\n[metrics]\n  port = 9091\n\n[[vm]]\n  memory = "1gb"\n\n[[restart]]\n  policy = "always"\n`;
    const found = filterFindings(doc(text), text);
    expect(found.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^fly\.toml:15: \[\[restart\]\] has no processes filter, so flyctl gives it to the default group "admin" only \(not to "web"\)/,
      ),
      expect.stringMatching(
        /^fly\.toml:5: \[mounts\] has no processes filter, so flyctl gives it to the default group "admin" only/,
      ),
      expect.stringMatching(/^fly\.toml:9: \[metrics\] has no processes filter/),
    ]);
    expect(found.every((f) => f.severity === 'warning')).toBe(true);
  });

  it('with one group nothing is reported; a filter on [[statics]] is ignored by flyctl, said so', () => {
    const text =
      '[http_service]\n  internal_port = 8080\n\n[[mounts]]\n  source = "d"\n  destination = "/d"\n\n[[statics]]\n  guest_path = "/s"\n  url_prefix = "/s"\n  processes = ["app"]\n';
    expect(filterFindings(doc(text), text)).toEqual([
      { severity: 'warning', line: 8, message: expect.stringContaining('flyctl ignores a filter on [[statics]]') },
    ]);
  });
});

describe('shlexSplit: commands as flyctl splits them (google/shlex)', () => {
  it.each([
    ['bin/web --port 8080', ['bin/web', '--port', '8080']],
    ['"C:\\data" x', ['C:data', 'x']],
    ['echo \'a b\' "c d"', ['echo', 'a b', 'c d']],
    ['echo a #b c', ['echo', 'a']],
    ['echo a#b', ['echo', 'a#b']],
    ['echo "a\\"b"', ['echo', 'a"b']],
    ['sh -c "exec a && b"', ['sh', '-c', 'exec a && b']],
  ])('%s', (command, words) => {
    expect(shlexSplit(command)).toEqual(words);
  });

  it('an open quote or a trailing backslash cannot be split', () => {
    expect(shlexSplit('echo "a')).toBeUndefined();
    expect(shlexSplit("echo 'a")).toBeUndefined();
    expect(shlexSplit('echo a\\')).toBeUndefined();
  });
});

describe('bypassFindings: settings of a kept fly.toml that bypass the generated files', () => {
  it('[experimental] entrypoint/exec/cmd and [build] image are reported with their line; an empty [build] is not', () => {
    const text =
      'app = "x"\n\n[experimental]\n  cmd = "start.sh"\n  entrypoint = "sh"\n\n[build]\n  image = "flyio/redis:6.2.6"\n';
    const found = bypassFindings(doc(text), text);
    expect(found.map((f) => [f.line, f.message])).toEqual([
      [
        3,
        expect.stringContaining(
          'fly.toml:3: [experimental] entrypoint = "sh" replaces the image\'s ENTRYPOINT on every Machine (and for release_command), so the generated entrypoint.sh never runs',
        ),
      ],
      [3, expect.stringContaining('[experimental] cmd = "start.sh" replaces the image\'s CMD')],
      [
        7,
        expect.stringContaining(
          'fly.toml:7: [build] sets image: flyctl then builds from that image, not from the generated Dockerfile',
        ),
      ],
    ]);
    expect(bypassFindings(doc('[build]\n[experimental]\n  auto_rollback = true\n  cmd = []\n'))).toEqual([]);
  });
});
