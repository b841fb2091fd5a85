/**
 * `trailguard verify`: a local copy with --public-keys, an S3 prefix on the fauxqs emulator with the
 * signatures as object metadata, and keys from ListPublicKeys on a local CloudTrail endpoint.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../cli/io';
import { main } from '../cli/main';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { startCloudTrailEndpoint } from './support/cloudtrail-endpoint';
import {
  BUCKET,
  buildChain,
  type ChainFile,
  listPublicKeysJson,
  logFileBytes,
  logKey,
  signingKey,
  writeChain,
} from './support/digest-chain';
import { TEST_CREDENTIALS } from './support/sqs-inbox';

const key = signingKey();
const START = Date.parse('2026-11-24T10:01:31Z');

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ...env },
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
  };
}

const savedEnv = { ...process.env };
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
});
afterAll(() => {
  process.env = savedEnv;
});

const dirs: string[] = [];
function archive(files: ChainFile[]): { root: string; keys: string } {
  const root = mkdtempSync(join(tmpdir(), 'trailguard-verify-'));
  dirs.push(root);
  writeChain(join(root, 'copy'), files);
  const keys = join(root, 'public-keys.json');
  writeFileSync(keys, listPublicKeysJson([key]));
  return { root: join(root, 'copy'), keys };
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const lines = (io: { stdout: string[] }) => io.stdout.map((line) => JSON.parse(line));

describe('trailguard verify on a local copy', () => {
  it('prints one JSON line per file and exits 0 when nothing is invalid, missing or unlisted', async () => {
    const chain = buildChain(key, START, [2, 0, 1]);
    const { root, keys } = archive(chain.files);
    const io = captureIo();
    expect(await main(['verify', root, '--public-keys', keys, '--json'], io)).toBe(0);
    const out = lines(io);
    expect(out).toHaveLength(chain.files.length);
    for (const line of out) expect(Object.keys(line)).toEqual(['file', 'kind', 'status', 'reason']);
    expect(out.filter((l) => l.status === 'unverifiable').map((l) => l.kind)).toEqual(['digest', 'log']);
    expect(out.filter((l) => l.status === 'valid')).toHaveLength(chain.files.length - 2);
    expect(out[0].file.startsWith(root)).toBe(true);
  });

  it('exits 1 and names the file when a log file was edited, another deleted and one injected', async () => {
    const chain = buildChain(key, START, [2, 2, 1]);
    const [edited, deleted] = chain.logs;
    edited.bytes = logFileBytes(START, 7);
    const injected: ChainFile = {
      key: logKey(START + 3_600_000 + 30 * 60_000, 'INJECTEDaaaaaaaa'),
      bytes: logFileBytes(START, 1),
      kind: 'log',
    };
    const { root, keys } = archive([...chain.files.filter((f) => f !== deleted), injected]);
    const io = captureIo();
    expect(await main(['verify', root, '--public-keys', keys, '--json'], io)).toBe(1);
    const byStatus = (status: string) => lines(io).filter((l) => l.status === status);
    expect(byStatus('invalid')).toEqual([expect.objectContaining({ file: join(root, edited.key), kind: 'log' })]);
    expect(byStatus('missing')).toEqual([expect.objectContaining({ file: deleted.key, kind: 'log' })]);
    expect(byStatus('unlisted')).toEqual([expect.objectContaining({ file: join(root, injected.key), kind: 'log' })]);
  });

  it('prints failures and a summary for people', async () => {
    const chain = buildChain(key, START, [1, 1]);
    chain.logs[0].bytes = logFileBytes(START, 4);
    const { root, keys } = archive(chain.files);
    const io = captureIo();
    expect(await main(['verify', root, '--public-keys', keys], io)).toBe(1);
    expect(io.stdout.join('\n')).toMatch(/^invalid +log +.*hash does not match/m);
    expect(io.stderr.join('\n')).toContain('4 files: 2 digests, 2 log files; 2 hours covered');
    expect(io.stderr.join('\n')).toContain('1 failure(s)');
  });

  it('exits 2 on usage errors', async () => {
    expect(await main(['verify'], captureIo())).toBe(2);
    expect(await main(['verify', '/no/such/folder'], captureIo())).toBe(2);
    expect(await main(['verify', '.', '--bogus'], captureIo())).toBe(2);
    const bad = join(mkdtempSync(join(tmpdir(), 'trailguard-keys-')), 'keys.json');
    dirs.push(bad.replace(/\/keys.json$/, ''));
    writeFileSync(bad, '{"PublicKeyList": [{"Value": "AAAA"}]}');
    const io = captureIo();
    expect(await main(['verify', '.', '--public-keys', bad], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('PublicKeyList[0]');
  });
});

describe('trailguard verify with keys from ListPublicKeys', () => {
  it('asks the digest region once per day, pages through the answer, and verifies', async () => {
    const other = signingKey();
    const endpoint = await startCloudTrailEndpoint([other, key]);
    try {
      const { root } = archive(buildChain(key, START, [1, 1, 1]).files);
      const io = captureIo();
      const code = await main(['verify', root, '--endpoint', endpoint.url, '--json'], io);
      expect([code, io.stderr]).toEqual([0, []]);
      expect(
        lines(io)
          .filter((l) => l.kind === 'digest')
          .map((l) => l.status),
      ).toEqual(['valid', 'valid', 'unverifiable']);
      expect(endpoint.calls.map((c) => [c.region, c.body.NextToken])).toEqual([
        ['us-east-2', undefined],
        ['us-east-2', 'page-2'],
      ]);
      expect(endpoint.calls[0].body).toMatchObject({ StartTime: Date.parse('2026-11-24T00:00:00Z') / 1000 });
    } finally {
      await endpoint.close();
    }
  });
});

describe('trailguard verify on an S3 prefix (fauxqs)', () => {
  let emulator: Emulator;
  let s3: S3Client;
  beforeAll(async () => {
    emulator = await startEmulator({});
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: emulator.address,
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  afterAll(async () => {
    s3?.destroy();
    await emulator?.stop();
  });

  async function upload(files: ChainFile[]): Promise<void> {
    for (const file of files)
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: file.key,
          Body: file.bytes,
          Metadata: file.signature ? { signature: file.signature, 'signature-algorithm': 'SHA256withRSA' } : undefined,
        }),
      );
  }

  it('verifies every digest from its metadata signature, then flags an injected log file', async () => {
    const chain = buildChain(key, START, [2, 1], 'trails/');
    await upload(chain.files);
    const { keys } = archive([]);
    const io = captureIo();
    const args = ['verify', `s3://${BUCKET}/trails/`, '--endpoint', emulator.address, '--public-keys', keys, '--json'];
    const code = await main(args, io);
    expect([code, io.stderr]).toEqual([0, []]);
    expect(lines(io).map((l) => l.status)).toEqual(chain.files.map(() => 'valid'));
    expect(
      lines(io)
        .map((l) => l.file)
        .sort(),
    ).toEqual(chain.files.map((f) => f.key).sort());

    await upload([
      { key: logKey(START + 20 * 60_000, 'INJECTEDbbbbbbbb', 'trails/'), bytes: logFileBytes(START, 2), kind: 'log' },
    ]);
    const again = captureIo();
    expect(await main(args, again)).toBe(1);
    expect(lines(again).filter((l) => l.status !== 'valid')).toEqual([
      expect.objectContaining({ kind: 'log', status: 'unlisted', file: expect.stringContaining('INJECTED') }),
    ]);
  });
});
