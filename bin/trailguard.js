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
startReplayWorkerEarly(process.argv.slice(2));
require(bundle);

/**
 * `replay` over a folder with more than one thread: its first worker thread starts now, while the CLI
 * loads, and the replay adopts it (cli/replay-workers.ts adoptEarlyWorker) or ends it. A thread spends
 * ~100 ms starting; begun here, that runs beside the main thread's own start instead of after it.
 */
function isFolder(path) {
  try {
    return require('node:fs').statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    // ENOTDIR, EACCES, ELOOP…: the replay says what is wrong with the path; here it is just not a folder.
    return false;
  }
}

function startReplayWorkerEarly(args) {
  if (args[0] !== 'replay') return;
  const { availableParallelism } = require('node:os');
  let threads = availableParallelism();
  let folder = false;
  for (let k = 1; k < args.length; k++) {
    const arg = args[k];
    if (arg === '--threads' || arg.startsWith('--threads=')) {
      threads = Number(arg === '--threads' ? args[k + 1] : arg.slice('--threads='.length));
      continue;
    }
    if (!folder && !arg.startsWith('-')) folder = isFolder(arg);
  }
  const script = join(__dirname, '..', 'dist', 'cli', 'replay-worker.js');
  if (!(threads >= 2) || !folder || !existsSync(script)) return;
  const { Worker } = require('node:worker_threads');
  try {
    const worker = new Worker(script, { workerData: 'trailguard early replay worker' });
    const early = { worker, script, exited: false };
    worker.on('error', () => {});
    worker.on('exit', () => {
      early.exited = true;
    });
    worker.unref();
    globalThis[Symbol.for('trailguard.earlyReplayWorker')] = early;
  } catch {
    // No thread to be had: the replay starts its own, or reads everything on the main thread.
  }
}
