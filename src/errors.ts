/** An error caused by what the user asked for: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  readonly problems: string[];
  constructor(problems: string | string[], readonly hint?: string) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join('\n'));
    this.problems = list;
  }
}

/** The user pressed Ctrl-C or Esc in the wizard: exit code 130, nothing written. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}
