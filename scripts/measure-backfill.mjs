// Measures what one S3 Batch Operations task costs the built Lambda bundle: each task names one copy of
// a CloudTrail log file in the fauxqs S3 emulator on loopback; the bundle's handler (dist/aws/<fn>.js, warm,
// in this process) fetches it, runs the pipeline and the memory stage, and answers. Prints one JSON line.
// The numbers feed docs/backfill-aws.md ("What a 10 TB archive costs").
//   node scripts/build.mjs && node scripts/measure-backfill.mjs <fn> <file.json.gz> [tasks]
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [fn = 'unauthorized-api', file, taskArg = '12'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node scripts/measure-backfill.mjs <fn> <file.json.gz> [tasks]\n');
  process.exit(2);
}
const tasks = Number(taskArg);
const body = readFileSync(file);
const rawBytes = gunzipSync(body).length;

const emulator = spawn(
  process.execPath,
  [
    join(root, 'scripts', 'fauxqs-server.mjs'),
    JSON.stringify({ buckets: ['trail'], topics: [{ name: 'alerts' }], queues: [], subscriptions: [] }),
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const address = await new Promise((resolve) =>
  createInterface({ input: emulator.stdout }).once('line', (line) => resolve(JSON.parse(line).address)),
);

Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  IP_WHITELIST: '203.0.113.0/24',
  RULE_SETS: 'all',
  ALERT_TOPIC: 'arn:aws:sns:us-east-1:000000000000:alerts',
  SINK_ENDPOINT: address,
  S3_ENDPOINT: address,
  METRIC_MODE: 'off',
  LOG_LEVEL: 'silent',
});
const { S3Client, PutObjectCommand } = await import(pathToFileURL(require_('@aws-sdk/client-s3')).href);
const s3 = new S3Client({ region: 'us-east-1', endpoint: address, forcePathStyle: true });
const keys = Array.from(
  { length: tasks },
  (_v, i) => `AWSLogs/000000000000/CloudTrail/us-east-1/2026/11/05/copy-${i}.json.gz`,
);
for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'trail', Key: key, Body: body }));
s3.destroy();

const { handler } = await import(pathToFileURL(join(root, 'dist', 'aws', `${fn}.js`)).href);
const times = [];
const cpu = [];
let answers = 0;
for (const [i, key] of keys.entries()) {
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const answer = await handler({
    invocationSchemaVersion: '1.0',
    invocationId: `inv-${i}`,
    job: { id: 'measure' },
    tasks: [{ taskId: `t-${i}`, s3Key: key, s3VersionId: null, s3BucketArn: 'arn:aws:s3:::trail' }],
  });
  const used = process.cpuUsage(cpuStarted);
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
  cpu.push((used.user + used.system) / 1000);
  if (answer.results[0].resultCode === 'Succeeded') answers += 1;
  else process.stderr.write(`${JSON.stringify(answer.results[0])}\n`);
}
emulator.stdin.end();
// The first task is cold (JIT, SDK chunk loads, alerts published); a backfill is mostly warm tasks.
const warm = times.slice(1).sort((a, b) => a - b);
const median = warm[Math.floor(warm.length / 2)];
const warmCpu = cpu.slice(1).sort((a, b) => a - b)[Math.floor(warm.length / 2)];
process.stdout.write(
  `${JSON.stringify({
    function: fn,
    file,
    gzipBytes: statSync(file).size,
    rawBytes,
    tasks,
    succeeded: answers,
    firstTaskMs: Math.round(times[0]),
    medianWarmTaskMs: Math.round(median),
    medianWarmTaskCpuMs: Math.round(warmCpu),
    gzipMBPerSecond: Number((statSync(file).size / 1e6 / (median / 1000)).toFixed(1)),
    rawMBPerSecond: Number((rawBytes / 1e6 / (median / 1000)).toFixed(1)),
  })}\n`,
);

function require_(name) {
  return join(root, 'node_modules', name, 'dist-cjs', 'index.js');
}
