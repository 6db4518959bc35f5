/**
 * Edit a fly.toml that is also the user's (and `fly launch`'s): change only what this tool owns,
 * keep every other key, comment, blank line and the formatting.
 *
 * Owned (see OWNED below, one entry per owned key or table):
 * - top level: app, primary_region, kill_signal, kill_timeout;
 * - each group in [processes] (legacy `processes = []` / `[[processes]]` forms are read like flyctl
 *   and rewritten as a [processes] table only when the groups change);
 * - per service that serves one of our processes, whether it is the user's [http_service] or
 *   [[services]] entry or ours: internal_port, the processes filter, and auto_stop_machines only
 *   where the strategy needs it off (a process without a port on the same Machine). The service
 *   itself is owned only when we add it, or remove one we wrote. A user's service is adopted, never
 *   replaced: it is known by its processes filter, else by its internal_port, else, when exactly one
 *   of theirs and one of ours are left, by elimination ([http_service] pairs with [http_service]);
 * - the [[restart]] entry without a processes filter (its policy).
 *
 * Each owned value is merged three ways: our last output (base, when known), the user's file
 * (theirs) and our new output (ours). A value only one side changed takes that side's change; when
 * both changed it differently (or base is unknown and they differ) it is a conflict, and "overwrite"
 * takes ours for that value only. Values are compared as flyctl reads them (kill_timeout 90 =
 * "1m30s", auto_stop_machines true = "stop"), and a value that did not change keeps the user's
 * spelling. New tables are copied from our rendered fly.toml. The result is parsed again and
 * checked: owned values as intended, everything else equal to the user's file. A file that writes
 * an owned table in a form this editor does not change (inline tables, dotted keys) is not merged:
 * the reason is returned in the user's terms, and nothing is replaced.
 *
 * The editor lives in flytoml/ by concern: scan.ts (where each statement of the text is),
 * layout.ts (where the owned tables are, and OWNED), services.ts (services known by the process
 * they serve), owned.ts (the owned values of a document), edits.ts (text edits), merge.ts (the
 * three-way merge in steps), groups.ts (what a change does to running Machines, flyctl's filter
 * rules). The build puts it in dist/flytoml.cjs, loaded only when a fly.toml is merged or checked.
 */
export { mergeFlyToml, type FlyTomlMerge, type MergeOptions } from './flytoml/merge.js';
export { OWNED } from './flytoml/layout.js';
export { filterProblems, groupWarnings, processGroups } from './flytoml/groups.js';
