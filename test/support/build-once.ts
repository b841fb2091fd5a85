/**
 * `node scripts/build.mjs --quiet`, once per jest run: the first suite that needs dist/ builds it, every
 * other suite of the run (in any worker) waits for that build and gets its result. A run that needs no
 * bundle builds nothing; `npx jest test/one.test.ts` builds once, as before.
 *
 * test/support/jest-global-setup.ts names the run (TRAILGUARD_TEST_RUN, inherited by the workers) and
 * gives it a folder; outside jest, or without that variable, every call builds. Suites that test the
 * build itself with other options (test/build-output.test.ts, without --quiet) keep running their own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Longer than any build on a loaded 2-core machine; past it a waiting suite fails instead of hanging. */
const WAIT_MS = 10 * 60_000;

export interface BuildResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runBuild(): BuildResult {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: build.status, stdout: build.stdout, stderr: build.stderr };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** The result of this jest run's one build of dist/ (built now if no suite has yet). */
export function buildBundles(): BuildResult {
  const folder = process.env.TRAILGUARD_TEST_RUN;
  if (!folder || !existsSync(folder)) return runBuild();
  const result = join(folder, 'build-result.json');
  const lock = join(folder, 'build-lock');
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (existsSync(result)) return JSON.parse(readFileSync(result, 'utf8')) as BuildResult;
    try {
      mkdirSync(lock);
    } catch {
      // Another suite is building. A builder that died leaves its lock behind: take it over.
      const owner = Number(readFileSafely(join(lock, 'pid')));
      if (owner > 0 && !alive(owner) && !existsSync(result)) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited ${WAIT_MS / 1000} s for another suite's build of dist/`);
      Atomics.wait(pause, 0, 0, 200);
      continue;
    }
    writeFileSync(join(lock, 'pid'), String(process.pid));
    const built = runBuild();
    writeFileSync(`${result}.tmp`, JSON.stringify(built));
    renameSync(`${result}.tmp`, result);
    return built;
  }
}

function readFileSafely(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
