// Bundle the CLI into one file (dist/index.js) so `npx create-fly-multiproc` starts fast.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies (ejs, prompts, commander) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __cfmCreateRequire } from 'node:module'; const require = __cfmCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
