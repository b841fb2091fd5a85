// One esbuild build: a bundle per function and platform, the CLI, the demo, the deployment zips and a
// size report.
//   dist/aws/<fn>.js                  Lambda (nodejs22.x), CommonJS exporting handler; the AWS SDK clients (and the
//                                     maxmind reader) sit in ES-module chunks in dist/aws/chunks/ and load on first use
//   dist/aws/<fn>.zip                 <fn>.js, the chunks it can load and the maps: serverless.yml's package.artifact
//   dist/functiongraph/<fn>/index.js  FunctionGraph (Node.js 20.15), handler index.handler
//   dist/functiongraph/<fn>.zip       index.js + map at the root: the code package to upload
//   dist/cli/trailguard.js            the trailguard CLI, and dist/cli/replay-worker.js, its worker thread
//   dist/geo/                         the geo databases (scripts/geo-db.mjs), in every zip under geo/, never in a bundle
// The AWS SDK is bundled: FunctionGraph does not ship it, and a bundle loads faster than node_modules.
// Every file is written to a temporary name and renamed into place, so a build running next to
// another one (two test workers) never lets a reader see a half-written bundle or zip.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chunkName, deferredAssert, lazyPackages, withoutPinoTransports } from './bundle-plugins.mjs';
import { prepareGeoFiles } from './geo-db.mjs';
import { createZip, prepareEntry } from './zip.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const functions = readdirSync(join(root, 'functions')).filter((name) =>
  existsSync(join(root, 'functions', name, 'aws.ts')),
);

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // TRAILGUARD_MINIFY=0: readable bundles, for CPU profiles.
  minify: process.env.TRAILGUARD_MINIFY !== '0',
  sourcemap: true,
  legalComments: 'none',
  // Class and function names survive minification: logs report err.type (ConfigError, SinkError…) as written.
  keepNames: true,
  logLevel: 'warning',
  absWorkingDir: root,
  write: false,
  plugins: [deferredAssert],
};

const entries = [
  ...functions.map((fn) => ({
    in: `functions/${fn}/functiongraph.ts`,
    out: `dist/functiongraph/${fn}/index.js`,
    zip: `dist/functiongraph/${fn}.zip`,
    name: 'index.js',
    plugins: [deferredAssert, withoutPinoTransports],
  })),
  // The CLI: the packages it imports dynamically (the SDK clients, maxmind) in dist/cli/chunks/, as on
  // Lambda, so every run does not compile ~1 MB it may never use.
  { in: 'cli/trailguard.ts', out: 'dist/cli/trailguard.js', lazyChunks: 'dist/cli/chunks' },
  // replay --threads: the worker thread, beside the CLI it is started from.
  { in: 'cli/replay-worker.ts', out: 'dist/cli/replay-worker.js' },
  { in: 'scripts/demo.ts', out: 'dist/demo.js' },
];

async function writeAtomically(file, contents) {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

/**
 * The packages an entry imports dynamically, as one ES-module build with code splitting in `outdir`
 * (`<name>.mjs`, shared code in `chunk-<hash>.mjs`). CommonJS dependencies inside those chunks still call
 * `require` for Node built-ins: the banner gives every chunk a real one. With `write`, the files are
 * written; otherwise the caller writes them (Lambda also zips them).
 */
async function buildChunks(packages, outdir, write = true) {
  const chunks = await build({
    ...common,
    format: 'esm',
    splitting: true,
    mainFields: ['module', 'main'],
    metafile: true,
    entryPoints: Object.fromEntries(packages.map((pkg) => [chunkName(pkg), pkg])),
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    banner: {
      js: "import { createRequire as __trailguardRequire } from 'node:module'; const require = __trailguardRequire(import.meta.url);",
    },
  });
  if (write) await Promise.all(chunks.outputFiles.map((file) => writeAtomically(file.path, file.contents)));
  return chunks;
}

/**
 * Lambda: per function one CommonJS bundle, dist/aws/<fn>.js, loaded as Lambda loads a handler (a
 * CommonJS file: no ES-module loader, no chunk linking at cold start); the packages it imports dynamically
 * come from one ES-module build with code splitting in dist/aws/chunks/, imported on first use (the SDK
 * clients share their @smithy core there). `mainFields` prefers the SDK's ES-module builds, which
 * tree-shake. CommonJS dependencies inside those chunks still call `require` for Node built-ins: the
 * banner gives every chunk a real one.
 */
async function buildLambda(geoEntries) {
  const lazyByFunction = new Map();
  const entryResults = await Promise.all(
    functions.map(async (fn) => {
      const found = new Set();
      const result = await build({
        ...common,
        entryPoints: [join(root, 'functions', fn, 'aws.ts')],
        outfile: join(root, 'dist', 'aws', `${fn}.js`),
        plugins: [deferredAssert, withoutPinoTransports, lazyPackages(found)],
      });
      lazyByFunction.set(fn, found);
      return result;
    }),
  );
  const packages = [...new Set([...lazyByFunction.values()].flatMap((found) => [...found]))].sort();
  const chunks = await buildChunks(packages, join(root, 'dist', 'aws', 'chunks'), false);
  const outputFiles = [...entryResults.flatMap((result) => result.outputFiles), ...chunks.outputFiles];
  await Promise.all(outputFiles.map((file) => writeAtomically(file.path, file.contents)));
  const contents = new Map(outputFiles.map((file) => [relative(join(root, 'dist', 'aws'), file.path), file.contents]));
  const outputs = chunks.metafile.outputs;
  for (const fn of functions) {
    // The entry and everything it can load, statically or dynamically, with the source maps.
    const files = new Set([`${fn}.js`]);
    const visit = (output) => {
      const name = relative('dist/aws', output);
      if (files.has(name)) return;
      files.add(name);
      for (const imported of outputs[output].imports) if (!imported.external) visit(imported.path);
    };
    for (const pkg of lazyByFunction.get(fn)) visit(`dist/aws/chunks/${chunkName(pkg)}.mjs`);
    const zipEntries = [...files]
      .flatMap((name) => [name, `${name}.map`])
      .map((name) => ({ name, data: contents.get(name) }));
    await writeAtomically(join(root, 'dist', 'aws', `${fn}.zip`), await createZip([...zipEntries, ...geoEntries]));
  }
  return { outputs, lazyByFunction };
}

// The geo databases, deflated once for all zips: geo/<file> beside the bundle.
const geoEntries = await Promise.all(
  (await prepareGeoFiles(root)).map(async (file) => ({
    name: `geo/${basename(file)}`,
    prepared: await prepareEntry(await readFile(file)),
  })),
);

const [lambda] = await Promise.all([
  buildLambda(geoEntries),
  ...entries.map(async (entry) => {
    const found = new Set();
    const result = await build({
      ...common,
      ...(entry.plugins ? { plugins: entry.plugins } : {}),
      ...(entry.lazyChunks ? { plugins: [deferredAssert, lazyPackages(found)] } : {}),
      entryPoints: [join(root, entry.in)],
      outfile: join(root, entry.out),
    });
    await Promise.all(result.outputFiles.map((file) => writeAtomically(file.path, file.contents)));
    if (entry.lazyChunks) await buildChunks([...found].sort(), join(root, entry.lazyChunks));
    if (!entry.zip) return;
    // The bundle and its map at the zip's root, under the name the handler setting points at.
    const zipEntries = result.outputFiles.map((file) => ({
      name: basename(file.path) === basename(entry.out) ? entry.name : `${entry.name}.map`,
      data: file.contents,
    }));
    await writeAtomically(join(root, entry.zip), await createZip([...zipEntries, ...geoEntries]));
  }),
]);

if (!quiet) {
  console.log('Lambda bundles (minified; the entry loads at cold start, the chunks of the SDK clients on first use):');
  const { outputs, lazyByFunction } = lambda;
  for (const fn of functions) {
    const entry = `dist/aws/${fn}.js`;
    const lazy = new Set();
    const walk = (output) => {
      if (lazy.has(output)) return;
      lazy.add(output);
      for (const imported of outputs[output].imports) if (!imported.external) walk(imported.path);
    };
    for (const pkg of lazyByFunction.get(fn)) walk(`dist/aws/chunks/${chunkName(pkg)}.mjs`);
    const lazyBytes = [...lazy].reduce((sum, output) => sum + outputs[output].bytes, 0);
    console.log(
      `  ${entry.padEnd(44)} ${(statSync(join(root, entry)).size / 1024).toFixed(1).padStart(8)} KB at cold start, ${(lazyBytes / 1024).toFixed(1)} KB in lazy chunks`,
    );
  }
  console.log('other bundles (minified):');
  for (const entry of entries) {
    const size = statSync(join(root, entry.out)).size;
    console.log(`  ${entry.out.padEnd(44)} ${(size / 1024).toFixed(1).padStart(8)} KB`);
  }
  console.log('deployment packages written (zip, with source maps and the geo databases in geo/):');
  const zips = [...functions.map((fn) => `dist/aws/${fn}.zip`), ...entries.filter((e) => e.zip).map((e) => e.zip)];
  for (const zip of zips) {
    const size = statSync(join(root, zip)).size;
    console.log(`  ${zip.padEnd(44)} ${(size / 1024).toFixed(1).padStart(8)} KB`);
  }
}
