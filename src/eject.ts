// `create-fly-multiproc eject`: copy built-in templates out as a starting point for --templates.
import { linkSync, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';
import { printable, shellWordForDisplay } from './escape.js';
import {
  kindOf,
  lstatInside,
  makeParentDirs,
  osCall,
  readRegular,
  removeQuietly,
  shownPath,
  writeTemp,
} from './fs-safe.js';
import { BUILTIN_TEMPLATES, listTemplates, TEMPLATE_EXT } from './render.js';

export interface EjectedFile {
  /** Template path relative to the templates directory, e.g. `partials/app.ejs`. */
  template: string;
  /** Where it was (or would have been) copied. */
  target: string;
  /** create: copied; identical: already there, same content; kept: already there and different, left alone. */
  action: 'create' | 'identical' | 'kept';
}

/**
 * The built-in templates a list of names selects, in a stable order. A name is a template path
 * (`partials/app.ejs`, `.ejs` optional), a directory (`supervisord`, `partials`), or the file a
 * template writes when only one template writes it (`fly.toml`, `supervisor.conf`). No names: all.
 */
export function selectTemplates(
  names: readonly string[],
  available: readonly string[] = listTemplates(BUILTIN_TEMPLATES),
): string[] {
  if (!names.length) return [...available];
  const chosen = new Set<string>();
  const problems: string[] = [];
  for (const raw of names) {
    const name = raw.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
    const exact = available.filter((t) => t === name || t === `${name}${TEMPLATE_EXT}`);
    const inDir = available.filter((t) => t.startsWith(`${name}/`));
    const byOutput = available.filter((t) => path.posix.basename(t) === `${name}${TEMPLATE_EXT}`);
    const matches = exact.length ? exact : inDir.length ? inDir : byOutput.length === 1 ? byOutput : [];
    if (matches.length) for (const t of matches) chosen.add(t);
    else if (byOutput.length > 1)
      problems.push(`eject ${raw}: several templates write ${name}: name one of ${byOutput.join(', ')}`);
    else problems.push(`eject ${raw}: no built-in template of that name`);
  }
  if (problems.length) throw new UsageError(problems, `the built-in templates are: ${available.join(', ')}`);
  return available.filter((t) => chosen.has(t));
}

/** Copy the selected templates into `to` (created if needed). Never overwrites: a file already there is kept. */
export function eject(names: readonly string[], to: string): EjectedFile[] {
  const templates = selectTemplates(names);
  const dir = path.resolve(to);
  const info = osCall(to, () => statSync(dir, { throwIfNoEntry: false }));
  if (info && !info.isDirectory()) throw new UsageError(`eject --to ${to}: ${dir} is a file, not a directory`);
  if (!info && osCall(to, () => lstatSync(dir, { throwIfNoEntry: false }))?.isSymbolicLink()) {
    throw new UsageError(`eject --to ${to}: ${dir} is a dangling symlink; remove it or point it at a directory`);
  }
  const planned = templates.map((template): EjectedFile & { content: string } => {
    const content = readRegular(path.join(BUILTIN_TEMPLATES, ...template.split('/')))!;
    // Inside the directory the user named, the same rules as in a project: no symlinked subdirectory, no link as a target.
    const { file: target, info: existing } = lstatInside(dir, template);
    if (existing && !existing.isFile())
      throw new UsageError(`eject: ${target} exists and is ${kindOf(existing)}, not a file; move it away first`);
    const action = !existing ? 'create' : readRegular(target) === content ? 'identical' : 'kept';
    return { template, target, action, content };
  });
  for (const file of planned) {
    if (file.action !== 'create') continue;
    makeParentDirs(dir, file.template);
    // A complete temporary file, then link(): never replaces a file, even one that appeared meanwhile, and never leaves half a file.
    const temp = writeTemp(file.target, file.content, 0o644);
    try {
      osCall(shownPath(file.target), () => linkSync(temp, file.target));
    } finally {
      removeQuietly(temp);
    }
  }
  return planned.map(({ template, target, action }) => ({ template, target, action }));
}

/** What eject did, for the terminal. */
export function ejectSummary(files: readonly EjectedFile[], to: string): string {
  const lines = files.map(
    (f) =>
      `  ${f.action.padEnd(9)} ${printable(path.join(to, ...f.template.split('/')))}${f.action === 'kept' ? '  (exists and differs: left alone)' : ''}`,
  );
  const created = files.filter((f) => f.action === 'create').length;
  const arg = shellWordForDisplay(to);
  lines.push(
    '',
    created
      ? `Copied ${created} template${created === 1 ? '' : 's'}. Edit them, delete the ones you do not change (those keep following the built-in templates), then run:`
      : 'Nothing copied: every template is already there. Use them with:',
    `  npx create-fly-multiproc --templates ${arg} ...`,
    'TEMPLATES.md lists what a template can use.',
  );
  return `${lines.join('\n')}\n`;
}
