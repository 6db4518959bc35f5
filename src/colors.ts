import picocolors from 'picocolors';

// picocolors alone turns colours on whenever CI is set; we want them only on a terminal.
const env = process.env;
export const colorEnabled =
  !env.NO_COLOR && (Boolean(env.FORCE_COLOR) || (Boolean(process.stdout.isTTY) && env.TERM !== 'dumb'));
export const pc = picocolors.createColors(colorEnabled);
