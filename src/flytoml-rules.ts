/**
 * fly.toml read the way flyctl reads it (shared reference fly-toml.md, "flyctl's own rules"): Go
 * durations for kill_timeout, the legacy forms flyctl still patches (`processes = []`,
 * `[[processes]]` name/command, singular `[vm]`/`[mount]`/`[metrics]`), the default process group,
 * and the `processes = [...]` filter rules of each section.
 *
 * Every reader takes a parsed document (smol-toml's output) and, where it reports, the source text
 * for line numbers; none parses TOML itself, so this module is cheap to load. The `check` command
 * (issue 16) is meant to reuse filterFindings() and the readers.
 */

type Doc = Record<string, unknown>;

export function isTable(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

// ---------------------------------------------------------------------------------------------
// Durations.

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * A Go duration string (time.ParseDuration: "1m30s", "5m0s", "1.5h", "500ms", "+5s") in seconds.
 * A unit is required ("5" is invalid, as in Go); undefined when it does not parse.
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length) {
    const m = part.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/**
 * kill_timeout as flyctl reads it (appconfig patches.go _castDuration): an integer or float is
 * seconds (a float is truncated), a string is a Go duration with a unit. Returns seconds, or
 * undefined when flyctl would not read it as a duration.
 */
export function killTimeoutSeconds(value: unknown): number | undefined {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === 'string') return parseGoDuration(value.trim());
  return undefined;
}

/** Seconds as flyctl writes them back (Go's time.Duration.String() for whole seconds): 90 -> "1m30s", 60 -> "1m0s", 5 -> "5s". */
export function goDurationString(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

// ---------------------------------------------------------------------------------------------
// Process groups.

/**
 * The [processes] of a document as flyctl sees them: the table, or the legacy `[[processes]]`
 * name/command array (patches.go:118-157); `processes = []` and entries without a name mean none.
 * undefined: no process groups (the app runs as the single group "app").
 */
export function processMap(doc: Doc): Record<string, unknown> | undefined {
  const value = doc.processes;
  if (isTable(value)) return value;
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const entry of value) {
      if (isTable(entry) && typeof entry.name === 'string' && entry.name) out[entry.name] = entry.command ?? '';
    }
    return Object.keys(out).length ? out : undefined;
  }
  return undefined;
}

/** Whether [processes] is written in a legacy form (an array) rather than as a table. */
export function legacyProcesses(doc: Doc): boolean {
  return Array.isArray(doc.processes);
}

/** Group names, sorted as flyctl sorts them; ["app"] without [processes] (processgroups.go:16-32). */
export function groupNames(doc: Doc): string[] {
  const map = processMap(doc);
  const names = map ? Object.keys(map) : [];
  return names.length ? names.sort() : ['app'];
}

/** The default group: "app" if there is one, else the first name in sort order (processgroups.go:45-61). */
export function defaultGroup(groups: string[]): string {
  return groups.includes('app') ? 'app' : ([...groups].sort()[0] ?? 'app');
}

/**
 * A command split the way flyctl splits [processes] and release_command (google/shlex): like a
 * shell, but a word starting with `#` begins a comment, and inside double quotes a backslash
 * escapes any character ("C:\data" is C:data). undefined when it cannot be split (an open quote,
 * a trailing backslash): flyctl rejects such a command.
 */
export function shlexSplit(command: string): string[] | undefined {
  const split = shlexParse(command);
  return 'words' in split ? split.words : undefined;
}

/** google/shlex Split: whitespace separates, '...' literal, "..." with \ escaping any character, \ outside escapes, a word starting with # starts a comment. */
export function shlexParse(input: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let i = 0;
  const n = input.length;
  const space = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && space(input[i]!)) i++;
    if (i >= n) break;
    if (input[i] === '#') {
      while (i < n && input[i] !== '\n') i++;
      continue;
    }
    let word = '';
    while (i < n && !space(input[i]!)) {
      const c = input[i]!;
      if (c === "'") {
        const end = input.indexOf("'", i + 1);
        if (end < 0) return { error: 'EOF found when expecting closing quote' };
        word += input.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        for (;;) {
          if (i >= n) return { error: 'EOF found when expecting closing quote' };
          const d = input[i]!;
          if (d === '"') break;
          if (d === '\\') {
            if (i + 1 >= n) return { error: 'EOF found after escape character' };
            word += input[i + 1];
            i += 2;
            continue;
          }
          word += d;
          i++;
        }
        i++;
      } else if (c === '\\') {
        if (i + 1 >= n) return { error: 'EOF found after escape character' };
        word += input[i + 1];
        i += 2;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return { words };
}

// ---------------------------------------------------------------------------------------------
// Sections that take a processes filter, with flyctl's singular legacy forms.

export interface Section {
  /** How the user writes it: "[[mounts]]", "[mount]", "[checks.pg]", "[http_service]". */
  label: string;
  /** Section kind, for the rules: services, restart, vm, mounts, files, metrics, checks, statics. */
  kind: 'services' | 'restart' | 'vm' | 'mounts' | 'files' | 'metrics' | 'checks' | 'statics';
  entry: Doc;
  /** 1-based line of its header in the text, when found. */
  line?: number;
}

function headerLines(text: string, pattern: RegExp): number[] {
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (pattern.test(line)) lines.push(i + 1);
  });
  return lines;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A header line `[name]` / `[[name]]` (spaces and quotes around the name allowed). */
function headerPattern(path: string[], array: boolean): RegExp {
  const key = path.map((p) => `\\s*(?:${escapeRe(p)}|"${escapeRe(p)}"|'${escapeRe(p)}')\\s*`).join('\\.');
  return array ? new RegExp(`^\\s*\\[\\[${key}\\]\\]`) : new RegExp(`^\\s*\\[${key}\\](?!\\])`);
}

/** Every section of the document that flyctl gives a processes filter meaning to, in a fixed order. */
export function filterSections(doc: Doc, text = ''): Section[] {
  const out: Section[] = [];
  const add = (kind: Section['kind'], name: string, value: unknown) => {
    if (isTable(value)) {
      out.push({ kind, label: `[${name}]`, entry: value, line: headerLines(text, headerPattern([name], false))[0] });
    } else if (Array.isArray(value)) {
      const lines = headerLines(text, headerPattern([name], true));
      value.forEach((entry, i) => {
        if (isTable(entry))
          out.push({
            kind,
            label: value.length === 1 ? `[[${name}]]` : `[[${name}]] #${i + 1}`,
            entry,
            line: lines[i],
          });
      });
    }
  };
  if (isTable(doc.http_service))
    out.push({
      kind: 'services',
      label: '[http_service]',
      entry: doc.http_service,
      line: headerLines(text, headerPattern(['http_service'], false))[0],
    });
  add('services', 'services', doc.services);
  add('restart', 'restart', doc.restart);
  add('vm', 'vm', doc.vm);
  add('vm', 'compute', doc.compute);
  add('mounts', 'mounts', doc.mounts);
  add('mounts', 'mount', doc.mount);
  add('files', 'files', doc.files);
  add('metrics', 'metrics', doc.metrics);
  add('statics', 'statics', doc.statics);
  if (isTable(doc.checks)) {
    for (const [name, check] of Object.entries(doc.checks)) {
      if (isTable(check))
        out.push({
          kind: 'checks',
          label: `[checks.${name}]`,
          entry: check,
          line: headerLines(text, headerPattern(['checks', name], false))[0],
        });
    }
  }
  return out;
}

export interface Finding {
  /** error: flyctl refuses the file (fly deploy fails); warning: flyctl accepts it, with a consequence worth knowing. */
  severity: 'error' | 'warning';
  /** 1-based line, when known. */
  line?: number;
  message: string;
}

function quoteList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/**
 * flyctl's processes-filter rules (fly-toml.md §1.3 and "Consistency rules" 1-3), checked on a
 * parsed fly.toml: services and [[restart]] filters naming a missing group (fly deploy refuses),
 * unfiltered services with two or more groups (refused), filters of [[vm]]/[[mounts]]/[[files]]/
 * [[metrics]]/[checks] naming a missing group (silently ignored), unfiltered ones with two or more
 * groups (they reach only the default group), a filter on [[statics]] (ignored).
 */
export function filterFindings(doc: Doc, text = '', file = 'fly.toml'): Finding[] {
  const groups = groupNames(doc);
  const multi = groups.length >= 2;
  const known = new Set(groups);
  const fallback = defaultGroup(groups);
  const findings: Finding[] = [];
  const at = (s: Section) => `${file}${s.line ? `:${s.line}` : ''}: ${s.label}`;
  for (const s of filterSections(doc, text)) {
    const filter = s.entry.processes;
    const names = Array.isArray(filter) ? filter.filter((p): p is string => typeof p === 'string') : undefined;
    const line = s.line;
    if (s.kind === 'statics') {
      if (filter !== undefined)
        findings.push({
          severity: 'warning',
          line,
          message: `${at(s)} has processes = ${JSON.stringify(filter)}, but flyctl ignores a filter on [[statics]]: the Machines of every group serve these files`,
        });
      continue;
    }
    if (names === undefined || names.length === 0) {
      if (!multi) continue;
      if (s.kind === 'services') {
        findings.push({
          severity: 'error',
          line,
          message: `${at(s)} has no processes filter, but the app has ${groups.length} process groups (${groups.join(', ')}): fly deploy refuses this ("Service has no processes set but app has ${groups.length} processes defined"); add processes = ["GROUP"] naming the group that serves it`,
        });
      } else if (s.kind !== 'vm') {
        findings.push({
          severity: 'warning',
          line,
          message: `${at(s)} has no processes filter, so flyctl gives it to the default group "${fallback}" only (not to ${quoteList(groups.filter((g) => g !== fallback))}); add processes = ["GROUP"] to choose the group`,
        });
      }
      continue;
    }
    const missing = names.filter((n) => !known.has(n));
    if (!missing.length) continue;
    const which = `${quoteList(missing)} ${missing.length === 1 ? 'is not a process group' : 'are not process groups'} (groups: ${groups.join(', ')})`;
    if (s.kind === 'services' || s.kind === 'restart') {
      findings.push({
        severity: 'error',
        line,
        message: `${at(s)} has processes = ${JSON.stringify(filter)}, but ${which}: fly deploy refuses this; edit the filter`,
      });
    } else {
      const reaches = names.filter((n) => known.has(n));
      findings.push({
        severity: 'warning',
        line,
        message: `${at(s)} has processes = ${JSON.stringify(filter)}, but ${which}: flyctl silently ignores ${missing.length === 1 ? 'that name' : 'those names'}, so this entry applies to ${reaches.length ? quoteList(reaches) + ' only' : 'no Machines at all'}; edit the filter`,
      });
    }
  }
  return findings;
}

/**
 * Settings of a kept fly.toml that bypass the generated files (fly-toml.md "Consistency rules" 7):
 * `[experimental] entrypoint`/`exec` replace the image ENTRYPOINT for every group and the
 * release_command (machines.go:282-291), so entrypoint.sh never runs; `[experimental] cmd`
 * replaces CMD where a group has no command; `[build] image`/`builder`/`buildpacks`/`builtin`
 * build from something else than the generated Dockerfile (config.go:349-374).
 */
export function bypassFindings(doc: Doc, text = '', file = 'fly.toml'): Finding[] {
  const findings: Finding[] = [];
  const line = (name: string) => headerLines(text, headerPattern([name], false))[0];
  const where = (name: string) => `${file}${line(name) ? `:${line(name)}` : ''}: [${name}]`;
  const experimental = isTable(doc.experimental) ? doc.experimental : {};
  const set = (v: unknown) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);
  for (const key of ['entrypoint', 'exec'] as const) {
    if (set(experimental[key])) {
      findings.push({
        severity: 'warning',
        line: line('experimental'),
        message: `${where('experimental')} ${key} = ${JSON.stringify(experimental[key])} replaces the image's ENTRYPOINT on every Machine (and for release_command), so the generated entrypoint.sh never runs: remove it unless you mean to bypass it`,
      });
    }
  }
  if (set(experimental.cmd)) {
    findings.push({
      severity: 'warning',
      line: line('experimental'),
      message: `${where('experimental')} cmd = ${JSON.stringify(experimental.cmd)} replaces the image's CMD wherever no [processes] command is given: remove it unless you mean it`,
    });
  }
  const build = isTable(doc.build) ? doc.build : {};
  const other = (['image', 'builder', 'buildpacks', 'builtin'] as const).filter((k) => set(build[k]));
  if (other.length) {
    findings.push({
      severity: 'warning',
      line: line('build'),
      message: `${where('build')} sets ${other.join(', ')}: flyctl then builds from ${other.length === 1 && other[0] === 'image' ? 'that image' : 'those'}, not from the generated Dockerfile; remove ${other.length === 1 ? 'it' : 'them'} to use the Dockerfile`,
    });
  }
  return findings;
}
