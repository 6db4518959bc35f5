/** Procfile rules, for the manager that reads the file (overmind, hivemind, foreman, honcho, nf). */
import type { Reporter, SourceFile } from './types.js';

export type ProcfileManager = 'overmind' | 'hivemind' | 'foreman' | 'honcho' | 'nf';

export interface ProcfileEntry {
  name: string;
  command: string;
  line: number;
}

export function parseProcfile(
  text: string,
  manager: ProcfileManager | undefined,
): { entries: ProcfileEntry[]; bad: { line: number; text: string }[] } {
  const strictSpace = manager === 'overmind' || manager === 'hivemind';
  const re = strictSpace ? /^([\w-]+):\s+(.+)$/ : /^([A-Za-z0-9_-]+):\s*(.+)$/;
  const entries: ProcfileEntry[] = [];
  const bad: { line: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || /^\s*#/.test(line)) return;
    const m = re.exec(line);
    if (m) entries.push({ name: m[1]!, command: m[2]!, line: i + 1 });
    else bad.push({ line: i + 1, text: line });
  });
  return { entries, bad };
}

export function checkProcfile(file: SourceFile, manager: ProcfileManager, out: Reporter): ProcfileEntry[] {
  const { entries, bad } = parseProcfile(file.text, manager);
  for (const b of bad) {
    const why =
      /^[\w-]+:\S/.test(b.text) && (manager === 'overmind' || manager === 'hivemind')
        ? `${manager} needs a space after the colon`
        : 'not "name: command"';
    out.report('procfile/line-format', file.path, b.line, `\`${b.text}\`: ${why}, so ${manager} skips it`);
  }
  const seen = new Map<string, number>();
  for (const e of entries) {
    if (seen.has(e.name) && manager !== 'foreman')
      out.report('procfile/duplicate', file.path, e.line, `"${e.name}" is also on line ${seen.get(e.name)}`);
    seen.set(e.name, e.line);
    if (e.name === 'release' || (/\b(db:migrate|migrate)\b/.test(e.command) && !/&&|;|\|/.test(e.command))) {
      out.report('procfile/release-entry', file.path, e.line, `\`${e.name}: ${e.command}\` runs once and exits`);
    }
  }
  return entries;
}
