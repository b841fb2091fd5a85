/**
 * `trailguard replay <fn> obs://bucket/CloudTraces/… --s3-endpoint <OBS>` through the built CLI against a
 * local OBS endpoint (test/support/obs-endpoint.ts: OBS's S3-compatible API, every request's AWS
 * Signature V4 recomputed): CTS trace files in the key layout CTS writes (huawei-facts §8), the same
 * alerts as replaying a local copy, --since/--until by the CTS key dates, the Huawei SDK's AK/SK variables
 * or AWS ones with a temporary security token, paged listings (V2, and V1 from an OBS without V2), and
 * the errors a Huawei user meets first.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildBundles } from './support/build-once';
import { fixture } from './support/fixtures';
import { type ObsEndpoint, startObsEndpoint } from './support/obs-endpoint';
import { runCli } from './support/run-cli';

const BUCKET = 'cts-traces';
const REGION = 'eu-de';
const KEYS = { accessKey: 'HPUAOBSEXAMPLEAK123', secretKey: 'obs-example-secret-key-for-tests' };
const TOKEN = 'temporary-security-token-for-tests';

/** `CloudTraces/<region>/<YYYY>/<M>/<D>/<tracker>/<service>/<prefix>_CloudTrace_<region>_<YYYY-MM-DD>T<HH-MM-SS>Z_<random>.json.gz` */
function traceKey(month: number, day: number, time: string, unique: string): string {
  const date = `2026-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return `CloudTraces/${REGION}/2026/${month}/${day}/system/IAM/trail_CloudTrace_${REGION}_${date}T${time}Z_${unique}.json.gz`;
}

/** Two console logins from outside the whitelist, with ids of their own; a JSON array, or one trace per line. */
function traceFile(tag: string, layout: 'array' | 'lines'): Buffer {
  const traces = [1, 2].map((n) => ({
    ...(fixture('huaweicloud/cts-login-outside-ip.json') as Record<string, unknown>),
    trace_id: `${tag}-${n}`,
    resource_name: `user-${tag}`,
  }));
  const text = layout === 'array' ? JSON.stringify(traces) : traces.map((trace) => JSON.stringify(trace)).join('\n');
  return gzipSync(text);
}

const DIGEST_KEY = `CloudTraces/${REGION}/2026/11/5/system/Digest/IAM/trail_CloudTrace-Digest_${REGION}_2026-11-05T02-00-00Z.json.gz`;
const OBJECTS: Record<string, Buffer> = {
  [traceKey(10, 31, '23-59-59', 'a1b2c3d4e5f60718')]: traceFile('october', 'array'),
  [traceKey(11, 5, '01-00-00', '21d36ced8c8af71e')]: traceFile('early', 'array'),
  [traceKey(11, 5, '01-45-12', '0faa86bc40071242')]: traceFile('later', 'lines'),
  [traceKey(11, 20, '16-20-56', '9c8b7a6f5e4d3c2b')]: traceFile('twentieth', 'array'),
  [traceKey(12, 1, '00-00-00', '1234567890abcdef')]: traceFile('december', 'array'),
  [DIGEST_KEY]: gzipSync(
    JSON.stringify({
      project_id: '0a7c3e9b1d5f4a2c8e6b0d4f2a8c6e1b',
      digest_start_time: '2026-11-05T01-00-00Z',
      digest_end_time: '2026-11-05T02-00-00Z',
      digest_bucket: BUCKET,
      digest_object: DIGEST_KEY,
      log_files: [],
    }),
  ),
};

const ENV = { IP_WHITELIST: '203.0.113.0/24' };
const HUAWEI_KEYS = { HUAWEICLOUD_SDK_AK: KEYS.accessKey, HUAWEICLOUD_SDK_SK: KEYS.secretKey };
const MONTH = ['--since', '2026-11', '--until', '2026-12-01'];

let obs: ObsEndpoint;
let temporary: ObsEndpoint;
let v1Only: ObsEndpoint;
let local: string;

beforeAll(async () => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  // Two keys a page: every listing below takes several pages.
  obs = await startObsEndpoint({ ...KEYS, pageSize: 2 });
  temporary = await startObsEndpoint({ ...KEYS, securityToken: TOKEN });
  v1Only = await startObsEndpoint({ ...KEYS, pageSize: 2, listV2: false });
  local = mkdtempSync(join(tmpdir(), 'trailguard-obs-replay-'));
  for (const peer of [obs, temporary, v1Only]) peer.buckets.set(BUCKET, new Map(Object.entries(OBJECTS)));
  for (const [key, body] of Object.entries(OBJECTS)) {
    mkdirSync(dirname(join(local, key)), { recursive: true });
    writeFileSync(join(local, key), body);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([obs, temporary, v1Only].map((peer) => peer?.close()));
  if (local) rmSync(local, { recursive: true, force: true });
});

describe('replay obs://bucket/CloudTraces/… through the built CLI', () => {
  it('with the Huawei SDK AK/SK: the same alerts as the local copy, November only by the CTS key dates', async () => {
    const fromObs = await runCli(
      [
        'replay',
        'login-whitelist',
        `obs://${BUCKET}/CloudTraces/${REGION}/2026/`,
        '--json',
        '--s3-endpoint',
        obs.url,
        ...MONTH,
      ],
      { env: { ...ENV, ...HUAWEI_KEYS } },
    );
    const fromDisk = await runCli(
      ['replay', 'login-whitelist', join(local, 'CloudTraces', REGION, '2026'), '--json', ...MONTH],
      { env: ENV },
    );
    expect(obs.rejected).toEqual([]);
    expect(fromObs.stderr).not.toMatch(/error/);
    expect([fromObs.code, fromDisk.code]).toEqual([0, 0]);
    expect(fromObs.stdout).toBe(fromDisk.stdout);
    expect(fromObs.stdout).toMatch(/early-1/);
    expect(fromObs.stdout).toMatch(/twentieth-1/);
    expect(fromObs.stdout).not.toMatch(/october|december/);
    // Three November trace files and the digest; October and December are left out by their key dates.
    expect(fromObs.stderr).toMatch(/note: 2 file\(s\) dated outside --since\/--until not read/);
    expect(fromObs.stderr).toMatch(/login-whitelist: 4 file\(s\), 6 record\(s\), .* 1 skipped \(1 digest file\(s\)\)/);
    // Listed a page of two at a time, with ListObjectsV2, path-style.
    const listings = obs.requests.filter((request) => request.startsWith(`GET /${BUCKET}/?`));
    expect(listings.length).toBeGreaterThanOrEqual(3);
    for (const listing of listings) expect(listing).toMatch(/list-type=2/);
  }, 120_000);

  it('with AWS variables holding a temporary AK/SK and its security token; --since to the second of a CTS key', async () => {
    const run = await runCli(
      [
        'replay',
        'login-whitelist',
        `obs://${BUCKET}/CloudTraces/${REGION}/2026/11/5/`,
        '--json',
        '--s3-endpoint',
        temporary.url,
        '--since',
        '2026-11-05T01:00:01Z',
      ],
      {
        env: {
          ...ENV,
          AWS_ACCESS_KEY_ID: KEYS.accessKey,
          AWS_SECRET_ACCESS_KEY: KEYS.secretKey,
          AWS_SESSION_TOKEN: TOKEN,
          AWS_REGION: REGION,
        },
      },
    );
    expect(temporary.rejected).toEqual([]);
    expect(run.code).toBe(0);
    // 01-00-00 is before the second asked for; 01-45-12 and the digest are read.
    expect(run.stderr).toMatch(/note: 1 file\(s\) dated outside --since\/--until not read/);
    expect(run.stderr).toMatch(/login-whitelist: 2 file\(s\), 2 record\(s\)/);
    expect(run.stdout).toMatch(/later-1/);
    expect(run.stdout).not.toMatch(/early-/);
  }, 60_000);

  it('an OBS that answers listings the V1 way: every page is still read (ListObjects from the last key)', async () => {
    const run = await runCli(
      ['replay', 'login-whitelist', `obs://${BUCKET}/CloudTraces/`, '--s3-endpoint', v1Only.url],
      { env: { ...ENV, ...HUAWEI_KEYS } },
    );
    expect(v1Only.rejected).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/login-whitelist: 6 file\(s\), 10 record\(s\)/);
    expect(v1Only.requests.some((request) => /[?&]marker=/.test(request))).toBe(true);
  }, 60_000);

  it('obs:// without --s3-endpoint is a usage error (exit 2); a wrong SK is an error with the code OBS gave (exit 1)', async () => {
    const noEndpoint = await runCli(['replay', 'login-whitelist', `obs://${BUCKET}/CloudTraces/`], {
      env: { ...ENV, ...HUAWEI_KEYS },
    });
    expect(noEndpoint.code).toBe(2);
    expect(noEndpoint.stderr).toMatch(/obs:\/\/ inputs need --s3-endpoint/);
    const wrongKey = await runCli(
      ['replay', 'login-whitelist', `obs://${BUCKET}/CloudTraces/`, '--s3-endpoint', obs.url],
      { env: { ...ENV, HUAWEICLOUD_SDK_AK: KEYS.accessKey, HUAWEICLOUD_SDK_SK: 'not-the-secret' } },
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^error: obs:\/\/cts-traces\/CloudTraces\/: SignatureDoesNotMatch/m);
    // No keys anywhere (no variables, no credentials file, no instance role): the error says which
    // variables obs:// reads, not only the SDK's "Could not load credentials from any providers".
    const home = mkdtempSync(join(tmpdir(), 'trailguard-no-keys-'));
    const noKeys = await runCli(
      ['replay', 'login-whitelist', `obs://${BUCKET}/CloudTraces/`, '--s3-endpoint', obs.url],
      {
        env: {
          ...ENV,
          HOME: home,
          AWS_CONFIG_FILE: join(home, 'config'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      },
    ).finally(() => rmSync(home, { recursive: true, force: true }));
    expect(noKeys.code).toBe(1);
    expect(noKeys.stderr).toMatch(
      /^error: obs:\/\/cts-traces\/CloudTraces\/: CredentialsProviderError: .*\(obs:\/\/ signs with HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, plus HUAWEICLOUD_SDK_SECURITY_TOKEN/m,
    );
  }, 60_000);
});
