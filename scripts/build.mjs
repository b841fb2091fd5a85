// One esbuild build: a bundle per function and platform, the CLI, the demo, the deployment zips and a
// size report.
//   dist/aws/<fn>.js                  Lambda (nodejs22.x), exports handler
//   dist/aws/<fn>.zip                 <fn>.js + map at the root: serverless.yml's package.artifact
//   dist/functiongraph/<fn>/index.js  FunctionGraph (Node.js 20.15), handler index.handler
//   dist/functiongraph/<fn>.zip       index.js + map at the root: the code package to upload
//   dist/cli/trailguard.js            the trailguard CLI
// The AWS SDK is bundled: FunctionGraph does not ship it, and a bundle loads faster than node_modules.
// Every file is written to a temporary name and renamed into place, so a build running next to
// another one (two test workers) never lets a reader see a half-written bundle or zip.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createZip } from './zip.mjs';

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
  write: false,
};

const entries = [
  ...functions.map((fn) => ({ in: `functions/${fn}/aws.ts`, out: `dist/aws/${fn}.js`, zip: `dist/aws/${fn}.zip`, name: `${fn}.js` })),
  ...functions.map((fn) => ({ in: `functions/${fn}/functiongraph.ts`, out: `dist/functiongraph/${fn}/index.js`, zip: `dist/functiongraph/${fn}.zip`, name: 'index.js' })),
  { in: 'cli/trailguard.ts', out: 'dist/cli/trailguard.js' },
  { in: 'scripts/demo.ts', out: 'dist/demo.js' },
];

async function writeAtomically(file, contents) {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

await Promise.all(
  entries.map(async (entry) => {
    const result = await build({ ...common, entryPoints: [join(root, entry.in)], outfile: join(root, entry.out) });
    await Promise.all(result.outputFiles.map((file) => writeAtomically(file.path, file.contents)));
    if (!entry.zip) return;
    // The bundle and its map at the zip's root, under the name the handler setting points at.
    const zipEntries = result.outputFiles.map((file) => ({ name: basename(file.path) === basename(entry.out) ? entry.name : `${entry.name}.map`, data: file.contents }));
    await writeAtomically(join(root, entry.zip), await createZip(zipEntries));
  }),
);

if (!quiet) {
  console.log('bundle sizes (minified):');
  for (const entry of entries) {
    const size = statSync(join(root, entry.out)).size;
    console.log(`  ${entry.out.padEnd(44)} ${(size / 1024).toFixed(1).padStart(8)} KB`);
  }
  console.log('deployment packages (zip, with source maps):');
  for (const entry of entries.filter((e) => e.zip)) {
    const size = statSync(join(root, entry.zip)).size;
    console.log(`  ${entry.zip.padEnd(44)} ${(size / 1024).toFixed(1).padStart(8)} KB`);
  }
}
