#!/usr/bin/env node

const { existsSync } = require('node:fs');
const { join } = require('node:path');

// Node 22.8 and later keep the compiled bundle in a disk cache (NODE_DISABLE_COMPILE_CACHE=1 turns it off):
// the next run skips most of its compilation. In the user's own cache folder, not the shared temporary one
// (a cache another local user wrote is not to be loaded); NODE_COMPILE_CACHE, when set, names it instead.
// Node 20 has no such cache: nothing happens there.
const { enableCompileCache } = require('node:module');
if (enableCompileCache && !process.env.NODE_COMPILE_CACHE) {
  try {
    const cacheHome = process.env.XDG_CACHE_HOME || join(require('node:os').homedir(), '.cache');
    enableCompileCache(join(cacheHome, 'trailguard', 'node-compile-cache'));
  } catch {
    // No home folder to keep it in (homedir() throws without one): run without the cache.
  }
}

// The CLI runs from its bundle; `npm ci` builds it (prepare). Build on first use if it is missing.
const bundle = join(__dirname, '..', 'dist', 'cli', 'trailguard.js');
if (!existsSync(bundle)) {
  require('node:child_process').execFileSync(
    process.execPath,
    [join(__dirname, '..', 'scripts', 'build.mjs'), '--quiet'],
    { stdio: 'inherit' },
  );
}
require(bundle);
