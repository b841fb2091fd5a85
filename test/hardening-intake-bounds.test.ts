/**
 * Small hostile inputs finish in seconds with bounded memory, on the shipped artifacts: the built CLI
 * (`bin/trailguard.js replay`) and the built Lambda bundle (`dist/aws/login-whitelist.js`, fed by an S3
 * object from the fauxqs emulator where the input is a file). Each run is a child process with a small
 * `--max-old-space-size` and a wall-clock limit; a run that is killed, runs out of heap or takes too
 * long fails the test.
 *
 * - nested CloudWatch Logs payloads (issue #10.1): an awslogs envelope inside a log event is rejected
 *   without being unpacked, and MAX_DECOMPRESSED_MB bounds the total inflation of one input;
 * - millions of tiny elements or lines (#10.2): counts, the first 100 rejections, one "… and N more";
 * - NDJSON of more lines than a spread into `push` survives (#10.3): the one outsider login is alerted;
 * - symbolic link loops in a replayed folder (#10.10).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { TEST_CREDENTIALS } from './support/sqs-inbox';
import {
  gzipNdjson,
  nestedAwsLogs,
  nestedInflation,
  ndjsonWithOneOutsider,
  repeatedLines,
  tinyElementList,
} from './support/hostile-inputs';
import { goodLogin } from './support/intake-paths';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const MiB = 1024 * 1024;
const WHITELIST = '203.0.113.0/24, 2001:db8:1::/48';
/**
 * The bound that matters is CPU time (user + system), which does not depend on how loaded the machine
 * is: before the fix these inputs ran for minutes or hours, or died. The wall-clock limit only catches
 * a hang, generously for a loaded 2-core CI machine.
 */
const CPU_MS = 10_000;
const WALL_CLOCK_MS = 60_000;
/** Jest's own limit for a test that runs one or two such children. */
const TEST_MS = 2 * WALL_CLOCK_MS + 10_000;
const BUCKET = 'bounded-trail';

interface ChildRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** CPU time and peak RSS the child reported at exit (see support/report-cpu.cjs). */
  usage?: { cpuMs: number; peakRssKb: number };
  heapMb: number;
}

let children = 0;
jest.setTimeout(TEST_MS);

function runChild(args: string[], env: Record<string, string>, heapMb: number): Promise<ChildRun> {
  const started = Date.now();
  const cpuFile = join(dir, `cpu-${children++}.json`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--max-old-space-size=${heapMb}`, '-r', join(__dirname, 'support', 'report-cpu.cjs'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', TRAILGUARD_CPU_FILE: cpuFile, ...env },
        timeout: WALL_CLOCK_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * MiB,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const failed = error as (Error & { code?: number | string; signal?: string }) | null;
        resolve({
          code: failed ? (typeof failed.code === 'number' ? failed.code : null) : 0,
          signal: failed?.signal ?? null,
          stdout,
          stderr,
          ms: Date.now() - started,
          heapMb,
          usage: existsSync(cpuFile) ? (JSON.parse(readFileSync(cpuFile, 'utf8')) as ChildRun['usage']) : undefined,
        });
      },
    );
  });
}

/** Finished on its own, within the CPU budget, without running out of heap. */
function expectBounded(run: ChildRun): void {
  expect({ signal: run.signal, heap: /heap out of memory/i.test(run.stderr) }).toEqual({ signal: null, heap: false });
  expect(run.ms).toBeLessThan(WALL_CLOCK_MS);
  expect(run.usage?.cpuMs).toBeLessThan(CPU_MS);
  // Buffers (file bytes, inflated text) live outside the heap: allow them, not gigabytes.
  expect(run.usage?.peakRssKb).toBeLessThan((run.heapMb + 400) * 1024);
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

let dir: string;

beforeAll(() => {
  const build = buildBundles();
  expect(build.stderr).toBe('');
  expect(build.status).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'trailguard-bounds-'));
}, 120_000);

// --- the inputs, with the sizes the review reported -------------------------------------------------------

const outsider = goodLogin('aws');
const PAD = 15 * MiB;
/** ~20 KB: 400 log events each holding a 15 MiB payload: 5.9 GiB if every level were unpacked. */
const twoLevels = () => nestedAwsLogs(PAD, [400]);
/** ~8 KB: 300 GiB if every level were unpacked. */
const threeLevels = () => nestedAwsLogs(PAD, [400, 50]);
/** ~66 KB gzip: 2,000 lines of one 15 MiB payload each, 30 GiB in total. */
const payloadLines = () =>
  Buffer.concat([Buffer.from(`${outsider.text}\n`), gzipNdjsonPlain(nestedAwsLogs(PAD, []), 2_000)]);
function gzipNdjsonPlain(line: string, count: number): Buffer {
  return Buffer.from(`${line}\n`.repeat(count));
}

describe('the inputs are as hostile as reported', () => {
  it('small files that would inflate to gigabytes', () => {
    expect(twoLevels().length).toBeLessThan(40_000);
    expect(nestedInflation(PAD, [400])).toBeGreaterThan(5 * 1024 * MiB);
    expect(threeLevels().length).toBeLessThan(120_000);
    expect(gzipNdjson(nestedAwsLogs(PAD, []), 2_000).length).toBeLessThan(80_000);
    expect(tinyElementList(3_000_000).length).toBeLessThan(8_000);
  });
});

// --- the built CLI --------------------------------------------------------------------------------------

function replay(file: string, env: Record<string, string> = {}, heapMb = 256): Promise<ChildRun> {
  return runChild(
    [join(ROOT, 'bin', 'trailguard.js'), 'replay', 'login-whitelist', file, '--json'],
    { IP_WHITELIST: WHITELIST, ...env },
    heapMb,
  );
}

/** stderr stays short: at most the first 100 rejections, a count line, the summary, a few more. */
function expectShortReport(run: ChildRun, rejected: number): void {
  const stderr = lines(run.stderr);
  const listed = stderr.filter((line) => line.startsWith('rejected: ') && !line.startsWith('rejected: …'));
  expect(listed).toHaveLength(Math.min(rejected, 100));
  if (rejected > 100)
    expect(stderr).toContain(
      `rejected: … and ${(rejected - 100).toLocaleString('en-US')} more (only the first 100 are listed)`,
    );
  expect(stderr.length).toBeLessThan(110);
  expect(stderr.at(-1)).toContain(`, ${rejected} rejected,`);
}

describe('the built CLI stays bounded', () => {
  it('a two-level CloudWatch Logs input: every nested payload rejected unopened, in seconds', async () => {
    const file = join(dir, 'two-levels.json');
    writeFileSync(file, twoLevels());
    const run = await replay(file);
    expectBounded(run);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CloudWatch Logs subscription payload inside a log event message');
    expectShortReport(run, 400);
  });

  it('a three-level one: the same', async () => {
    const file = join(dir, 'three-levels.json');
    writeFileSync(file, threeLevels());
    const run = await replay(file);
    expectBounded(run);
    expect(run.code).toBe(1);
    expectShortReport(run, 50);
  });

  it('gzip NDJSON of payloads that would inflate to 30 GiB: MAX_DECOMPRESSED_MB bounds the whole file', async () => {
    const file = join(dir, 'payload-lines.ndjson.gz');
    writeFileSync(file, gzipSync(payloadLines(), { level: 9 }));
    const run = await replay(file, { MAX_DECOMPRESSED_MB: '128' }, 512);
    expectBounded(run);
    expect(run.code).toBe(1);
    // The login on the first line is still alerted.
    expect(lines(run.stdout).map((line) => (JSON.parse(line) as { eventIds: string[] }).eventIds)).toEqual([
      [outsider.id],
    ]);
    expect(run.stderr).toMatch(/decompressed size exceeds 134217728 bytes \(MAX_DECOMPRESSED_MB/);
    // Only as many 15 MiB payloads as fit in 128 MiB (minus the file itself) were unpacked.
    const summary = lines(run.stderr).at(-1) ?? '';
    const records = Number(/, (\d+) record\(s\)/.exec(summary)?.[1]);
    expect(records).toBeGreaterThan(1);
    expect(records).toBeLessThanOrEqual(1 + 128 / 15);
  });

  it.each([
    ['3 million', 3_000_000],
    ['8 million', 8_000_000],
  ])('{"Records":[1,1,…]} with %s elements: counted, the first 100 listed, in a 256 MiB heap', async (_name, count) => {
    const file = join(dir, `tiny-${count}.json.gz`);
    writeFileSync(file, tinyElementList(count));
    const run = await replay(file);
    expectBounded(run);
    expect(run.code).toBe(1);
    expectShortReport(run, count);
    expect(run.stderr).toContain('#Records[0]: expected an object, got a number');
  });

  it('5 MB of {} lines: 1.7 million rejections reported as 100 lines and a count', async () => {
    const count = Math.floor((5 * 1000 * 1000) / 3);
    const file = join(dir, 'empty-objects.ndjson');
    writeFileSync(file, repeatedLines(count));
    const run = await replay(file);
    expectBounded(run);
    expect(run.code).toBe(1);
    expectShortReport(run, count);
  });

  it('300,000 NDJSON lines holding one login from outside the whitelist: alerted, exit 0', async () => {
    const file = join(dir, 'bulk.ndjson');
    writeFileSync(file, ndjsonWithOneOutsider(300_000, outsider.text));
    const run = await replay(file, {}, 512);
    expectBounded(run);
    expect(run.stderr).not.toContain('call stack');
    expect(run.code).toBe(0);
    expect(lines(run.stdout).map((line) => (JSON.parse(line) as { eventIds: string[] }).eventIds)).toEqual([
      [outsider.id],
    ]);
    expect(lines(run.stderr).at(-1)).toContain(', 300000 record(s), 1 alert(s)');
  });

  it('two symbolic link loops in a folder: each reported once, every file read once', async () => {
    const tree = join(dir, 'looped');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'sub', 'login.json'), outsider.text);
    symlinkSync('..', join(tree, 'sub', 'up'));
    symlinkSync('.', join(tree, 'sub', 'here'));
    const run = await replay(tree);
    expectBounded(run);
    expect(run.code).toBe(0);
    const warnings = lines(run.stderr).filter((line) => line.startsWith('warning: '));
    expect(warnings).toHaveLength(2);
    for (const warning of warnings) expect(warning).toMatch(/symbolic link loop back to .*, not followed$/);
    expect(lines(run.stdout)).toHaveLength(1);
    expect(lines(run.stderr).at(-1)).toContain('login-whitelist: 1 file(s), 1 record(s), 1 alert(s)');
  });
});

// --- the built Lambda bundle ----------------------------------------------------------------------------

/** Imports the bundle as Lambda does, invokes it once with the event in `eventFile`, prints the result. */
const INVOKE_BUNDLE = `
const [bundle, eventFile] = process.argv.slice(1);
const { readFileSync } = await import('node:fs');
const { handler } = await import(bundle);
const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), { awsRequestId: 'bounded' });
process.stderr.write('RESULT ' + JSON.stringify(result) + '\\n');
`;

describe('the built Lambda bundle stays bounded', () => {
  let emulator: Emulator;
  let s3: S3Client;

  beforeAll(async () => {
    emulator = await startEmulator({ buckets: [BUCKET] });
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: emulator.address,
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  }, 30_000);

  afterAll(async () => {
    s3?.destroy();
    await emulator?.stop();
  });

  async function invoke(event: unknown | string, heapMb = 256, env: Record<string, string> = {}) {
    const eventFile = join(dir, `event-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(eventFile, typeof event === 'string' ? event : JSON.stringify(event));
    const run = await runChild(
      ['--input-type=module', '-e', INVOKE_BUNDLE, join(ROOT, 'dist', 'aws', 'login-whitelist.js'), eventFile],
      {
        IP_WHITELIST: WHITELIST,
        ALERT_SINK: 'stdout',
        AWS_REGION: 'us-east-1',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        S3_ENDPOINT: emulator.address,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        LOG_LEVEL: 'warn',
        ...env,
      },
      heapMb,
    );
    expectBounded(run);
    const resultLine = lines(run.stderr).find((line) => line.startsWith('RESULT '));
    expect(resultLine).toBeDefined();
    const result = JSON.parse((resultLine ?? 'RESULT {}').slice(7)) as { rejected: number; records: number };
    const rejectedLogLines = lines(run.stderr).filter((line) => line.includes('"msg":"record rejected"'));
    const alerts = lines(run.stdout)
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { eventIds?: string[] })
      .filter((line) => line.eventIds);
    return { run, result, rejectedLogLines, alerts };
  }

  async function s3Event(key: string, body: Buffer) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    return {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: BUCKET }, object: { key } },
        },
      ],
    };
  }

  it('a two-level and a three-level CloudWatch Logs event: rejected unopened, in seconds', async () => {
    for (const [event, nested] of [
      [twoLevels(), 400],
      [threeLevels(), 50],
    ] as const) {
      const { result, rejectedLogLines, run } = await invoke(event);
      expect(result).toMatchObject({ rejected: nested, records: 0 });
      expect(rejectedLogLines.length).toBe(Math.min(nested, 100));
      expect(run.stderr).toContain('CloudWatch Logs subscription payload inside a log event message');
    }
  });

  it('a 30 GiB NDJSON of payloads in an S3 object: bounded by MAX_DECOMPRESSED_MB, the login still alerted', async () => {
    const event = await s3Event('AWSLogs/payload-lines.ndjson.gz', gzipSync(payloadLines(), { level: 9 }));
    const { result, alerts, run } = await invoke(event, 512, { MAX_DECOMPRESSED_MB: '128' });
    expect(alerts.map((alert) => alert.eventIds)).toEqual([[outsider.id]]);
    expect(result.rejected).toBeGreaterThan(1_900);
    expect(run.stderr).toContain('"msg":"more records rejected"');
  });

  it('{"Records":[1,1,…]} of 8 million elements in an S3 object: counted in a 256 MiB heap, 100 log lines', async () => {
    const event = await s3Event('AWSLogs/tiny.json.gz', tinyElementList(8_000_000));
    const { result, rejectedLogLines } = await invoke(event);
    expect(result.rejected).toBe(8_000_000);
    expect(rejectedLogLines).toHaveLength(100);
  });

  it('300,000 NDJSON lines in an S3 object: the one outsider login is alerted', async () => {
    const event = await s3Event('AWSLogs/bulk.ndjson.gz', gzipSync(ndjsonWithOneOutsider(300_000, outsider.text)));
    const { result, alerts } = await invoke(event, 512);
    expect(result).toMatchObject({ rejected: 0, records: 300_000 });
    expect(alerts.map((alert) => alert.eventIds)).toEqual([[outsider.id]]);
  });
});
