/**
 * `trailguard replay <fn> s3://bucket/prefix/` through the built CLI against the fauxqs S3 emulator on
 * loopback: the same alerts as replaying a local copy of the same tree, --since/--until by key date,
 * digests skipped and counted, a listing that fails is exit 1. The read-ahead's bounds and the key dates
 * are tested directly.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createStreamReadAhead, inRange, keyTime, parseKeyDate } from '../cli/s3-inputs';
import type { InputFile } from '../cli/read-inputs';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { fixture } from './support/fixtures';
import { runCli } from './support/run-cli';
import { TEST_CREDENTIALS } from './support/sqs-inbox';
import { buildBundles } from './support/build-once';

const BUCKET = 'trail-archive';
const ACCOUNT = 'AWSLogs/111122223333';
const logKey = (day: string, hhmm: string, unique: string) =>
  `${ACCOUNT}/CloudTrail/us-east-1/2026/${day.slice(0, 2)}/${day.slice(3)}/111122223333_CloudTrail_us-east-1_2026${day.replace('/', '')}T${hhmm}Z_${unique}.json.gz`;
const DIGEST_KEY = `${ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/05/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261105T020000Z.json.gz`;

/** The fixture log file with event ids of its own, so every object alerts on its own records. */
function logFile(tag: string): Buffer {
  const document = structuredClone(fixture('aws/envelope-cloudtrail-log-file.json')) as {
    Records: Array<{ eventID: string }>;
  };
  for (const record of document.Records) record.eventID = `${record.eventID}-${tag}`;
  return gzipSync(JSON.stringify(document));
}

const OBJECTS: Record<string, Buffer> = {
  [logKey('10/31', '2355', 'october')]: logFile('october'),
  [logKey('11/05', '0100', 'a')]: logFile('a'),
  [logKey('11/05', '0105', 'b c')]: logFile('b'),
  [logKey('11/20', '2300', 'late')]: logFile('late'),
  [logKey('12/01', '0000', 'december')]: logFile('december'),
  [DIGEST_KEY]: gzipSync(
    JSON.stringify({
      awsAccountId: '111122223333',
      digestStartTime: '2026-11-05T01:00:00Z',
      digestEndTime: '2026-11-05T02:00:00Z',
      digestS3Bucket: BUCKET,
      digestS3Object: DIGEST_KEY,
      logFiles: [],
    }),
  ),
  [`${ACCOUNT}/CloudTrail/us-east-1/2026/11/manifest.csv`]: Buffer.from('not,a,log\n'),
};

let emulator: Emulator;
let local: string;
const ENV = () => ({
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
  IP_WHITELIST: '203.0.113.0/24',
});

beforeAll(async () => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  emulator = await startEmulator({});
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: emulator.address,
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  local = mkdtempSync(join(tmpdir(), 'trailguard-s3-replay-'));
  for (const [key, body] of Object.entries(OBJECTS)) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    mkdirSync(dirname(join(local, key)), { recursive: true });
    writeFileSync(join(local, key), body);
  }
  s3.destroy();
}, 120_000);

afterAll(async () => {
  await emulator?.stop();
  if (local) rmSync(local, { recursive: true, force: true });
});

describe('replay s3://bucket/prefix through the built CLI', () => {
  it('prints the same alerts as the local copy of the tree, and reads November only with --since/--until', async () => {
    const range = ['--since', '2026-11', '--until', '2026-12-01'];
    const fromBucket = await runCli(
      [
        'replay',
        'login-whitelist',
        `s3://${BUCKET}/${ACCOUNT}/`,
        '--json',
        '--s3-endpoint',
        emulator.address,
        ...range,
      ],
      { env: ENV() },
    );
    const fromDisk = await runCli(['replay', 'login-whitelist', join(local, ACCOUNT), '--json', ...range], {
      env: ENV(),
    });
    expect(fromBucket.stderr).not.toMatch(/error/);
    expect(fromBucket.code).toBe(0);
    expect(fromDisk.code).toBe(0);
    // One sign-in alert for the three November files' sign-ins from outside the whitelist.
    expect(fromBucket.stdout).toMatch(/"count":3,/);
    expect(fromBucket.stdout).toBe(fromDisk.stdout);
    // Three November log files and the digest; October and December are left out by their key dates.
    expect(fromBucket.stderr).toMatch(/note: 2 file\(s\) dated outside --since\/--until not read/);
    expect(fromBucket.stderr).toMatch(
      /login-whitelist: 4 file\(s\), 15 record\(s\), .* 1 skipped \(1 digest file\(s\)\)/,
    );
    expect(fromBucket.stdout).not.toMatch(/-october|-december/);
    expect(fromBucket.stdout).toMatch(/-late/);
  }, 120_000);

  it('without a range, every log object under the prefix is read (the CSV is not)', async () => {
    const run = await runCli(
      ['replay', 'login-whitelist', `s3://${BUCKET}/${ACCOUNT}/CloudTrail/`, '--s3-endpoint', emulator.address],
      { env: ENV() },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/login-whitelist: 5 file\(s\), 25 record\(s\)/);
  }, 60_000);

  it('a bucket that does not exist is an error (exit 1), and a bad --since a usage error (exit 2)', async () => {
    const missing = await runCli(
      ['replay', 'login-whitelist', 's3://no-such-bucket/AWSLogs/', '--s3-endpoint', emulator.address],
      { env: ENV() },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: s3:\/\/no-such-bucket\/AWSLogs\/: NoSuchBucket/m);
    const bad = await runCli(['replay', 'login-whitelist', `s3://${BUCKET}/`, '--since', 'last tuesday'], {
      env: ENV(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since "last tuesday": use a date like 2026-11/);
  }, 60_000);

  it.each([
    ['s3://', /^error: s3:\/\/: no bucket name \(s3:\/\/bucket\/prefix\/\)$/m],
    ['s3:///AWSLogs/', /^error: s3:\/\/\/AWSLogs\/: no bucket name/m],
    ['obs:///x', /^error: obs:\/\/\/x: no bucket name \(obs:\/\/bucket\/prefix\/\)$/m],
    ['S3://trail/', /^error: S3:\/\/trail\/: write the scheme in lower case \(s3:\/\/bucket\/prefix\/\)$/m],
    ['gs://trail/', /^error: gs:\/\/trail\/: replay reads local files and folders, .* not gs:\/\/ URLs$/m],
  ])(
    '%s is a usage error (exit 2), not a local path that does not exist',
    async (url, message) => {
      const run = await runCli(['replay', 'login-whitelist', url], { env: ENV() });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/no such file/);
    },
    60_000,
  );

  it('an --s3-endpoint that is not an http(s) URL is a usage error (exit 2)', async () => {
    const run = await runCli(['replay', 'login-whitelist', `s3://${BUCKET}/`, '--s3-endpoint', 'notaurl'], {
      env: ENV(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: --s3-endpoint "notaurl" is not an http\(s\) URL$/m);
  }, 60_000);
});

describe('key dates', () => {
  it.each([
    [logKey('11/05', '0105', 'x'), Date.UTC(2026, 10, 5, 1, 5), 60_000],
    [DIGEST_KEY, Date.UTC(2026, 10, 5, 2, 0, 0), 60_000],
    [
      'CloudTraces/eu-de/2026/11/5/system/ECS/p_CloudTrace_eu-de_2026-11-05T16-20-56Z_21d36ced8c8af71e.json.gz',
      Date.UTC(2026, 10, 5, 16, 20, 56),
      1000,
    ],
    ['CloudTraces/eu-de/2026/11/5/system/ECS/renamed.json.gz', Date.UTC(2026, 10, 5), 86_400_000],
  ])('%s', (key, time, span) => {
    expect(keyTime(key)).toEqual({ time, span });
  });

  it('a key without a date is kept whatever the range; a day folder overlapping the range is kept', () => {
    expect(inRange('exports/trail.json.gz', { since: Date.UTC(2030, 0, 1) })).toBe(true);
    const since = parseKeyDate('2026-11-05T12:00Z') as number;
    expect(inRange('CloudTraces/r/2026/11/5/t/S/renamed.json.gz', { since })).toBe(true);
    expect(inRange('CloudTraces/r/2026/11/4/t/S/renamed.json.gz', { since })).toBe(false);
    expect(inRange(logKey('11/05', '1159', 'x'), { since })).toBe(false);
    expect(inRange(logKey('11/05', '1200', 'x'), { since, until: since + 60_000 })).toBe(true);
  });

  it.each(['2026-11', '2026-11-05', '2026-11-05T10:00Z', '2026-11-05T10:00:00+01:00'])('parses %s', (text) => {
    expect(parseKeyDate(text)).toEqual(expect.any(Number));
  });
  it.each(['yesterday', '2026-13', '2026-02-31', '2026/11/05', '2026-11-05 10:00'])('refuses %s', (text) => {
    expect(parseKeyDate(text)).toBeUndefined();
  });
});

describe('read-ahead', () => {
  it('keeps at most N reads and B bytes ahead, hands back every input in order, and a failure at its turn', async () => {
    const files: InputFile[] = Array.from({ length: 40 }, (_v, i) => ({ path: `f${i}`, size: 10 + (i % 7) }));
    let inFlight = 0;
    let maxInFlight = 0;
    const started: number[] = [];
    const reader = createStreamReadAhead(
      files[Symbol.iterator](),
      async (file) => {
        const index = Number(file.path.slice(1));
        started.push(index);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, (index * 7) % 5));
        inFlight -= 1;
        if (index === 13) throw new Error('thirteen');
        return Buffer.from(file.path);
      },
      { objects: 4, bytes: 40 },
    );
    const got: string[] = [];
    for (let i = 0; i < files.length; i++) {
      // At the turn of input i, no input beyond the byte budget ahead of it has been started.
      const ahead = started.filter((index) => index > i);
      expect(ahead.length).toBeLessThanOrEqual(4);
      expect(ahead.reduce((sum, index) => sum + files[index].size, 0)).toBeLessThanOrEqual(40);
      try {
        const next = await reader.next();
        expect(next?.file).toBe(files[i]);
        got.push(Buffer.from(await (next?.bytes as Promise<Uint8Array>)).toString());
      } catch (error) {
        got.push(`error ${(error as Error).message}`);
      }
    }
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(got).toEqual(files.map((file, i) => (i === 13 ? 'error thirteen' : file.path)));
    expect(await reader.next()).toBeUndefined();
  });

  it('a file larger than the budget is still read, alone', async () => {
    const files: InputFile[] = [
      { path: 'big', size: 1000 },
      { path: 'small', size: 1 },
    ];
    const reader = createStreamReadAhead(files[Symbol.iterator](), async (file) => Buffer.from(file.path), {
      objects: 4,
      bytes: 10,
    });
    expect(Buffer.from(await ((await reader.next())?.bytes as Promise<Uint8Array>)).toString()).toBe('big');
    expect(Buffer.from(await ((await reader.next())?.bytes as Promise<Uint8Array>)).toString()).toBe('small');
  });
});
