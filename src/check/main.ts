/** The check subcommand's one entry: the bundle builds it as dist/check.cjs, loaded only by `check`. */
export { check, CheckInputError, RULES } from './index.js';
export { exitCode, jsonReport, textReport, counts } from './format.js';
