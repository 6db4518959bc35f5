/**
 * supervisord config rules. The file is read like supervisord's ConfigParser does: sections,
 * `key=value` or `key: value`, indented continuation lines, and an inline comment wherever `;` or
 * `#` follows whitespace (the value is cut there).
 */
import type { Reporter, SourceFile } from './types.js';

export interface IniValue {
  /** As supervisord sees it (inline comment cut). */
  value: string;
  /** As written. */
  raw: string;
  line: number;
}
export interface IniSection {
  name: string;
  line: number;
  keys: Map<string, IniValue>;
}

export function parseIni(text: string): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  let lastKey: IniValue | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*[;#]/.test(line) || !line.trim()) {
      lastKey = undefined;
      return;
    }
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      current = { name: header[1]!.trim(), line: i + 1, keys: new Map() };
      sections.push(current);
      lastKey = undefined;
      return;
    }
    if (/^\s/.test(line) && lastKey) {
      lastKey.raw += `\n${line.trim()}`;
      lastKey.value += `\n${cut(line.trim())}`;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && current) {
      const raw = kv[2]!;
      lastKey = { value: cut(raw).trim(), raw: raw.trim(), line: i + 1 };
      current.keys.set(kv[1]!.trim().toLowerCase(), lastKey);
    }
  });
  return sections;
}

function cut(value: string): string {
  const m = /\s[;#]/.exec(value);
  return m ? value.slice(0, m.index) : value;
}

const STREAMS = /^(\/dev\/(stdout|stderr|fd\/[12])|\/proc\/(self|1)\/fd\/[12])$/;
const WRAPPERS = /^(\S*\/)?(sh|bash|dash|zsh|npm|npx|yarn|pnpm|uv|su)$/;
const truthy = (v: string | undefined) => v !== undefined && /^(true|yes|on|1)$/i.test(v);

export interface SupervisorFacts {
  file: SourceFile;
  programs: { name: string; line: number; command?: string; stopwaitsecs: number; stopwaitLine?: number }[];
  nodaemon: boolean;
  nodaemonLine?: number;
  failFast: boolean;
  sections: IniSection[];
}

export function analyseSupervisor(file: SourceFile): SupervisorFacts {
  const sections = parseIni(file.text);
  const programs = sections
    .filter((s) => s.name.startsWith('program:'))
    .map((s) => {
      const sw = s.keys.get('stopwaitsecs');
      return {
        name: s.name.slice('program:'.length),
        line: s.line,
        ...(s.keys.get('command') ? { command: s.keys.get('command')!.value } : {}),
        stopwaitsecs: sw && /^\d+$/.test(sw.value) ? Number(sw.value) : 10,
        ...(sw ? { stopwaitLine: sw.line } : {}),
      };
    });
  const sup = sections.find((s) => s.name === 'supervisord');
  const failFast = sections.some(
    (s) =>
      s.name.startsWith('eventlistener:') &&
      /PROCESS_STATE_(FATAL|EXITED|STOPPED)|PROCESS_STATE\b/.test(s.keys.get('events')?.value ?? ''),
  );
  return {
    file,
    programs,
    nodaemon: truthy(sup?.keys.get('nodaemon')?.value),
    ...(sup?.keys.get('nodaemon') ? { nodaemonLine: sup.keys.get('nodaemon')!.line } : {}),
    failFast,
    sections,
  };
}

export function checkSupervisor(
  facts: SupervisorFacts,
  out: Reporter,
  context: {
    startedWithNodaemonFlag: boolean;
    killTimeout: number;
    failFastAnywhere: boolean;
    firstProgramFile: boolean;
  },
): void {
  const f = facts.file.path;
  const sup = facts.sections.find((s) => s.name === 'supervisord');
  // A conf.d fragment has no [supervisord] section: the daemon settings live elsewhere.
  if (sup && !facts.nodaemon && !context.startedWithNodaemonFlag) {
    out.report(
      'supervisord/no-nodaemon',
      f,
      facts.nodaemonLine ?? sup.line,
      facts.nodaemonLine
        ? `nodaemon=${sup.keys.get('nodaemon')!.value}`
        : '[supervisord] has no nodaemon=true and supervisord is not started with -n',
    );
  }
  if (sup) {
    const log = sup.keys.get('logfile');
    if (log && STREAMS.test(log.value)) {
      if (facts.nodaemon || context.startedWithNodaemonFlag)
        out.report('supervisord/logfile-stdout', f, log.line, `logfile=${log.value}`);
      const max = sup.keys.get('logfile_maxbytes');
      if (!max || max.value !== '0')
        out.report(
          'supervisord/logfile-maxbytes',
          f,
          max?.line ?? log.line,
          `logfile=${log.value} without logfile_maxbytes=0`,
        );
    }
  }
  for (const s of facts.sections) {
    for (const [key, v] of s.keys) {
      // ` ;` / ` #` inside a quoted part of the value: the cut leaves the quote open. (Outside quotes
      // it is the usual trailing comment.)
      if (v.raw !== v.value && /\s[;#]/.test(v.raw)) {
        const rest = v.value;
        const unbalanced = (rest.match(/'/g)?.length ?? 0) % 2 === 1 || (rest.match(/"/g)?.length ?? 0) % 2 === 1;
        if (unbalanced)
          out.report(
            'supervisord/inline-comment',
            f,
            v.line,
            `${key}= is cut to ${JSON.stringify(rest)}, an unclosed quote: the program never starts`,
          );
      }
      if (/%(?!%|\([A-Za-z0-9_]+\)[sdir])/.test(v.value.replace(/%%/g, ''))) {
        out.report('supervisord/percent', f, v.line, `${key}=${v.value}`);
      }
    }
  }
  const grouped = new Set(
    facts.sections
      .filter((s) => s.name.startsWith('group:'))
      .flatMap((s) => (s.keys.get('programs')?.value ?? '').split(',').map((x) => x.trim())),
  );
  for (const p of facts.programs) {
    const s = facts.sections.find((x) => x.name === `program:${p.name}`)!;
    const out1 = s.keys.get('stdout_logfile');
    const redirect = truthy(s.keys.get('redirect_stderr')?.value);
    const err = s.keys.get('stderr_logfile');
    const stdoutOk = out1 && STREAMS.test(out1.value);
    if (!stdoutOk)
      out.report(
        'supervisord/log-to-file',
        f,
        out1?.line ?? s.line,
        `[program:${p.name}] stdout goes to ${out1 ? out1.value : 'a file supervisord picks (stdout_logfile defaults to AUTO)'}`,
      );
    else if (!redirect && !(err && STREAMS.test(err.value)))
      out.report(
        'supervisord/log-to-file',
        f,
        err?.line ?? s.line,
        `[program:${p.name}] stderr goes to ${err ? err.value : 'an AUTO file (no redirect_stderr=true, no stderr_logfile)'}`,
      );
    for (const [logKey, maxKey] of [
      ['stdout_logfile', 'stdout_logfile_maxbytes'],
      ['stderr_logfile', 'stderr_logfile_maxbytes'],
    ] as const) {
      const l = s.keys.get(logKey);
      if (l && STREAMS.test(l.value) && s.keys.get(maxKey)?.value !== '0')
        out.report(
          'supervisord/logfile-maxbytes',
          f,
          l.line,
          `[program:${p.name}] ${logKey}=${l.value} without ${maxKey}=0`,
        );
    }
    const first = (p.command ?? '').trim().split(/\s+/)[0] ?? '';
    if (
      WRAPPERS.test(first) &&
      !truthy(s.keys.get('stopasgroup')?.value) &&
      !truthy(s.keys.get('killasgroup')?.value)
    ) {
      out.report(
        'supervisord/no-stopasgroup',
        f,
        s.keys.get('stopasgroup')?.line ?? s.line,
        `[program:${p.name}] runs ${first}; only that process gets the stop signal`,
      );
    }
  }
  if (facts.programs.length && !context.failFastAnywhere && context.firstProgramFile) {
    out.report(
      'supervisord/no-fail-fast',
      f,
      facts.programs[0]!.line,
      'no [eventlistener:] on PROCESS_STATE_FATAL or PROCESS_STATE_EXITED in the supervisord config',
    );
  }
  const ungrouped = facts.programs.filter((p) => !grouped.has(p.name));
  if (ungrouped.length >= 2 && ungrouped.length + 1 > context.killTimeout) {
    out.report(
      'supervisord/serial-stop',
      f,
      ungrouped[0]!.line,
      `${ungrouped.length} programs outside a [group:] take about ${ungrouped.length + 1} s to stop; kill_timeout is ${context.killTimeout} s`,
    );
  }
}
