#!/usr/bin/env node
// The WebAssembly module of shared/intake/string-stops.wat, assembled here with wabt (wat2wasm) and written
// as base64 into shared/intake/string-stops-wasm.generated.ts, so the sources, the tests and the bundles
// carry the same ~190 bytes and nothing assembles WebAssembly at run time.
//
//   node scripts/generate-string-stops-wasm.mjs          write the file
//   node scripts/generate-string-stops-wasm.mjs --check  exit 1 if it is out of date (test/string-stops.test.ts does the same)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const WAT_FILE = join(root, 'shared', 'intake', 'string-stops.wat');
export const WASM_FILE = join(root, 'shared', 'intake', 'string-stops-wasm.generated.ts');

async function moduleSource() {
  const wabt = await require('wabt')();
  const parsed = wabt.parseWat('string-stops.wat', readFileSync(WAT_FILE, 'utf8'), { simd: true });
  parsed.validate();
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  const base64 = Buffer.from(buffer).toString('base64');
  return (
    `// GENERATED from shared/intake/string-stops.wat by \`node scripts/generate-string-stops-wasm.mjs\` (wabt ${require('wabt/package.json').version}): edit the .wat, then run it.\n` +
    `export const STRING_STOPS_WASM =\n  '${base64}';\n`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const want = await moduleSource();
  let have = '';
  try {
    have = readFileSync(WASM_FILE, 'utf8');
  } catch {}
  if (have !== want) {
    if (process.argv.includes('--check')) {
      console.error(
        'out of date (run node scripts/generate-string-stops-wasm.mjs): shared/intake/string-stops-wasm.generated.ts',
      );
      process.exit(1);
    }
    writeFileSync(WASM_FILE, want);
  }
}
