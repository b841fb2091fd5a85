#!/usr/bin/env node

// The CLI runs from its bundle; `npm ci` builds it (prepare). Build on first use if it is missing.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'cli', 'trailguard.js');
if (!existsSync(bundle)) {
  require('node:child_process').execFileSync(
    process.execPath,
    [join(__dirname, '..', 'scripts', 'build.mjs'), '--quiet'],
    { stdio: 'inherit' },
  );
}
require(bundle);
