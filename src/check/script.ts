/**
 * Entrypoint script rules. Scripts are read line by line (comments and heredocs skipped), which
 * is enough for the patterns that matter on Fly: how processes are started, waited for and
 * stopped, and whether the script hands its arguments and the signal on.
 */
import { spawnSync } from 'node:child_process';
import { lineOf } from './util.js';
import type { Reporter, SourceFile } from './types.js';

export interface ScriptFacts {
  file: SourceFile;
  bash: boolean;
  /** Lines (1-based) that start a process in the background. */
  background: number[];
  /** Signals a trap handles (INT, TERM, ...). */
  trapped: Set<string>;
  usesArgs: boolean;
  waitAny: boolean;
  /** The command the script ends with `exec`, if any (words). */
  finalExec?: string[];
  /** Every command line (for manager and port detection). */
  commands: { line: number; text: string }[];
  setM: boolean;
  /** A literal STOP_TIMEOUT-like value. */
  stopTimeout?: { value: number; line: number };
}

const BUILTIN_TAIL =
  /^(fi|done|esac|\}|\)|;;|exit\b|return\b|wait\b|echo\b|printf\b|set\b|trap\b|export\b|unset\b|cd\b|shift\b|local\b|true\b|:|sleep\b|log\b|rm\b|mkdir\b|chmod\b|chown\b|ln\b|cp\b|mv\b|touch\b|source\b|\.\s|then\b|else\b|elif\b|if\b|for\b|while\b|until\b|case\b|do\b|[A-Za-z_][A-Za-z0-9_]*=)/;

/** Lines of code: comments stripped, heredoc bodies and continuation lines joined away. */
export function codeLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = text.split(/\r?\n/);
  let heredoc: string | undefined;
  let pending: { line: number; text: string } | undefined;
  lines.forEach((raw, i) => {
    if (heredoc !== undefined) {
      if (raw.replace(/^\t+/, '') === heredoc) heredoc = undefined;
      return;
    }
    let code = stripComment(raw);
    const h = /<<-?\s*['"]?(\w+)['"]?/.exec(code);
    if (h) heredoc = h[1];
    if (pending) {
      pending.text += ` ${code.trim()}`;
      code = pending.text;
    }
    if (/\\$/.test(code)) {
      pending = { line: pending?.line ?? i + 1, text: code.replace(/\\$/, '') };
      return;
    }
    const entry = { line: pending?.line ?? i + 1, text: code.trim() };
    pending = undefined;
    if (entry.text) out.push(entry);
  });
  return out;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '\\') i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /[\s;&|(]/.test(line[i - 1]!)) && !(line[i - 1] === '$')) return line.slice(0, i);
  }
  return line;
}

const SIGNALS: Record<string, string> = {
  '1': 'HUP',
  '2': 'INT',
  '3': 'QUIT',
  '15': 'TERM',
  '10': 'USR1',
  '12': 'USR2',
};
export const normSignal = (s: string) => {
  const up = s.replace(/^-/, '').toUpperCase().replace(/^SIG/, '');
  return SIGNALS[up] ?? up;
};

export function analyseScript(file: SourceFile): ScriptFacts {
  const lines = codeLines(file.text);
  const first = file.text.split('\n', 1)[0] ?? '';
  const bash = /^#!.*\bbash\b/.test(first);
  const background: number[] = [];
  const trapped = new Set<string>();
  let usesArgs = false;
  let waitAny = false;
  let setM = /^#!.*\s-\w*m/.test(first);
  let stopTimeout: { value: number; line: number } | undefined;
  for (const { line, text } of lines) {
    // `cmd &` or `cmd & other`, but not && / >& / &>
    if (/(^|[^&>|])&\s*($|[^&>])/.test(text.replace(/&>|>&|\d>&\d|&&/g, '  ')) && !/^\s*(if|while)\b.*&&/.test(text))
      background.push(line);
    const trap = /^(?:.*[;&|]\s*)?trap\s+(?:--\s+)?('[^']*'|"(?:[^"\\]|\\.)*"|\S+)\s+(.+)$/.exec(text);
    if (trap && !/^''$|^""$|^-$/.test(trap[1]!)) {
      for (const s of trap[2]!.split(/\s+/)) {
        const name = normSignal(s.replace(/["';]/g, ''));
        if (/^[A-Z0-9]+$/.test(name)) trapped.add(name);
        // trap "... $s" "$s" inside `for s in INT TERM`: the loop's list
        if (/^\$\{?\w+\}?$/.test(s.replace(/["']/g, ''))) {
          const loop = lines.find(
            (l) => l.line < line && new RegExp(`^for\\s+${s.replace(/["'${}]/g, '')}\\s+in\\s+`).test(l.text),
          );
          loop?.text
            .replace(/^for\s+\w+\s+in\s+/, '')
            .replace(/;.*$/, '')
            .split(/\s+/)
            .forEach((x) => trapped.add(normSignal(x)));
        }
      }
    }
    if (/"\$@"|\$@|\$\*|\$\{@\}|\$\{1|\$1\b|"\$1"|\$#/.test(text)) usesArgs = true;
    if (/\bwait\s+-n\b/.test(text)) waitAny = true;
    if (/\bset\s+(-\w*m|-o\s+monitor)\b/.test(text)) setM = true;
    const st = /\b(STOP_TIMEOUT|GRACE(?:_PERIOD)?|TIMEOUT)=["']?(?:\$\{\w+:-)?(\d+)/.exec(text);
    if (st && !stopTimeout) stopTimeout = { value: Number(st[2]), line };
  }
  let finalExec: string[] | undefined;
  const last = [...lines].reverse().find((l) => !/^(fi|done|esac|\}|exit\b)/.test(l.text));
  if (last) {
    const m = /^exec\s+(.+)$/.exec(last.text);
    if (m) finalExec = m[1]!.split(/\s+/);
  }
  return {
    file,
    bash,
    background,
    trapped,
    usesArgs,
    waitAny,
    ...(finalExec ? { finalExec } : {}),
    commands: lines,
    setM,
    ...(stopTimeout ? { stopTimeout } : {}),
  };
}

export function checkScript(facts: ScriptFacts, out: Reporter, options: { shellcheck: boolean }): void {
  const { file, commands } = facts;
  const f = file.path;
  const fg = commands.find((c) => /(^|[;&|]\s*)fg(\s|$)/.test(c.text));
  if (fg) out.report('script/fg-job-control', f, fg.line, `\`${fg.text}\` waits for one job only`);
  const plainWait = commands.find(
    (c) => /(^|[;&|]\s*)wait(\s*$|\s*;|\s+"?\$)/.test(c.text) && !/\bwait\s+-n/.test(c.text),
  );
  if (facts.background.length >= 2 && !facts.waitAny && !fg && plainWait) {
    out.report(
      'script/no-fail-fast',
      f,
      plainWait.line,
      `${facts.background.length} processes start in the background (lines ${facts.background.join(', ')}) and \`${plainWait.text}\` waits for ${/\$/.test(plainWait.text) ? 'one of them' : 'all of them'}`,
    );
  }
  const tail = [...commands].reverse().find((c) => !/^(fi|done|esac|\}|\)|;;|then\b|else\b)/.test(c.text));
  const foreground =
    tail &&
    !BUILTIN_TAIL.test(tail.text) &&
    !/&\s*$/.test(tail.text) &&
    !/^fg\b/.test(tail.text) &&
    !/^exec\s+"?\$@"?\s*$/.test(tail.text);
  if (facts.background.length && !facts.waitAny && !fg && !plainWait && foreground) {
    out.report(
      'script/no-fail-fast',
      f,
      facts.background[0],
      `the script runs \`${tail.text}\` in the foreground; the background process${facts.background.length > 1 ? 'es' : ''} (line${facts.background.length > 1 ? 's' : ''} ${facts.background.join(', ')}) can exit and nothing notices`,
    );
  }
  if (facts.background.length && facts.trapped.size === 0) {
    out.report(
      'script/no-signal-forwarding',
      f,
      facts.background[0],
      `process${facts.background.length > 1 ? 'es' : ''} started in the background on line${facts.background.length > 1 ? 's' : ''} ${facts.background.join(', ')}, no trap`,
    );
  }
  // The last command runs a program without exec while nothing traps the signal.
  const last = [...commands].reverse().find((c) => !/^(fi|done|esac|\}|\)|;;|exit\b|then\b|else\b)/.test(c.text));
  if (
    last &&
    facts.trapped.size === 0 &&
    !/^exec\b/.test(last.text) &&
    !BUILTIN_TAIL.test(last.text) &&
    !/&\s*$/.test(last.text) &&
    !/^fg\b/.test(last.text) &&
    !/^\w+\s*\(\)/.test(last.text)
  ) {
    out.report('script/missing-exec', f, last.line, `\`${last.text}\` runs as a child of the shell`);
  }
  if (!facts.setM && facts.background.length) {
    const forward = commands.find(
      (c) => /\bkill\s+(-s\s+)?-?(SIG)?(INT|QUIT|2|3)\b/.test(c.text) && !/\bkill\s+-0\b/.test(c.text),
    );
    if (forward)
      out.report(
        'script/sigint-ignored-children',
        f,
        forward.line,
        `\`${forward.text}\` sends SIGINT/SIGQUIT to jobs the shell started with those signals ignored`,
      );
  }
  if (!facts.bash && facts.waitAny) {
    out.report(
      'script/wait-n-in-sh',
      f,
      lineOf(file.text, /\bwait\s+-n\b/),
      `the shebang is ${JSON.stringify((file.text.split('\n', 1)[0] ?? '').trim() || '(none)')}`,
    );
  }
  if (options.shellcheck) shellcheck(file, out);
}

let shellcheckPath: string | null | undefined;
function haveShellcheck(): boolean {
  if (shellcheckPath === undefined) {
    const r = spawnSync('shellcheck', ['--version'], { encoding: 'utf8', timeout: 10_000 });
    shellcheckPath = r.status === 0 ? 'shellcheck' : null;
  }
  return shellcheckPath !== null;
}

/** shellcheck's errors become warnings, its warnings advice (info and style are left out). */
function shellcheck(file: SourceFile, out: Reporter): void {
  if (!haveShellcheck()) return;
  const shell = /^#!/.test(file.text) ? [] : ['--shell=sh'];
  const r = spawnSync('shellcheck', ['--format=json1', '--severity=warning', ...shell, '-'], {
    input: file.text,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (!r.stdout) return;
  let parsed: { comments?: { line: number; level: string; code: number; message: string }[] };
  try {
    parsed = JSON.parse(r.stdout) as typeof parsed;
  } catch {
    return;
  }
  for (const c of parsed.comments ?? []) {
    out.report('script/shellcheck', file.path, c.line, `SC${c.code}: ${c.message}`, {
      severity: c.level === 'error' ? 'warning' : 'advice',
      fix: `See https://www.shellcheck.net/wiki/SC${c.code}`,
    });
  }
}
