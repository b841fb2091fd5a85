// The whole-process reference of `npm run bench`: what any reader of these files must at least do.
//   node parse-reference.cjs parse <file or folder>    gunzip + JSON.parse of every file
//   node parse-reference.cjs gunzip <file or folder>   gunzip alone (the floor)
'use strict';
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { gunzipSync } = require('node:zlib');

const [mode, path] = process.argv.slice(2);
const files = statSync(path).isDirectory()
  ? readdirSync(path)
      .filter((name) => name.endsWith('.gz'))
      .sort()
      .map((name) => join(path, name))
  : [path];
let records = 0;
for (const file of files) {
  const bytes = gunzipSync(readFileSync(file));
  if (mode === 'parse') records += JSON.parse(bytes.toString('utf8')).Records.length;
}
process.stdout.write(`${JSON.stringify({ files: files.length, records })}\n`);
