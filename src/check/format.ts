/** The check report: text for people (grouped by severity, file:line first), JSON for CI. */
import { pc } from '../colors.js';
import type { CheckResult } from './index.js';
import type { Finding, Severity } from './types.js';

export function counts(findings: Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { error: 0, warning: 0, advice: 0 };
  for (const f of findings) c[f.severity]++;
  return c;
}

/** 1 when an error (or, with strict, a warning) was found. */
export function exitCode(findings: Finding[], strict: boolean): number {
  const c = counts(findings);
  return c.error > 0 || (strict && c.warning > 0) ? 1 : 0;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 || word === 'advice' ? '' : 's'}`;

export function textReport(result: CheckResult, dirArg: string, strict: boolean): string {
  const colour: Record<Severity, (s: string) => string> = { error: pc.red, warning: pc.yellow, advice: pc.cyan };
  const lines: string[] = [];
  lines.push(`Checked ${dirArg}: ${result.files.length ? result.files.join(', ') : 'no files'}`);
  for (const f of result.findings) {
    const where = f.line ? `${f.file}:${f.line}` : f.file;
    lines.push('');
    lines.push(`${pc.bold(where)}  ${colour[f.severity](f.severity)}  ${pc.dim(f.rule)}`);
    lines.push(`  ${f.message}`);
    lines.push(`  ${pc.dim('why:')} ${f.why}`);
    lines.push(`  ${pc.dim('fix:')} ${f.fix}`);
  }
  const c = counts(result.findings);
  lines.push('');
  const code = exitCode(result.findings, strict);
  const total = result.findings.length
    ? `${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${plural(c.advice, 'advice')}`
    : 'no problems found';
  const quiet = result.suppressed.length
    ? `; ${result.suppressed.length} more silenced by a "check: ignore" comment (${[...new Set(result.suppressed.map((f) => f.rule))].join(', ')})`
    : '';
  lines.push(
    `${code ? pc.red('✗') : pc.green('✓')} ${total}${strict && c.warning && !c.error ? ' (--strict: warnings fail)' : ''}${quiet}`,
  );
  return `${lines.join('\n')}\n`;
}

export function jsonReport(result: CheckResult, strict: boolean, version: string): unknown {
  return {
    version,
    dir: result.dir,
    files: result.files,
    strict,
    ok: exitCode(result.findings, strict) === 0,
    counts: counts(result.findings),
    findings: result.findings,
    suppressed: result.suppressed,
  };
}
