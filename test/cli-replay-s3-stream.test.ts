/**
 * `replay <fn> s3://bucket/prefix/` over a prefix of several listing pages, through the built CLI against
 * fauxqs S3 behind a loopback proxy that records every request: objects are fetched while the listing
 * goes on (page by page, not the whole listing first), `--since` below a region folder starts the
 * listing at that day (StartAfter), and the alerts are those of the same files on disk.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { listingProblem, startAfterFor } from '../cli/s3-inputs';
import { type Emulator, startEmulator } from '../scripts/emulator';
import { buildBundles } from './support/build-once';
import { fixture } from './support/fixtures';
import { runCli } from './support/run-cli';
import { TEST_CREDENTIALS } from './support/sqs-inbox';

const BUCKET = 'paged-archive';
const REGION_PREFIX = 'AWSLogs/111122223333/CloudTrail/us-east-1/';
/** 2,100 objects: three ListObjectsV2 pages of up to 1,000 keys. */
const OBJECTS = 2100;

function keyOf(index: number): string {
  // Spread over 2026-11-01 … 2026-11-21, 100 a day, in key order.
  const day = String(1 + Math.floor(index / 100)).padStart(2, '0');
  const minute = index % 100;
  const hhmm = `${String(Math.floor(minute / 60)).padStart(2, '0')}${String(minute % 60).padStart(2, '0')}`;
  return `${REGION_PREFIX}2026/11/${day}/111122223333_CloudTrail_us-east-1_202611${day}T${hhmm}Z_${String(index).padStart(4, '0')}.json.gz`;
}

let emulator: Emulator;
let proxy: Server;
let proxyAddress: string;
let local: string;
const requests: string[] = [];

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
  const target = new URL(emulator.address);
  proxy = createServer((incoming, answer) => {
    requests.push(`${incoming.method} ${incoming.url}`);
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (reply) => {
        answer.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(answer);
      },
    );
    forward.on('error', () => answer.destroy());
    incoming.pipe(forward);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  proxyAddress = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: emulator.address,
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  local = mkdtempSync(join(tmpdir(), 'trailguard-s3-pages-'));
  const template = fixture('aws/envelope-cloudtrail-log-file.json') as { Records: Array<{ eventID: string }> };
  const bodies = Array.from({ length: OBJECTS }, (_, index) => {
    const document = structuredClone(template);
    for (const record of document.Records) record.eventID = `${record.eventID}-${index}`;
    return gzipSync(JSON.stringify(document));
  });
  for (let start = 0; start < OBJECTS; start += 50)
    await Promise.all(
      bodies.slice(start, start + 50).map(async (body, offset) => {
        const key = keyOf(start + offset);
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
        mkdirSync(dirname(join(local, key)), { recursive: true });
        writeFileSync(join(local, key), body);
      }),
    );
  s3.destroy();
}, 180_000);

afterAll(async () => {
  proxy?.close();
  await emulator?.stop();
  if (local) rmSync(local, { recursive: true, force: true });
});

const lists = () => requests.filter((line) => /[?&]list-type=2/.test(line) || /^GET \/[^/?]+\/?\?/.test(line));
const gets = () => requests.filter((line) => line.startsWith('GET ') && !lists().includes(line));

describe('replay s3:// over several listing pages (built CLI, fauxqs behind a recording proxy)', () => {
  it('fetches objects while the listing goes on, and prints what the same files on disk give', async () => {
    requests.length = 0;
    const fromBucket = await runCli(
      ['replay', 'login-whitelist', `s3://${BUCKET}/${REGION_PREFIX}`, '--json', '--s3-endpoint', proxyAddress],
      { env: ENV(), timeoutMs: 120_000 },
    );
    expect(fromBucket.stderr).not.toMatch(/error/);
    expect(fromBucket.code).toBe(0);
    expect(fromBucket.stderr).toMatch(new RegExp(`login-whitelist: ${OBJECTS} file\\(s\\)`));
    const listIndexes = requests.flatMap((line, index) => (lists().includes(line) ? [index] : []));
    expect(listIndexes).toHaveLength(3);
    const firstGet = requests.findIndex((line) => line.startsWith('GET ') && !lists().includes(line));
    // The first object is fetched before the third page is even asked for: nothing waits for the whole listing.
    expect(firstGet).toBeGreaterThan(listIndexes[0]);
    expect(firstGet).toBeLessThan(listIndexes[2]);
    expect(gets()).toHaveLength(OBJECTS);
    const fromDisk = await runCli(
      ['replay', 'login-whitelist', join(local, REGION_PREFIX), '--json', '--threads', '1'],
      {
        env: ENV(),
        timeoutMs: 120_000,
      },
    );
    expect(fromDisk.code).toBe(0);
    expect(fromBucket.stdout).toBe(fromDisk.stdout);
  }, 180_000);

  it('--since below a region folder starts the listing at that day; the note counts what the listing still left out', async () => {
    requests.length = 0;
    const run = await runCli(
      [
        'replay',
        'login-whitelist',
        `s3://${BUCKET}/${REGION_PREFIX}`,
        '--json',
        '--s3-endpoint',
        proxyAddress,
        '--since',
        '2026-11-20T00:30Z',
      ],
      { env: ENV(), timeoutMs: 120_000 },
    );
    expect(run.code).toBe(0);
    expect(lists()[0]).toContain(`start-after=${encodeURIComponent(`${REGION_PREFIX}2026/11/20`)}`);
    // Days 20 and 21 are listed (200 keys); of day 20, the files before 00:30 are left out by their names.
    expect(run.stderr).toMatch(/note: 30 file\(s\) dated outside --since\/--until not read/);
    expect(run.stderr).toMatch(/login-whitelist: 170 file\(s\)/);
    expect(gets()).toHaveLength(170);
  }, 120_000);
});

describe('startAfterFor', () => {
  const since = Date.UTC(2026, 10, 5, 10, 0);
  it.each([
    ['AWSLogs/1/CloudTrail/us-east-1/', 'AWSLogs/1/CloudTrail/us-east-1/2026/11/05'],
    ['AWSLogs/o-abc/1/CloudTrail-Digest/eu-west-1/', 'AWSLogs/o-abc/1/CloudTrail-Digest/eu-west-1/2026/11/05'],
    ['CloudTraces/eu-de/', 'CloudTraces/eu-de/2026'],
    ['AWSLogs/1/CloudTrail/', undefined],
    ['AWSLogs/1/CloudTrail/us-east-1/2026/', undefined],
    ['', undefined],
  ])('%s', (prefix, expected) => {
    expect(startAfterFor(prefix, since)).toBe(expected);
    expect(startAfterFor(prefix, undefined)).toBeUndefined();
  });
});

describe('listingProblem', () => {
  const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });

  it('names the variables each scheme signs with when the SDK found no credentials', () => {
    expect(listingProblem('s3://trail/AWSLogs/', noCredentials)).toBe(
      "s3://trail/AWSLogs/: CredentialsProviderError: Could not load credentials from any providers (s3:// signs with the AWS SDK's credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance or container role)",
    );
    expect(listingProblem('obs://traces/CloudTraces/', noCredentials)).toMatch(
      /^obs:\/\/traces\/CloudTraces\/: CredentialsProviderError: Could not load credentials from any providers \(obs:\/\/ signs with HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK/,
    );
  });

  it('adds nothing to other errors', () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    expect(listingProblem('s3://trail/', denied)).toBe('s3://trail/: AccessDenied: Access Denied');
    expect(listingProblem('obs://traces/', new Error('socket hang up'))).toBe('obs://traces/: socket hang up');
  });
});
