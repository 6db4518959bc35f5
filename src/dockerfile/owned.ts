/**
 * The blocks create-fly-multiproc owns in a user's Dockerfile, found by their marker lines: one at
 * the end of the final stage (install, copy, ENTRYPOINT), and for strategies that build a helper
 * (the Procfile manager) one with build stages just before the final FROM. Everything outside the
 * markers is the user's and is never changed. Pure string functions: no parser is needed to find,
 * replace or remove a block, so this module loads with the CLI at no cost.
 */

export const BLOCK_KINDS = ['stages', 'final'] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

const BEGIN = '# >>> create-fly-multiproc';
const END = '# <<< create-fly-multiproc';
/** The text after BEGIN that names the block. */
export const BLOCK_TITLE: Record<BlockKind, string> = { stages: 'build stages', final: 'final stage' };

export type Blocks = Partial<Record<BlockKind, string>>;

export interface Region {
  kind: BlockKind;
  /** Line indexes (0-based) of the BEGIN and END marker lines. */
  begin: number;
  end: number;
  /** The block's text: marker lines included, lines joined with \n, no final newline. */
  text: string;
}

export interface Found {
  regions: Region[];
  /** Marker lines that do not pair up (an edit removed one): the blocks cannot be updated safely. */
  problems: string[];
}

export const splitLines = (text: string) => text.split(/\r?\n/);

/** The owned regions of a Dockerfile's text. */
export function findBlocks(text: string, file = 'Dockerfile'): Found {
  const lines = splitLines(text);
  const regions: Region[] = [];
  const problems: string[] = [];
  let open: { kind: BlockKind | undefined; begin: number } | undefined;
  lines.forEach((line, i) => {
    const trimmed = line.trimEnd();
    if (trimmed.startsWith(BEGIN)) {
      if (open)
        problems.push(
          `${file}:${open.begin + 1}: a create-fly-multiproc block starts here and again at line ${i + 1} without its end marker (${END})`,
        );
      const rest = trimmed.slice(BEGIN.length).trim();
      const kind = BLOCK_KINDS.find((k) => rest.startsWith(BLOCK_TITLE[k]));
      if (!kind)
        problems.push(
          `${file}:${i + 1}: a create-fly-multiproc marker names no block this version knows (${BLOCK_KINDS.map((k) => BLOCK_TITLE[k]).join(', ')})`,
        );
      open = { kind, begin: i };
    } else if (trimmed.startsWith(END)) {
      if (!open) problems.push(`${file}:${i + 1}: an end marker (${END}) without a block start before it`);
      else if (open.kind) {
        if (regions.some((r) => r.kind === open!.kind))
          problems.push(`${file}:${open.begin + 1}: a second create-fly-multiproc ${BLOCK_TITLE[open.kind]} block`);
        regions.push({ kind: open.kind, begin: open.begin, end: i, text: lines.slice(open.begin, i + 1).join('\n') });
      }
      open = undefined;
    }
  });
  if (open)
    problems.push(
      `${file}:${open.begin + 1}: a create-fly-multiproc block starts here but its end marker (${END}) is gone`,
    );
  return { regions, problems };
}

/** The blocks as one string: what is hashed into fly-multiproc.json and compared on a re-run. */
export function serializeBlocks(blocks: Blocks): string {
  return BLOCK_KINDS.filter((k) => blocks[k] !== undefined)
    .map((k) => `${blocks[k]}\n`)
    .join('\n');
}

export function blocksOf(found: Found): Blocks {
  const blocks: Blocks = {};
  for (const r of found.regions) blocks[r.kind] = r.text;
  return blocks;
}

/** The user's lines alone: the text with every owned region (and the blank line put before it) removed. */
export function withoutBlocks(text: string): string {
  const found = findBlocks(text);
  if (!found.regions.length) return text;
  const lines = splitLines(text);
  const drop = new Set<number>();
  for (const r of found.regions) {
    for (let i = r.begin; i <= r.end; i++) drop.add(i);
    if (r.kind === 'stages' && lines[r.end + 1] === '') drop.add(r.end + 1);
    if (r.kind === 'final' && r.begin > 0 && lines[r.begin - 1] === '') drop.add(r.begin - 1);
  }
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  return lines.filter((_, i) => !drop.has(i)).join(eol);
}

/**
 * Put the blocks into the text: an existing region is replaced in place, a missing one is added
 * (the final-stage block at the end of the file, the build stages block at line index `stagesAt`,
 * just before the final stage's FROM and the comments above it), a region the new blocks no longer
 * have is removed. Lines outside the regions are kept byte for byte, line endings included.
 */
export function applyBlocks(text: string, blocks: Blocks, stagesAt: number): string {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const found = findBlocks(text);
  if (found.problems.length)
    throw new Error(`internal: applyBlocks on a Dockerfile with broken markers: ${found.problems.join('; ')}`);
  let lines = splitLines(text);
  const trailing = lines.at(-1) === '';
  if (trailing) lines = lines.slice(0, -1);
  const blockLines = (kind: BlockKind) => splitLines(blocks[kind]!);
  // Work from the bottom up so earlier line indexes stay valid.
  const regions = [...found.regions].sort((a, b) => b.begin - a.begin);
  const have = new Set(regions.map((r) => r.kind));
  if (blocks.final !== undefined && !have.has('final')) {
    // One blank line before the block, always: withoutBlocks takes exactly that one away again.
    lines = [...lines, ...(lines.length ? [''] : []), ...blockLines('final')];
  }
  for (const r of regions) {
    if (blocks[r.kind] !== undefined) {
      lines.splice(r.begin, r.end - r.begin + 1, ...blockLines(r.kind));
    } else {
      const extra = r.kind === 'stages' && lines[r.end + 1] === '' ? 1 : 0;
      const before = r.kind === 'final' && r.begin > 0 && lines[r.begin - 1] === '' ? 1 : 0;
      lines.splice(r.begin - before, r.end - r.begin + 1 + extra + before);
    }
  }
  if (blocks.stages !== undefined && !have.has('stages')) {
    lines.splice(stagesAt, 0, ...blockLines('stages'), '');
  }
  return lines.join(eol) + (trailing || blocks.final !== undefined ? eol : '');
}
