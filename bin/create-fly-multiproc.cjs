#!/usr/bin/env node
'use strict';
// Start-up speed: V8 keeps the compiled bundle in a per-user cache, so runs after the first skip
// most of the compilation. Node >= 22.1 does this itself (module.enableCompileCache); on Node 20
// the bundle is compiled here with vm.Script's cachedData. Any failure falls back to a plain require.
const Module = require('node:module');
const path = require('node:path');
const bundle = path.join(__dirname, '..', 'dist', 'index.cjs');

function runCached() {
  const fs = require('node:fs');
  const os = require('node:os');
  const vm = require('node:vm');
  const source = fs.readFileSync(bundle, 'utf8');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const dir = path.join(os.tmpdir(), `create-fly-multiproc-cache-${uid}`);
  // V8 accepts cached data for any source of the same length: the bundle's mtime tells builds apart.
  const cacheFile = path.join(dir, `${process.version}-${source.length}-${Math.trunc(fs.statSync(bundle).mtimeMs)}.bin`);
  let cachedData;
  try {
    const info = fs.statSync(dir);
    // Only a directory of our own that nobody else can write to.
    if (info.isDirectory() && (uid === 'user' || info.uid === uid) && (info.mode & 0o022) === 0) cachedData = fs.readFileSync(cacheFile);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // Written at exit, when the functions that ran are compiled too.
    process.once('exit', () => {
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const temp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(temp, cacheFile);
      } catch {
        // a read-only temp directory only costs speed
      }
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = Module._nodeModulePaths(path.dirname(bundle));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
}

if (typeof Module.enableCompileCache === 'function') {
  Module.enableCompileCache();
  require(bundle);
} else if (process.env.CREATE_FLY_MULTIPROC_NO_CACHE) {
  require(bundle);
} else {
  runCached();
}
