#!/usr/bin/env node
'use strict';
// Start-up speed: V8 keeps the compiled bundle in a per-user cache, so runs after the first skip
// most of the compilation. Node >= 22.1 does this itself (module.enableCompileCache); on Node 20
// the bundle is compiled here with vm.Script's cachedData. Any failure falls back to a plain require.
//
// The cache directory lives in the shared temp directory, where another user may have created it
// first or planted links in it. So on every use (read and write): the directory must be a real
// directory (lstat, not a symlink) owned by us with no access for others, and the temp directory
// above it must be sticky or writable by its owner only; the cache file is opened with O_NOFOLLOW
// and must be ours; it is written under a random name with O_EXCL | O_NOFOLLOW, then renamed.
// Where any of this does not hold, the cache is skipped: it costs speed, never safety.
const Module = require('node:module');
const path = require('node:path');
const bundle = path.join(__dirname, '..', 'dist', 'index.cjs');

// The package ships dist/ (built by `prepack`). A clone has no dist/ until its first build, and
// `npm ci` builds nothing (a `prepare` script would, but it makes every install of the tarball warn
// about install scripts), so the first run from a clone builds it.
if (!require('node:fs').existsSync(bundle)) buildFromClone();

function buildFromClone() {
  const root = path.join(__dirname, '..');
  const script = path.join(root, 'scripts', 'build.mjs');
  if (!require('node:fs').existsSync(script)) {
    process.stderr.write(
      `create-fly-multiproc: ${bundle} is missing: this copy of the package was packed without its build; reinstall it\n`,
    );
    process.exit(1);
  }
  process.stderr.write(
    'create-fly-multiproc: building dist/ (first run from a clone; `npm run build` after changing src/)\n',
  );
  const result = require('node:child_process').spawnSync(process.execPath, [script], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (result.status !== 0) {
    process.stderr.write(
      'create-fly-multiproc: the build failed; run `npm ci` in the clone first (esbuild is a dev dependency), then `npm run build`\n',
    );
    process.exit(1);
  }
}

/** The cache directory, when it is safe to use (created if missing); undefined otherwise. */
function cacheDir(fs, os, uid, create) {
  const parent = os.tmpdir();
  const up = fs.lstatSync(parent);
  // Others may write in the temp directory only when it is sticky (they cannot then rename or remove our directory).
  if (!up.isDirectory() || ((up.mode & 0o022) !== 0 && (up.mode & 0o1000) === 0)) return undefined;
  const dir = path.join(parent, `create-fly-multiproc-cache-${uid}`);
  let info = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!info && create) {
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch {
      // created meanwhile: checked below like any other
    }
    info = fs.lstatSync(dir, { throwIfNoEntry: false });
  }
  if (!info || !info.isDirectory() || info.uid !== uid || (info.mode & 0o077) !== 0) return undefined;
  return dir;
}

function runCached() {
  const fs = require('node:fs');
  const os = require('node:os');
  const vm = require('node:vm');
  const uid = process.getuid();
  const fd = fs.openSync(bundle, 'r');
  let source;
  let key;
  try {
    const stat = fs.fstatSync(fd);
    source = fs.readFileSync(fd, 'utf8');
    // V8 checks the source only by its length: name the cache by the bundle's identity, so an
    // upgraded bundle of the same length never runs on bytecode compiled from the old one.
    key = `${process.version}-${process.arch}-${stat.size}-${Math.trunc(stat.mtimeMs)}-${stat.ino}`;
  } finally {
    fs.closeSync(fd);
  }
  let cachedData;
  try {
    const dir = cacheDir(fs, os, uid, false);
    if (dir) {
      const cfd = fs.openSync(
        path.join(dir, `${key}.bin`),
        fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
      );
      try {
        const info = fs.fstatSync(cfd);
        if (info.isFile() && info.uid === uid && info.size < 64 * 1024 * 1024) cachedData = fs.readFileSync(cfd);
      } finally {
        fs.closeSync(cfd);
      }
    }
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // Written at exit, when the functions that ran are compiled too.
    process.once('exit', () => {
      let temp;
      try {
        const dir = cacheDir(fs, os, uid, true);
        if (!dir) return;
        temp = path.join(dir, `.${key}.${require('node:crypto').randomBytes(8).toString('hex')}.tmp`);
        const out = fs.openSync(
          temp,
          fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
          0o600,
        );
        try {
          fs.writeSync(out, script.createCachedData());
        } finally {
          fs.closeSync(out);
        }
        fs.renameSync(temp, path.join(dir, `${key}.bin`));
        temp = undefined;
      } catch {
        // a read-only temp directory only costs speed
      } finally {
        if (temp) {
          try {
            fs.unlinkSync(temp);
          } catch {
            // never created
          }
        }
      }
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = Module._nodeModulePaths(path.dirname(bundle));
  script
    .runInThisContext()
    .call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
}

if (typeof Module.enableCompileCache === 'function') {
  // Node's own cache, but in the checked per-user directory (its default, node-compile-cache in the
  // temp directory, is one name for every user). No safe directory: no cache.
  try {
    const dir =
      typeof process.getuid === 'function'
        ? cacheDir(require('node:fs'), require('node:os'), process.getuid(), true)
        : undefined;
    if (dir || typeof process.getuid !== 'function') Module.enableCompileCache(dir);
  } catch {
    // only speed is lost
  }
  require(bundle);
} else if (process.env.CREATE_FLY_MULTIPROC_NO_CACHE || typeof process.getuid !== 'function') {
  require(bundle); // no owner to check on Windows: no hand-made cache
} else {
  runCached();
}
