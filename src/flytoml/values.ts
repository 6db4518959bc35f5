import { isTable, killTimeoutSeconds } from '../flytoml-rules.js';

/** How flyctl reads a value, for comparing two spellings of it. */
export function normal(key: string | undefined, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (key === 'kill_timeout') return killTimeoutSeconds(value) ?? value;
  if (key === 'auto_stop_machines') return value === true ? 'stop' : value === false ? 'off' : value;
  if (key === 'internal_port' && typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' || typeof b === 'bigint') return Number(a) === Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isTable(a) && isTable(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k]));
  }
  return false;
}
