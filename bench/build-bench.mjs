// Bundles the benchmark (bench/run-bench.ts, bench/bench-worker.ts) into dist/bench/, the same way
// scripts/build.mjs bundles the functions, but unminified so CPU profiles stay readable.
// `npm run bench` runs the function build first, then this, then dist/bench/run-bench.js.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bench');
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
  // The bench analyses the function bundles with esbuild itself; take it from node_modules.
  external: ['esbuild', 'dynalite'],
};

await Promise.all([
  build({ ...common, entryPoints: [join(root, 'bench/run-bench.ts')], outfile: join(out, 'run-bench.js') }),
  build({ ...common, entryPoints: [join(root, 'bench/bench-worker.ts')], outfile: join(out, 'bench-worker.js') }),
  build({ ...common, entryPoints: [join(root, 'bench/memory-bench.ts')], outfile: join(out, 'memory-bench.js') }),
]);
copyFileSync(join(root, 'bench/load-module.cjs'), join(out, 'load-module.cjs'));
copyFileSync(join(root, 'bench/parse-reference.cjs'), join(out, 'parse-reference.cjs'));
// The reference for cold-start init: a module with nothing in it.
writeFileSync(join(out, 'empty-module.cjs'), '');
