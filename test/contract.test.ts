/**
 * The strategy contract: every strategy in the registry (src/strategies/index.ts) has golden cases,
 * behaviour tests and an image test, and its Dockerfile installs every program its entrypoint and
 * config run. A new strategy is picked up here without editing this file: one that forgets any of
 * these fails.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRATEGIES, STRATEGY_NAMES, type InstalledProgram } from '../src/strategies/index.js';
import type { RenderedFile } from '../src/render.js';
import { BUILTIN_TEMPLATES } from '../src/render.js';
import { CASES, renderCase } from './cases.js';
import { ROOT } from './helpers.js';

/** Cases whose strategy is this one (no --strategy: the default). */
const casesOf = (name: string) =>
  Object.keys(CASES).filter((c) => (CASES[c]!.answers.strategy ?? 'process-groups') === name);

/**
 * Programs every final stage has without installing anything: shell builtins and keywords, and the
 * coreutils/busybox commands the generated scripts use (Debian's base images and Alpine's busybox
 * both have them). bash itself: every Debian image; on Alpine the strategy's needsBash installs it.
 */
const BASE_PROGRAMS = new Set([
  // bash keywords and builtins
  ...'if then else elif fi for while until do done case esac in function select time return exit exec set shift trap wait kill local readonly declare export unset echo printf read cd pwd test true false break continue eval source'.split(
    ' ',
  ),
  // coreutils / busybox
  ...'cat sed grep sleep env dirname basename mkdir rm mv cp ln chmod head tail tr cut date id sh bash nohup mktemp tee touch'.split(
    ' ',
  ),
]);

/** The command names a generated shell script runs: the first word of each simple command (after exec). */
export function commandsRun(script: string): string[] {
  const found = new Set<string>();
  const code = script
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .map((line) => line.replace(/\s#\s.*$/, ''))
    .join('\n');
  // A command starts a line (or a subshell's), or follows ; & | && || $( { then do else. `(` within a
  // line is left out: it is mostly text in a string.
  const starts =
    /(?<=^|^[ \t]*\(|[;&|{]|\$\(|\bthen|\bdo|\belse)[ \t]*(?:exec\s+|command\s+|nohup\s+)?([A-Za-z][\w.+-]*)(?=\s|$|;|\))/gm;
  // Functions the script defines are not programs.
  const functions = new Set([...code.matchAll(/^\s*(?:function\s+)?([A-Za-z_][\w]*)\s*\(\)/gm)].map((m) => m[1]!));
  for (const m of code.matchAll(starts)) {
    const word = m[1]!;
    const before = code.slice(Math.max(0, m.index! - 1), m.index! + m[0].indexOf(word));
    if (/=\s*$/.test(before) || functions.has(word)) continue; // an assignment's value, a function of the script
    found.add(word);
  }
  return [...found];
}

/** Is `program` installed by this Dockerfile the way the strategy says? */
function installedBy(dockerfile: string, program: InstalledProgram): boolean {
  if (program.pkg) {
    const installs = [...dockerfile.matchAll(/(?:apt-get install[^\n]*|apk add[^\n]*)/g)].map((m) => m[0]);
    return installs.some((line) => line.split(/\s+/).includes(program.pkg!));
  }
  if (program.path)
    return new RegExp(`^COPY\\b[^\\n]*\\s${program.path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm').test(
      dockerfile,
    );
  return false;
}

/** The files a case writes that run something: shell scripts the strategy generates. */
const scripts = (files: RenderedFile[]) => files.filter((f) => f.executable && f.path.endsWith('.sh'));

/** What is wrong with a strategy, as the contract sees it (empty: nothing). */
export function contractProblems(name: string): string[] {
  const problems: string[] = [];
  const strategy = STRATEGIES[name as keyof typeof STRATEGIES];
  const cases = casesOf(name);
  if (!cases.length)
    problems.push(
      `${name}: no golden case in test/cases.ts (add one with strategy: '${name}', then npm run golden:update)`,
    );
  for (const c of cases)
    if (!existsSync(path.join(ROOT, 'test', 'golden', c)))
      problems.push(`${name}: golden case ${c} has no files in test/golden/${c} (run npm run golden:update)`);
  if (!existsSync(path.join(ROOT, 'test', 'behaviour', `${name}.test.ts`)))
    problems.push(
      `${name}: no behaviour test test/behaviour/${name}.test.ts (real processes on 127.0.0.1 running what it generates)`,
    );
  const imageTests = readdirSync(path.join(ROOT, 'test-image')).filter((f) => f.endsWith('.test.ts'));
  const imageCase = new RegExp(`imageCase\\(\\s*['\`]${name}['\`-]`);
  if (!imageTests.some((f) => imageCase.test(readFileSync(path.join(ROOT, 'test-image', f), 'utf8'))))
    problems.push(
      `${name}: no image test in test-image/ (an imageCase('${name}', ...) that builds and runs its Dockerfile)`,
    );
  for (const partial of Object.values(strategy.partials)) {
    if (partial && !existsSync(path.join(BUILTIN_TEMPLATES, partial)))
      problems.push(`${name}: its partial ${partial} is not in templates/`);
  }
  for (const c of cases) {
    const { plan, files } = renderCase(c);
    const dockerfile = files.find((f) => f.path === 'Dockerfile')?.content;
    const declared = strategy.programs(plan);
    const ownCommands = new Set(plan.processes.flatMap((p) => p.argv.slice(0, 1)));
    for (const script of scripts(files)) {
      for (const program of commandsRun(script.content)) {
        if (BASE_PROGRAMS.has(program) || ownCommands.has(program) || declared.some((d) => d.program === program))
          continue;
        problems.push(
          `${name} (case ${c}): ${script.path} runs ${program}, which is neither in every base image nor in the strategy's programs() (declare it, and install it in its Dockerfile)`,
        );
      }
    }
    if (dockerfile === undefined) continue; // a Dockerfile of the user's own, kept: nothing of ours to check
    for (const program of declared) {
      if (!installedBy(dockerfile, program))
        problems.push(
          `${name} (case ${c}): the generated Dockerfile does not install ${program.program} (${program.pkg ? `package ${program.pkg}` : `COPY to ${program.path}`}), which its files run`,
        );
    }
  }
  return problems;
}

describe('commandsRun: what a script runs', () => {
  it('finds exec targets, background jobs and commands after operators, not assignments or comments', () => {
    const script = [
      '#!/usr/bin/env bash',
      '# exec hidden',
      'x=$(dirname -- "$0")',
      'stop() { kill 1; }',
      'supervisord -c a.conf &',
      'if [ -S x ]; then exec overmind start; fi',
      'FOO=bar',
      'exec "$@"',
      'trap stop TERM',
      'stop',
    ].join('\n');
    expect(commandsRun(script).sort()).toEqual(
      ['dirname', 'exec', 'fi', 'if', 'kill', 'overmind', 'supervisord', 'then', 'trap'].sort(),
    );
  });
});

describe('every strategy in the registry keeps the contract', () => {
  it.each(STRATEGY_NAMES)('%s', (name) => {
    expect(contractProblems(name)).toEqual([]);
  });
});
