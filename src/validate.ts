/**
 * One check per field, shared by plan() (which prefixes the flag) and the wizard (which shows the
 * message under the prompt), so both say exactly the same thing. Each returns a problem or undefined.
 */
import { splitWords } from './shell-words.js';

/** Fly process groups, supervisord programs, Procfile entries and log prefixes all accept these. */
export const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const NAME_RULE = 'start with a lowercase letter, then up to 62 lowercase letters, digits, "_" or "-"';
/** Fly app names: lowercase letters, digits and dashes. */
export const APP_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const REGION_PATTERN = /^[a-z]{3}$/;

export function checkName(name: string, taken: ReadonlySet<string> = new Set()): string | undefined {
  if (!name) return 'the process name is empty';
  if (!NAME_PATTERN.test(name)) {
    return `invalid name ${JSON.stringify(name)}: a name must ${NAME_RULE} (the same name is used as a Fly process group, a supervisord program, a Procfile entry and a log prefix)`;
  }
  // flyctl's own groups (fly_app_console, fly_app_release_command): a user group of that name is
  // never updated by `fly deploy` and gets a new Machine on every deploy.
  if (name.startsWith('fly_app_'))
    return `the name ${JSON.stringify(name)} starts with fly_app_, which flyctl reserves for its own process groups (fly_app_console, fly_app_release_command); pick another name`;
  if (taken.has(name)) return `the name ${JSON.stringify(name)} is used twice; each process needs its own name`;
  return undefined;
}

export function checkCommand(command: string): string | undefined {
  if (/[\n\r\0]/.test(command))
    return 'the command contains a newline or NUL character, which no generated file can hold';
  const split = splitWords(command);
  return 'error' in split ? `the command ${split.error}` : undefined;
}

/** A port as typed: digits, 1-65535, not used by another process. */
export function checkPort(value: string, usedBy?: string): string | undefined {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'the port must be a whole number from 1 to 65535';
  if (usedBy) return `port ${port} is already used by ${usedBy}; processes need distinct internal ports`;
  return undefined;
}

export function checkApp(app: string): string | undefined {
  return APP_PATTERN.test(app)
    ? undefined
    : 'a Fly app name uses lowercase letters, digits and dashes (up to 63), and starts and ends with a letter or digit';
}

export function checkRegion(region: string): string | undefined {
  return REGION_PATTERN.test(region)
    ? undefined
    : 'a Fly region is a three-letter code such as ams, iad or syd (see `fly platform regions`)';
}
