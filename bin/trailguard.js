#!/usr/bin/env node

// The CLI runs from its bundle; `npm ci` builds it (prepare). Build on first use if it is missing.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// Node 22.1 and later keep the compiled bundle in a disk cache (NODE_DISABLE_COMPILE_CACHE=1 turns it off):
// the next run skips most of its compilation. Node 20 has no such cache; nothing happens there.
require('node:module').enableCompileCache?.();

const bundle = join(__dirname, '..', 'dist', 'cli', 'trailguard.js');
if (!existsSync(bundle)) {
  require('node:child_process').execFileSync(
    process.execPath,
    [join(__dirname, '..', 'scripts', 'build.mjs'), '--quiet'],
    { stdio: 'inherit' },
  );
}
require(bundle);
