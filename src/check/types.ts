/**
 * What `check` reports. Each finding names a rule of RULES (rules.ts): the rule holds the severity,
 * why it matters on Fly and the usual fix; the finding holds where (file:line) and what exactly.
 */
export type Severity = 'error' | 'warning' | 'advice';

export interface Rule {
  id: string;
  severity: Severity;
  /** One line: what is wrong. */
  title: string;
  /** Why it matters on Fly. */
  why: string;
  /** The usual fix. */
  fix: string;
  /** Where the fact comes from (flyctl file:line, docs page, reference section). */
  source: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  /** Path relative to the checked directory. */
  file: string;
  /** 1-based; undefined when the finding is about the file as a whole. */
  line?: number;
  /** What exactly, in this setup. */
  message: string;
  why: string;
  fix: string;
}

/** A text file of the project. */
export interface SourceFile {
  /** Relative to the checked directory, with forward slashes. */
  path: string;
  text: string;
}

/** Collects findings; a finding's severity, why and fix come from its rule unless overridden. */
export interface Reporter {
  report(
    rule: string,
    file: string,
    line: number | undefined,
    message: string,
    override?: { severity?: Severity; fix?: string },
  ): void;
}
