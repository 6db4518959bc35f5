// Bundle the CLI into one CommonJS file (dist/index.cjs) so `npx create-fly-multiproc` starts
// about as fast as Node itself: no module resolution at run time, no ESM loader. The interactive
// prompts library is a second file, loaded only when someone is asked something.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/**
 * Node built-ins that only some runs need (crypto for the state file's hashes, vm for template
 * syntax errors, readline for prompts, child_process for commander's executable subcommands) are
 * loaded on first use instead of at start-up: each `require('node:x')` in the bundle becomes a proxy
 * that requires the module when a property is first read.
 */
const LAZY_BUILTINS = [
  'child_process',
  'crypto',
  'vm',
  'readline',
  'fs/promises',
  'stream',
  'string_decoder',
  'os',
  'assert',
];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.map((m) => m.replace('/', '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) =>
      // The proxy's own require() is the real module.
      args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      // An object with one getter per export (the list read from this Node at build time): esbuild's
      // ESM interop copies the getters, and the module loads when an export is first read.
      contents: [
        'let m;',
        `const load = () => (m ??= require(${JSON.stringify(`node:${args.path}`)}));`,
        `for (const key of ${JSON.stringify(Object.keys(require(`node:${args.path}`)))}) Object.defineProperty(exports, key, { enumerable: true, get: () => load()[key] });`,
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * prompts is a third of the bundle and only a terminal session needs it: it goes into its own file,
 * dist/prompts.cjs, which the wizard and the conflict prompt require when they run.
 */
const promptsApart = {
  name: 'prompts-apart',
  setup(b) {
    // A bundled stub that requires the external file: dynamic import() of it then compiles to a
    // require() too, and the bundle never needs Node's ESM loader.
    b.onResolve({ filter: /^prompts$/ }, () => ({ path: 'prompts', namespace: 'prompts-apart' }));
    b.onResolve({ filter: /^\.\/prompts\.cjs$/ }, () => ({ path: './prompts.cjs', external: true }));
    b.onLoad({ filter: /.*/, namespace: 'prompts-apart' }, () => ({
      contents: "module.exports = require('./prompts.cjs');",
      loader: 'js',
    }));
  },
};

/**
 * `check` (its rules, dockerfile-ast) is only needed by the check subcommand: it goes into
 * dist/check.cjs, required when that subcommand runs, so normal runs do not parse it.
 */
const checkApart = {
  name: 'check-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/check\/main\.js$/ }, () => ({ path: 'check', namespace: 'check-apart' }));
    b.onResolve({ filter: /^\.\/check\.cjs$/ }, () => ({ path: './check.cjs', external: true }));
    b.onLoad({ filter: /.*/, namespace: 'check-apart' }, () => ({
      contents: "module.exports = require('./check.cjs');",
      loader: 'js',
    }));
  },
};

/**
 * The Dockerfile parser (dockerfile-ast and the language-server types it needs) is as big as the rest
 * of the bundle and only a project with a Dockerfile of its own needs it: src/dockerfile/index.ts goes
 * into dist/dockerfile.cjs, which cli.ts loads (`await import('./dockerfile/index.js')`) only then.
 */
const dockerfileApart = {
  name: 'dockerfile-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/dockerfile\/index\.js$/ }, () => ({
      path: 'dockerfile',
      namespace: 'dockerfile-apart',
    }));
    b.onResolve({ filter: /^\.\/dockerfile\.cjs$/ }, () => ({ path: './dockerfile.cjs', external: true }));
    b.onLoad({ filter: /.*/, namespace: 'dockerfile-apart' }, () => ({
      contents: "module.exports = require('./dockerfile.cjs');",
      loader: 'js',
    }));
  },
};

/**
 * The fly.toml editor (src/flytoml/) is only needed when the project has a fly.toml of its own to
 * merge into: src/flytoml.ts goes into dist/flytoml.cjs, which write.ts loads
 * (`await import('./flytoml.js')`) only then.
 */
const flytomlApart = {
  name: 'flytoml-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/flytoml\.js$/ }, () => ({ path: 'flytoml', namespace: 'flytoml-apart' }));
    b.onResolve({ filter: /^\.\/flytoml\.cjs$/ }, () => ({ path: './flytoml.cjs', external: true }));
    b.onLoad({ filter: /.*/, namespace: 'flytoml-apart' }, () => ({
      contents: "module.exports = require('./flytoml.cjs');",
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  plugins: [lazyBuiltins],
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.cjs',
  define: { __VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__cfmImportMetaUrl' },
  banner: { js: "const __cfmImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [lazyBuiltins, promptsApart, checkApart, dockerfileApart, flytomlApart],
});
await build({ ...common, entryPoints: ['src/check/main.ts'], outfile: 'dist/check.cjs' });
await build({ ...common, entryPoints: ['src/dockerfile/index.ts'], outfile: 'dist/dockerfile.cjs' });
await build({ ...common, entryPoints: ['src/flytoml.ts'], outfile: 'dist/flytoml.cjs' });
await build({ ...common, entryPoints: ['prompts'], outfile: 'dist/prompts.cjs' });
