/**
 * Line diffs in unified format (what `diff -u` and `git diff` print), from Myers' O(ND) algorithm.
 * Loaded lazily (await import) only when a diff is shown: a plain run never pays for it.
 */

export type DiffOp = { kind: ' ' | '-' | '+'; line: string };

/** Split into lines, keeping whether the text ended with a newline (diff -u marks it when not). */
function lines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * The shortest edit script from a to b (Myers 1986): for each edit distance d, the furthest point
 * reached on each diagonal k = x - y. We keep each round's frontier to walk the path back.
 */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    const next = v;
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && next[offset + k - 1]! < next[offset + k + 1]!))
        x = next[offset + k + 1]!; // down: insert
      else x = next[offset + k - 1]! + 1; // right: delete
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  trace.push(v.slice());

  // Walk back from (n, m): trace[d + 1] holds the frontier after round d.
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const frontier = trace[d]!; // before round d, i.e. after round d - 1
    const k = x - y;
    let prevK: number;
    if (d === 0) prevK = k;
    else if (k === -d || (k !== d && frontier[offset + k - 1]! < frontier[offset + k + 1]!)) prevK = k + 1;
    else prevK = k - 1;
    const prevX = d === 0 ? 0 : frontier[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x]! });
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y]! });
      else ops.push({ kind: '-', line: a[--x]! });
    }
  }
  return ops.reverse();
}

export interface UnifiedOptions {
  /** Label of the old side (`--- label`). */
  from: string;
  /** Label of the new side (`+++ label`). */
  to: string;
  /** Unchanged lines around each change (default 3, like diff -u). */
  context?: number;
}

/** A unified diff of two texts; empty string when they are equal. */
export function unifiedDiff(oldText: string, newText: string, options: UnifiedOptions): string {
  if (oldText === newText) return '';
  // A last line without its newline differs from the same line with one: mark it with a NUL
  // (which no text file we diff holds) so the diff sees the difference, then print diff -u's note.
  const mark = (text: string) => {
    const list = lines(text);
    if (list.length && !text.endsWith('\n')) list[list.length - 1] += '\0';
    return list;
  };
  const ops = diffLines(mark(oldText), mark(newText));
  const context = options.context ?? 3;

  // Line numbers (1-based) on each side where every op sits, for the hunk headers.
  const positions: { oldLine: number; newLine: number }[] = [];
  let oldLine = 1;
  let newLine = 1;
  for (const op of ops) {
    positions.push({ oldLine, newLine });
    if (op.kind !== '+') oldLine++;
    if (op.kind !== '-') newLine++;
  }

  // Changes closer than 2 * context lines share a hunk.
  const hunks: [number, number][] = [];
  ops.forEach((op, i) => {
    if (op.kind === ' ') return;
    const start = Math.max(0, i - context);
    const end = Math.min(ops.length, i + context + 1);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else hunks.push([start, end]);
  });

  const out = [`--- ${options.from}`, `+++ ${options.to}`];
  for (const [start, end] of hunks) {
    const slice = ops.slice(start, end);
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    const first = positions[start]!;
    // diff -u numbers an empty range by the line before it.
    const oldStart = oldCount === 0 ? first.oldLine - 1 : first.oldLine;
    const newStart = newCount === 0 ? first.newLine - 1 : first.newLine;
    out.push(
      `@@ -${oldStart}${oldCount === 1 ? '' : `,${oldCount}`} +${newStart}${newCount === 1 ? '' : `,${newCount}`} @@`,
    );
    for (const op of slice) {
      if (op.line.endsWith('\0')) out.push(`${op.kind}${op.line.slice(0, -1)}`, '\\ No newline at end of file');
      else out.push(`${op.kind}${op.line}`);
    }
  }
  return `${out.join('\n')}\n`;
}
