#!/usr/bin/env node
// The WebAssembly of shared/intake/record-scan.c, compiled here with clang (Debian's clang and lld:
// `apt-get install clang lld`; no libc, no Emscripten) and written as base64 into
// shared/intake/record-scan-wasm.generated.ts with the SHA-256 of the source it came from. The sources,
// tests and bundles all carry those bytes; nothing compiles C at run time or at `npm ci`.
//
//   node scripts/generate-record-scan-wasm.mjs          compile and write the file (needs clang)
//   node scripts/generate-record-scan-wasm.mjs --check  exit 1 if the file was not generated from the current
//                                                       source (by its hash; with the same clang, also the bytes)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(root, 'shared', 'intake', 'record-scan.c');
export const GENERATED = join(root, 'shared', 'intake', 'record-scan-wasm.generated.ts');
const CLANG_FLAGS = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-nostdlib',
  '-fno-builtin',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wl,--no-entry',
  '-Wl,--export=__heap_base',
  '-Wl,--strip-all',
];

function clangVersion() {
  const run = spawnSync('clang', ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.split('\n')[0].trim() : undefined;
}

function compile() {
  const dir = mkdtempSync(join(tmpdir(), 'record-scan-'));
  try {
    const out = join(dir, 'record-scan.wasm');
    const run = spawnSync('clang', [...CLANG_FLAGS, '-o', out, SOURCE], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`clang failed:\n${run.stderr}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function generatedText(wasm, version, sourceHash) {
  return (
    `// GENERATED from shared/intake/record-scan.c by \`node scripts/generate-record-scan-wasm.mjs\` (${version}): edit the .c, then run it.\n` +
    `export const RECORD_SCAN_SOURCE_SHA256 = '${sourceHash}';\n` +
    `export const RECORD_SCAN_CLANG = '${version}';\n` +
    `export const RECORD_SCAN_WASM =\n  '${wasm.toString('base64')}';\n`
  );
}

// Resolved: run through a symlinked checkout, argv[1] is the link while import.meta.url is the file.
if (realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const sourceHash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex');
  let have = '';
  try {
    have = readFileSync(GENERATED, 'utf8');
  } catch {}
  const version = clangVersion();
  if (process.argv.includes('--check')) {
    const problems = [];
    if (!have.includes(`RECORD_SCAN_SOURCE_SHA256 = '${sourceHash}'`))
      problems.push('generated from another version of shared/intake/record-scan.c');
    else if (
      version &&
      have.includes(`RECORD_SCAN_CLANG = '${version}'`) &&
      have !== generatedText(compile(), version, sourceHash)
    )
      problems.push(`not what ${version} compiles from shared/intake/record-scan.c`);
    if (problems.length > 0) {
      console.error(
        `out of date (run node scripts/generate-record-scan-wasm.mjs): shared/intake/record-scan-wasm.generated.ts: ${problems.join('; ')}`,
      );
      process.exit(1);
    }
  } else {
    if (!version) {
      console.error('clang not found: install clang and lld (Debian: apt-get install clang lld)');
      process.exit(1);
    }
    writeFileSync(GENERATED, generatedText(compile(), version, sourceHash));
  }
}
