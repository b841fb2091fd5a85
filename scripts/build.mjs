// One esbuild build: a bundle per function and platform, the CLI, the demo, and a size report.
//   dist/aws/<fn>.js                  Lambda (nodejs22.x), exports handler
//   dist/functiongraph/<fn>/index.js  FunctionGraph (Node.js 20.15), handler index.handler
//   dist/cli/trailguard.js            the trailguard CLI
// The AWS SDK is bundled: FunctionGraph does not ship it, and a bundle loads faster than node_modules.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const functions = readdirSync(join(root, 'functions')).filter((name) => existsSync(join(root, 'functions', name, 'aws.ts')));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

const entries = [
  ...functions.map((fn) => ({ in: `functions/${fn}/aws.ts`, out: `dist/aws/${fn}.js` })),
  ...functions.map((fn) => ({ in: `functions/${fn}/functiongraph.ts`, out: `dist/functiongraph/${fn}/index.js` })),
  { in: 'cli/trailguard.ts', out: 'dist/cli/trailguard.js' },
  { in: 'scripts/demo.ts', out: 'dist/demo.js' },
];

await Promise.all(entries.map((entry) => build({ ...common, entryPoints: [join(root, entry.in)], outfile: join(root, entry.out) })));

if (!quiet) {
  console.log('bundle sizes (minified):');
  for (const entry of entries) {
    const size = statSync(join(root, entry.out)).size;
    console.log(`  ${entry.out.padEnd(44)} ${(size / 1024).toFixed(1).padStart(8)} KB`);
  }
}
