/**
 * `[[statics]]`: Fly's proxy serves files from the image under a URL prefix, so no extra web
 * server process is needed for them (reference/fly-toml.md 1.7). flyctl checks nothing here; the
 * docs allow up to 10 entries whose prefixes do not overlap. A request under the prefix for a
 * file that is not there goes on to the app, which is why Rails' `public/` is served at "/".
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import path from 'node:path/posix';

export interface Static {
  /** URL prefix, as written to fly.toml (normalised: leading "/", no trailing "/" but for "/"). */
  urlPrefix: string;
  /** Absolute directory in the image. */
  guestPath: string;
}

export const MAX_STATICS = 10;

/** Characters a URL path prefix or an image path may hold here: what the proxy and TOML take without escaping surprises. */
const PATH_CHARS = /^[A-Za-z0-9._~/@+-]+$/;

function normalisePrefix(prefix: string): string {
  const p = prefix.startsWith('/') ? prefix : `/${prefix}`;
  return p.length > 1 ? p.replace(/\/+$/, '') || '/' : p;
}

/**
 * One `--statics` value, `URL_PREFIX=GUEST_PATH` (`/static=/app/public`). A relative guest path is
 * taken inside the app directory of the image (`/assets=public/assets` -> `/app/public/assets`).
 * Returns the entry, or a problem in the user's terms.
 */
export function parseStatic(value: string, appDir: string): Static | { problem: string } {
  const eq = value.indexOf('=');
  if (eq < 0)
    return {
      problem: `"${value}" is not URL_PREFIX=PATH: write it like /static=/app/public (the URL prefix, then the directory in the image)`,
    };
  const rawPrefix = value.slice(0, eq).trim();
  const rawGuest = value.slice(eq + 1).trim();
  if (!rawPrefix || !PATH_CHARS.test(rawPrefix) || rawPrefix.includes('//') || /(^|\/)\.\.?(\/|$)/.test(rawPrefix)) {
    return {
      problem: `"${rawPrefix}" is not a URL path prefix: use letters, digits and . _ ~ @ + - between slashes, like /static`,
    };
  }
  if (!rawGuest || !PATH_CHARS.test(rawGuest)) {
    return {
      problem: `"${rawGuest}" is not a directory path: use letters, digits and . _ ~ @ + - between slashes, like /app/public`,
    };
  }
  const guestPath =
    path.normalize(rawGuest.startsWith('/') ? rawGuest : path.join(appDir, rawGuest)).replace(/\/+$/, '') || '/';
  if (rawGuest.split('/').includes('..'))
    return {
      problem: `"${rawGuest}" goes up with "..": give the directory in the image as an absolute path, like ${path.join(appDir, 'public')}`,
    };
  if (guestPath === '/' || /^\/(proc|sys|dev|etc|bin|sbin|lib|usr)(\/|$)/.test(guestPath)) {
    return {
      problem: `"${guestPath}" is a system directory: Fly's proxy would serve it to anyone; point at the directory of your static files, like ${path.join(appDir, 'public')}`,
    };
  }
  return { urlPrefix: normalisePrefix(rawPrefix), guestPath };
}

/** Problems of a whole list: how many, and prefixes that overlap (the docs' rules). */
export function staticsProblems(list: readonly Static[]): string[] {
  const problems: string[] = [];
  if (list.length > MAX_STATICS)
    problems.push(`${list.length} statics given: Fly serves at most ${MAX_STATICS}; merge directories or drop some`);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const [a, b] = [list[i]!.urlPrefix, list[j]!.urlPrefix];
      if (a === b) problems.push(`url_prefix "${a}" is given twice: give each prefix once`);
      else if (overlaps(a, b))
        problems.push(
          `url_prefix "${a}" and "${b}" overlap: Fly requires statics prefixes that do not contain each other; keep one, or use prefixes side by side like /static and /media`,
        );
    }
  }
  return problems;
}

function overlaps(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short === '/' || long.startsWith(`${short}/`);
}

/** Directories that usually hold files served as they are, and the URL prefix they are served at. */
const OBVIOUS: readonly { dir: string; urlPrefix: string }[] = [
  { dir: 'public', urlPrefix: '/' },
  { dir: 'static', urlPrefix: '/static' },
];

/**
 * What the wizard offers, from the directories at the top of the project: `public/` at "/" (Rails,
 * Laravel, Express), `static/` at /static (Django, Flask, Go apps).
 * Only directories the image will hold (not ignored by .dockerignore) should be passed in.
 */
export function suggestedStatics(topDirs: readonly string[], appDir: string): Static[] {
  const present = new Set(topDirs);
  const found = OBVIOUS.filter((o) => present.has(o.dir)).map((o) => ({
    urlPrefix: o.urlPrefix,
    guestPath: path.join(appDir, o.dir),
  }));
  // "/" overlaps every other prefix: with both, only the narrower one is offered.
  return found.length > 1 ? found.filter((s) => s.urlPrefix !== '/') : found;
}

/** The obvious static directories at the top of a project (real directories, not links), for suggestedStatics. */
export function staticDirsIn(dir: string): string[] {
  return OBVIOUS.map((o) => o.dir).filter((name) => {
    try {
      return lstatSync(join(dir, name)).isDirectory();
    } catch {
      return false;
    }
  });
}
