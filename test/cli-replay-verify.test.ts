/**
 * `trailguard replay --verify` through the shipped CLI: the digests among the inputs are checked first,
 * and each alert says whether the log file its record came from is valid, invalid or unlisted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  ACCOUNT,
  buildChain,
  type ChainFile,
  listPublicKeysJson,
  logKey,
  REGION,
  signingKey,
  writeChain,
} from './support/digest-chain';
import { startCloudTrailEndpoint } from './support/cloudtrail-endpoint';
import { runCli } from './support/run-cli';

const key = signingKey();
const START = Date.parse('2026-11-24T10:01:31Z');

/** A log file of one StopLogging call (trail-integrity alerts on it), its event id unique per `tag`. */
function stopLogging(at: number, tag: string): Buffer {
  const record = {
    eventVersion: '1.11',
    eventTime: new Date(at - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    awsRegion: REGION,
    sourceIPAddress: '198.51.100.7',
    userIdentity: { type: 'IAMUser', accountId: ACCOUNT, userName: `mallory-${tag}` },
    requestParameters: { name: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/management-events` },
    eventID: `00000000-0000-4000-8000-${tag.padStart(12, '0')}`,
    readOnly: false,
  };
  return gzipSync(JSON.stringify({ Records: [record] }));
}

let root: string;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('trailguard replay --verify (built CLI)', () => {
  it('marks alerts from an edited and an injected log file, and exits 1', async () => {
    let n = 0;
    const chain = buildChain(key, START, [2, 1, 1], '', (at) => stopLogging(at, String(++n)));
    const [edited, , deleted] = chain.logs;
    edited.bytes = stopLogging(START, '99');
    const injected: ChainFile = {
      key: logKey(START + 3_600_000 + 30 * 60_000, 'INJECTEDaaaaaaaa'),
      bytes: stopLogging(START + 3_600_000 + 30 * 60_000, '77'),
      kind: 'log',
    };
    root = mkdtempSync(join(tmpdir(), 'trailguard-replay-verify-'));
    const copy = join(root, 'copy');
    writeChain(copy, [...chain.files.filter((f) => f !== deleted), injected]);
    const keys = join(root, 'public-keys.json');
    writeFileSync(keys, listPublicKeysJson([key]));

    const run = await runCli(['replay', 'trail-integrity', copy, '--verify', '--public-keys', keys, '--json']);
    expect(run.stderr).toContain('integrity: missing log');
    expect(run.code).toBe(1);
    const alerts = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const byFile = new Map(alerts.map((a) => [a.integrity?.file, a]));
    const invalid = byFile.get(join(copy, edited.key));
    expect(invalid.integrity).toEqual(expect.objectContaining({ status: 'invalid' }));
    expect(invalid.message).toContain(
      `Trail integrity: log file ${join(copy, edited.key)} is INVALID: hash does not match`,
    );
    const unlisted = byFile.get(join(copy, injected.key));
    expect(unlisted.integrity).toEqual(expect.objectContaining({ status: 'unlisted' }));
    expect(unlisted.message).toContain('is UNLISTED: delivered inside a period the digests cover');
    // The untouched file that the newest, unsigned-here digest lists is unverifiable; the others valid.
    const statuses = alerts.map((a) => a.integrity?.status).sort();
    expect(statuses).toEqual(['invalid', 'unlisted', 'unverifiable', 'valid']);
    for (const alert of alerts.filter((a) => a.integrity.status === 'valid'))
      expect(alert.message).not.toContain('Trail integrity:');

    const human = await runCli(['replay', 'trail-integrity', copy, '--verify', '--public-keys', keys]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('is INVALID');
    expect(human.stderr).toMatch(/verify: 3 digest\(s\), 5 log file\(s\); .*1 invalid, 1 missing, 1 unlisted/);
  });

  it('without --verify changes nothing, and --public-keys alone is a usage error', async () => {
    const plain = await runCli(['replay', 'trail-integrity', join(root, 'copy'), '--json']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('"integrity"');
    const usage = await runCli(['replay', 'trail-integrity', join(root, 'copy'), '--public-keys', 'x.json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--public-keys needs --verify');
  });

  it('--cloudtrail-endpoint takes the keys from ListPublicKeys on that endpoint, and needs --verify', async () => {
    const endpoint = await startCloudTrailEndpoint([signingKey(), key]);
    try {
      const good = join(root, 'good');
      writeChain(good, buildChain(key, START, [1, 1]).files);
      const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example-secret', AWS_REGION: REGION };
      const run = await runCli(
        ['replay', 'trail-integrity', good, '--verify', '--cloudtrail-endpoint', endpoint.url, '--json'],
        { env },
      );
      expect(run.stderr).not.toContain('invalid');
      expect(run.code).toBe(0);
      expect(endpoint.calls.length).toBeGreaterThan(0);
      expect(endpoint.calls.every((c) => c.region === REGION)).toBe(true);
      const usage = await runCli(['replay', 'trail-integrity', good, '--cloudtrail-endpoint', endpoint.url], { env });
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--cloudtrail-endpoint needs --verify');
      const bad = await runCli(['replay', 'trail-integrity', good, '--verify', '--cloudtrail-endpoint', 'ftp://x'], {
        env,
      });
      expect(bad.code).toBe(2);
    } finally {
      await endpoint.close();
    }
  });
});
