// Cold-start init in a fresh process: how long `require` of one module takes, its module-level work
// (config loading, schema and rule compilation, SDK set-up) included, plus the FunctionGraph
// `initializer` when the module has one (FunctionGraph loads config there, not at require). Plain JS,
// so nothing else is loaded first. Prints one JSON line: { ms, maxRssBytes }.
//   node bench/load-module.cjs <module.js>
'use strict';
const { resolve } = require('node:path');
const { pathToFileURL } = require('node:url');
const target = resolve(process.argv[2]);

async function main() {
  const start = process.hrtime.bigint();
  // Lambda bundles are ES modules (loaded as Lambda loads them); the others are CommonJS.
  const loaded = target.endsWith('.mjs') ? await import(pathToFileURL(target).href) : require(target);
  let initError;
  if (loaded && typeof loaded.initializer === 'function') {
    // No context methods: the handler falls back to process.env, which the bench fills.
    loaded.initializer({}, (error) => {
      if (error) initError = error;
    });
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const out = { ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  if (initError) out.error = String(initError.message || initError);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main();
