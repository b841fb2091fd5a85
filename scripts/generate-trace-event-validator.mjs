#!/usr/bin/env node
// ajv's validator of the TraceEvent schema (shared/normalize/trace-event.ts), compiled here once and
// written as ajv "standalone" code (https://ajv.js.org/standalone.html) to
// shared/normalize/trace-event-validator.generated.js. The bundles carry this ~25 KB function instead of
// ajv and fast-uri (~127 KB minified), which every cold start parsed although ajv ran only on a bad event.
// The code is what `new Ajv({ allErrors: false, strict: false }).compile(traceEventSchema)` builds at
// run time, so the check and its error objects are ajv's, unchanged.
//
//   node scripts/generate-trace-event-validator.mjs          write the file
//   node scripts/generate-trace-event-validator.mjs --check  exit 1 if it is out of date (test/trace-event-validator.test.ts does the same)
import { build } from 'esbuild';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
export const VALIDATOR_FILE = join(root, 'shared', 'normalize', 'trace-event-validator.generated.js');

/** The schema as trace-event.ts exports it (bundled by esbuild: the source is TypeScript). */
async function loadSchema() {
  const result = await build({
    entryPoints: [join(root, 'shared', 'normalize', 'trace-event.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'warning',
  });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', result.outputFiles[0].text)(module, module.exports, require);
  return module.exports.traceEventSchema;
}

/** The text of the generated file: a header naming its source, then ajv's standalone code. */
export async function validatorSource() {
  const { default: Ajv } = require('ajv');
  const { default: standaloneCode } = require('ajv/dist/standalone');
  // The options validate-trace-event.ts used with ajv at run time, plus the source kept for standalone.
  const ajv = new Ajv({ allErrors: false, strict: false, code: { source: true } });
  const code = standaloneCode(ajv, ajv.compile(await loadSchema()));
  return `// GENERATED from shared/normalize/trace-event.ts by \`node scripts/generate-trace-event-validator.mjs\` (ajv ${require('ajv/package.json').version} standalone): edit the schema, then run it.\n${code}\n`;
}

// Resolved: run through a symlinked checkout, argv[1] is the link while import.meta.url is the file.
if (realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const want = await validatorSource();
  let have = '';
  try {
    have = readFileSync(VALIDATOR_FILE, 'utf8');
  } catch {}
  if (have !== want) {
    if (process.argv.includes('--check')) {
      console.error(
        'out of date (run node scripts/generate-trace-event-validator.mjs): shared/normalize/trace-event-validator.generated.js',
      );
      process.exit(1);
    }
    writeFileSync(VALIDATOR_FILE, want);
  }
}
