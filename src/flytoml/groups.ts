import { bypassFindings, filterFindings, processMap } from '../flytoml-rules.js';
import { BOM, type Doc, parseCached } from './scan.js';

/** Process groups in a fly.toml ([]: none, the app runs as the default group "app"). */
export function processGroups(text: string): string[] {
  try {
    const doc = parseCached(text.startsWith(BOM) ? text.slice(1) : text);
    return Object.keys(processMap(doc) ?? {});
  } catch {
    return [];
  }
}

/** What a change of fly.toml does to running Machines: a group that leaves [processes] has its Machines destroyed on the next deploy. */
export function groupWarnings(before: string, after: string, file = 'fly.toml'): string[] {
  const old = processGroups(before);
  const now = new Set(processGroups(after));
  if (!old.length && now.size && !now.has('app')) {
    return [
      `${file} gets [processes] (${[...now].join(', ')}): if this app is already deployed, the next \`fly deploy\` destroys the Machines of its default group "app" and creates new ones per group.`,
    ];
  }
  if (!old.length) return [];
  const gone = old.filter((g) => !now.has(g));
  if (!gone.length) return [];
  const list = gone.map((g) => `"${g}"`).join(', ');
  if (now.size === 0) {
    return [
      `${file} no longer has [processes]: the next \`fly deploy\` destroys the Machines of the process group${gone.length === 1 ? '' : 's'} ${list} and runs the app as the single default group "app". If that is not what you want, keep --strategy process-groups.`,
    ];
  }
  return [
    `${file}: process group${gone.length === 1 ? '' : 's'} ${list} ${gone.length === 1 ? 'is' : 'are'} removed from [processes]: the next \`fly deploy\` destroys ${gone.length === 1 ? 'its' : 'their'} Machines. To keep ${gone.length === 1 ? 'it' : 'them'}, pass every process again with --process.`,
  ];
}

/** flyctl's filter rules and the settings that bypass the generated files, on a fly.toml text (see flytoml-rules.ts): each finding as one message. */
export function filterProblems(text: string, file = 'fly.toml'): { errors: string[]; warnings: string[] } {
  let doc: Doc;
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  try {
    doc = parseCached(body);
  } catch {
    return { errors: [], warnings: [] };
  }
  const findings = [...filterFindings(doc, body, file), ...bypassFindings(doc, body, file)];
  return {
    errors: findings.filter((f) => f.severity === 'error').map((f) => f.message),
    warnings: findings.filter((f) => f.severity === 'warning').map((f) => f.message),
  };
}
