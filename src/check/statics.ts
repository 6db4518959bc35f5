/**
 * [[statics]] guest_path must be a directory of the image Fly runs: Fly's proxy reads the files from
 * the Machine's image, and a path that is not there answers 404 for every URL under url_prefix
 * (the app never sees those requests). Compared with what the final stage creates: its WORKDIRs,
 * COPY/ADD destinations (the build context's directories behind them) and `mkdir`s. Paths of the
 * base image (/usr, /var, /opt, ...) are not known here and claim nothing.
 */
import path from 'node:path';
import { finalChain, baseImage } from './dockerfile.js';
import type { FlyFacts } from './fly-toml.js';
import type { Dockerfile, Setup } from './setup.js';
import type { Reporter } from './types.js';

/** Top-level directories a base image may bring: a guest_path under them is not judged. */
const BASE_DIRS = new Set([
  'usr',
  'var',
  'etc',
  'opt',
  'srv',
  'home',
  'tmp',
  'bin',
  'sbin',
  'lib',
  'lib64',
  'root',
  'run',
  'mnt',
  'media',
  'data',
]);

interface ImageFacts {
  workdirs: string[];
  /** COPY/ADD destinations: from another stage or an image (contents unknown), or from the build context with their sources. */
  copies: { dest: string; written: string; sources: string[]; other: boolean; line: number }[];
  mkdirs: string[];
  /** Line of the last RUN: a build step after a COPY may create what the build context lacks. */
  lastRun: number;
}

function imageFacts(d: Dockerfile): ImageFacts {
  const facts: ImageFacts = { workdirs: [], copies: [], mkdirs: [], lastRun: 0 };
  let workdir = '/';
  for (const stage of finalChain(d)) {
    for (const ins of stage.instructions) {
      if (ins.keyword === 'WORKDIR') {
        workdir = path.posix.resolve(workdir, unquote(ins.args[0] ?? '/'));
        facts.workdirs.push(workdir);
      } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
        const parts = ins.exec ?? ins.args;
        const dest = path.posix.resolve(workdir, parts.at(-1) ?? '.');
        facts.copies.push({
          dest,
          written: parts.at(-1) ?? '.',
          sources: parts.slice(0, -1),
          other: ins.flags.from !== undefined || ins.keyword === 'ADD',
          line: ins.line,
        });
      } else if (ins.keyword === 'RUN') {
        facts.lastRun = ins.line;
        for (const m of ins.raw.matchAll(/\bmkdir\s+((?:-\S+\s+)*)([^&;|\n]+)/g)) {
          for (const p of m[2]!.trim().split(/\s+/))
            if (!p.startsWith('-')) facts.mkdirs.push(path.posix.resolve(workdir, p));
        }
      }
    }
  }
  return facts;
}

/** WORKDIR "/app" as Docker reads it. */
export const unquote = (s: string) => (s.length >= 2 && /^(["']).*\1$/.test(s) ? s.slice(1, -1) : s);

const under = (child: string, parent: string) =>
  child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);

/** Is guest_path in the image: yes, no (with why), or unknown. */
function locate(
  guest: string,
  image: ImageFacts,
  setup: Setup,
): { found: true } | { found: false; why: string } | undefined {
  if (image.workdirs.some((w) => under(w, guest)) || image.mkdirs.some((m) => under(m, guest))) return { found: true };
  let contextMiss: string | undefined;
  for (const copy of image.copies) {
    if (under(copy.dest, guest)) return { found: true };
    if (!under(guest, copy.dest)) continue;
    // Another stage's files, or a build step after the copy (npm run build makes dist/): not known here.
    if (copy.other || image.lastRun > copy.line) return { found: true };
    const rest = guest.slice(copy.dest.length).replace(/^\//, '');
    for (const src of copy.sources) {
      const clean = src.replace(/^\.\/?/, '').replace(/\/$/, '');
      const rel = clean ? (rest ? `${clean}/${rest}` : clean) : rest;
      if (!rel || setup.files.some((f) => f === rel || f.startsWith(`${rel}/`))) return { found: true };
      contextMiss ??= `COPY ${[...copy.sources, copy.written].join(' ')} (Dockerfile line ${copy.line}) puts the build context at ${copy.dest}, but the project has no ${rel}/`;
    }
  }
  if (contextMiss) return { found: false, why: contextMiss };
  const top = guest.split('/')[1] ?? '';
  if (BASE_DIRS.has(top)) return undefined;
  // Only when the Dockerfile shows where the app lives instead: a bare `FROM x` may be an image that has it.
  const places = [...new Set([...image.workdirs, ...image.copies.map((c) => c.dest)])]
    .filter((p) => p !== '/')
    .slice(0, 4);
  if (!places.length) return undefined;
  return { found: false, why: `nothing in the final stage creates /${top} (it puts files in ${places.join(', ')})` };
}

export function checkStaticsInImage(fly: FlyFacts, setup: Setup, d: Dockerfile, out: Reporter): void {
  if (fly.notDockerfile.length) return; // the Dockerfile is not what Fly builds
  const image = imageFacts(d);
  for (const entry of fly.statics) {
    const guest = entry.guestPath.replace(/\/+$/, '') || '/';
    const where = locate(guest, image, setup);
    if (where && !where.found) {
      out.report(
        'consistency/statics-missing',
        fly.file,
        entry.line,
        `guest_path = ${JSON.stringify(entry.guestPath)} is not in the image built from ${d.path} (FROM ${baseImage(d)}): ${where.why}`,
      );
    }
  }
}
