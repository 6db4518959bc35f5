/**
 * Can the final image's USER run what the setup starts? Files keep their build-context mode and
 * belong to root unless COPY --chown/--chmod or a RUN chmod/chown says otherwise; WORKDIR creates a
 * root-owned directory. Checked: the ENTRYPOINT script has an execute bit (for anyone), a non-root
 * USER can read and run the setup's own files, and can write where supervisord and overmind put
 * their pid file, log and socket by default (the working directory).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { finalInstructions, finalUser } from './dockerfile.js';
import { resolveImagePath, runInstructions, type Dockerfile, type Instruction, type Setup } from './setup.js';
import type { ScriptFacts } from './script.js';
import { unquote } from './statics.js';
import type { SupervisorFacts } from './supervisor.js';
import type { Reporter } from './types.js';

/** A file of the setup and the final-stage COPY/ADD that puts it into the image. */
interface Copied {
  file: string;
  /** Its path in the image. */
  image: string;
  copy: Instruction;
}

const isRoot = (user: string | undefined) => user === undefined || /^(root|0)(:.*)?$/.test(user);

/** Mode bits of a project file, or undefined when it cannot be read. */
function modeOf(setup: Setup, rel: string): number | undefined {
  try {
    return statSync(path.join(setup.dir, rel)).mode & 0o777;
  } catch {
    return undefined;
  }
}

/** The final stage's COPY/ADD (from the build context) that copies `rel`, and where it lands. */
function copyOf(d: Dockerfile, rel: string): Copied | undefined {
  let workdir = '/';
  let found: Copied | undefined;
  for (const ins of d.stages.at(-1)?.instructions ?? []) {
    if (ins.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, unquote(ins.args[0] ?? '/'));
    if ((ins.keyword !== 'COPY' && ins.keyword !== 'ADD') || ins.flags.from !== undefined) continue;
    const parts = (ins.exec ?? ins.args).filter((p) => !p.startsWith('--'));
    const dest = parts.at(-1) ?? '.';
    const destPath = path.posix.resolve(workdir, dest);
    for (const src of parts.slice(0, -1)) {
      const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
      if (clean === rel)
        found = {
          file: rel,
          image: dest.endsWith('/') || parts.length > 2 ? `${destPath}/${path.posix.basename(rel)}` : destPath,
          copy: ins,
        };
      else if (clean === '.' || rel.startsWith(`${clean}/`))
        found = {
          file: rel,
          image: path.posix.join(destPath, clean === '.' ? rel : rel.slice(clean.length + 1)),
          copy: ins,
        };
    }
  }
  return found;
}

/** A RUN of the final image changes the mode (or owner) of this image path: chmod/chown naming it, its directory with -R, or a glob over it. */
function changedLater(d: Dockerfile, image: string, what: 'chmod' | 'chown'): boolean {
  const base = path.posix.basename(image);
  const dir = path.posix.dirname(image);
  return finalInstructions(d).some((ins) => {
    if (ins.keyword !== 'RUN') return false;
    for (const m of ins.raw.matchAll(new RegExp(`\\b${what}\\s+([^&;|\\n]+)`, 'g'))) {
      const args = m[1]!.trim().split(/\s+/);
      const recursive = args.some((a) => /^-\w*R/.test(a));
      for (const a of args) {
        if (a.startsWith('-')) continue;
        if (a === image || a.endsWith(`/${base}`) || a === base) return true;
        if (a.includes('*') && path.posix.dirname(a) === dir) return true;
        if (recursive && (image.startsWith(`${a.replace(/\/$/, '')}/`) || a === '.')) return true;
      }
    }
    return false;
  });
}

/** The ENTRYPOINT script must have an execute bit: Docker execs the file itself. */
function checkEntrypointMode(setup: Setup, d: Dockerfile, out: Reporter): void {
  const entrypoint = runInstructions(d).entrypoint;
  const word = entrypoint?.exec?.[0];
  if (!entrypoint || !word) return;
  const rel = resolveImagePath(setup, word);
  const copied = rel !== undefined ? copyOf(d, rel) : undefined;
  const mode = rel !== undefined ? modeOf(setup, rel) : undefined;
  if (!rel || !copied || mode === undefined || mode & 0o111) return;
  if (copied.copy.flags.chmod !== undefined || changedLater(d, copied.image, 'chmod')) return;
  out.report(
    'dockerfile/entrypoint-not-executable',
    d.path,
    entrypoint.line,
    `ENTRYPOINT runs ${word}, copied from ${rel} (line ${copied.copy.line}) with mode ${mode.toString(8).padStart(4, '0')} and no chmod after it`,
  );
}

/** Files a non-root USER must read (and, for scripts, run): the scripts, supervisord configs and Procfiles of the setup. */
function checkReadable(
  setup: Setup,
  d: Dockerfile,
  user: { user: string; line: number },
  scripts: ScriptFacts[],
  out: Reporter,
): void {
  const entry = runInstructions(d).entrypoint?.exec?.[0];
  const entryFile = entry !== undefined ? resolveImagePath(setup, entry) : undefined;
  const needed = [
    ...scripts.map((s) => s.file.path),
    ...setup.supervisor.map((s) => s.path),
    ...setup.procfiles.map((p) => p.path),
  ];
  for (const rel of new Set(needed)) {
    const copied = copyOf(d, rel);
    const mode = modeOf(setup, rel);
    if (!copied || mode === undefined || copied.copy.flags.chown !== undefined || copied.copy.flags.chmod !== undefined)
      continue;
    const run = rel === entryFile;
    const missing = [...(mode & 0o004 ? [] : ['read']), ...(run && mode & 0o111 && !(mode & 0o001) ? ['run'] : [])];
    if (!missing.length) continue;
    if (changedLater(d, copied.image, 'chmod') || changedLater(d, copied.image, 'chown')) continue;
    out.report(
      'dockerfile/user-cannot-read',
      d.path,
      copied.copy.line,
      `${rel} is copied with mode ${mode.toString(8).padStart(4, '0')} and no --chown: in the image it belongs to root, and USER ${user.user} (line ${user.line}) cannot ${missing.join(' or ')} it`,
    );
  }
}

/** The final WORKDIR, and whether the Dockerfile gives it to someone other than root. */
function workdirOf(d: Dockerfile): { path: string; line: number; handedOver: boolean; afterUser: boolean } | undefined {
  let workdir: { path: string; line: number } | undefined;
  let userSeen = false;
  let afterUser = false;
  for (const ins of finalInstructions(d)) {
    if (ins.keyword === 'USER') userSeen = true;
    if (ins.keyword === 'WORKDIR') {
      workdir = { path: path.posix.resolve(workdir?.path ?? '/', unquote(ins.args[0] ?? '/')), line: ins.line };
      afterUser = userSeen; // created while a USER was set: who owns it depends on the builder, claim nothing
    }
  }
  if (!workdir || workdir.path.includes('$')) return undefined;
  const w = workdir.path;
  const handedOver = finalInstructions(d).some((ins) => {
    if (ins.keyword === 'RUN') {
      if (
        new RegExp(`\\bchown\\b[^&;|\\n]*(\\s${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/?(\\s|$)|\\s\\.(\\s|$))`).test(
          ins.raw,
        )
      )
        return true;
      if (/\buseradd\b/.test(ins.raw) && new RegExp(`(-d|--home-dir|--home)[= ]${w}(\\s|$)`).test(ins.raw)) return true;
      if (/\bchmod\b[^&;|\n]*\b(777|1777|o\+w|a\+w)\b/.test(ins.raw) && ins.raw.includes(w)) return true;
    }
    // COPY --chown of a directory onto the WORKDIR may hand the directory over (builders differ):
    // claim nothing then. Files copied into it leave the directory root's.
    if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && ins.flags.chown !== undefined) {
      const parts = ins.exec ?? ins.args;
      const directory =
        ins.flags.from !== undefined || parts.slice(0, -1).some((src) => src === '.' || src.endsWith('/'));
      if (directory && path.posix.resolve(w, parts.at(-1) ?? '') === w) return true;
    }
    return false;
  });
  return { ...workdir, handedOver, afterUser };
}

/** supervisord and overmind write into the working directory unless told otherwise. */
function writersInWorkdir(supervisors: SupervisorFacts[], overmind: boolean, env: string, workdir: string): string[] {
  const writers: string[] = [];
  const inWorkdir = (value: string | undefined) =>
    value === undefined ||
    (!value.startsWith('/') && !value.startsWith('%(')) ||
    value === workdir ||
    value.startsWith(`${workdir}/`);
  for (const sv of supervisors) {
    const sup = sv.sections.find((s) => s.name === 'supervisord');
    if (!sup) continue;
    for (const [key, fallback] of [
      ['logfile', 'supervisord.log'],
      ['pidfile', 'supervisord.pid'],
    ] as const) {
      const v = sup.keys.get(key)?.value;
      if (v !== undefined && /^(\/dev\/|NONE$|syslog$)/.test(v)) continue;
      if (inWorkdir(v))
        writers.push(
          `supervisord's ${key} (${sv.file.path}${sup.keys.get(key) ? `:${sup.keys.get(key)!.line}` : `: not set, so ${fallback} in the working directory`})`,
        );
    }
  }
  if (overmind) {
    const socket =
      /OVERMIND_SOCKET[=\s]+["']?(?:\$\{\w+:-)?([^\s"'}]+)/.exec(env)?.[1] ??
      /overmind\s+(?:start|s)\b[^\n]*\s(?:-s|--socket)[= ]["']?([^\s"']+)/.exec(env)?.[1];
    if (inWorkdir(socket))
      writers.push(`overmind's socket (${socket ?? 'OVERMIND_SOCKET not set, so ./.overmind.sock'})`);
  }
  return writers;
}

export interface UserContext {
  setup: Setup;
  d: Dockerfile;
  scripts: ScriptFacts[];
  supervisors: SupervisorFacts[];
  overmind: boolean;
  /** The run-time text the environment can come from (Dockerfile, scripts, fly.toml [env]). */
  env: string;
}

/** All the USER and file-mode rules of the final image. */
export function checkUser(context: UserContext, out: Reporter): void {
  const { setup, d, scripts, supervisors } = context;
  checkEntrypointMode(setup, d, out);
  const u = finalUser(d);
  if (isRoot(u.user) || u.line === undefined) return;
  const user = { user: u.user!, line: u.line };
  for (const o of u.ownerOnly) {
    const target = resolveImagePath(setup, o.path);
    if (target && scripts.some((s) => s.file.path === target))
      out.report(
        'dockerfile/user-cannot-run',
        d.path,
        o.line,
        `${o.path} is executable by its owner (root) only, but USER ${user.user} (line ${user.line}) runs it`,
      );
  }
  for (const sv of supervisors) {
    for (const s of sv.sections) {
      for (const key of ['pidfile', 'file', 'logfile']) {
        const v = s.keys.get(key);
        if (v && /^\/(var\/run|run|var\/log)\//.test(v.value) && !/chown[^\n]*\/(var\/run|run|var\/log)/.test(d.text))
          out.report(
            'dockerfile/user-cannot-run',
            sv.file.path,
            v.line,
            `${key}=${v.value}: USER ${user.user} (Dockerfile line ${user.line}) cannot write there`,
          );
      }
    }
  }
  checkReadable(setup, d, user, scripts, out);
  const workdir = workdirOf(d);
  if (!workdir || workdir.handedOver || workdir.afterUser || workdir.path === '/tmp') return;
  const writers = writersInWorkdir(supervisors, context.overmind, context.env, workdir.path);
  if (writers.length) {
    out.report(
      'dockerfile/workdir-not-writable',
      d.path,
      workdir.line,
      `WORKDIR ${workdir.path} is created by root and never handed to USER ${user.user} (line ${user.line}), but ${writers.join(' and ')} ${writers.length === 1 ? 'is' : 'are'} written there`,
    );
  }
}
