/**
 * The built FunctionGraph package of trail-integrity (dist/functiongraph/trail-integrity/index.js), with
 * real peers on 127.0.0.1: redis-server as the liveness store (STATE_STORE), a local OBS endpoint that
 * recomputes OBS's header signature of every GET, and the local SMN endpoint that checks the agency's
 * AK/SK signature. CTS digests are built here from huawei-facts §8 with node:crypto (not the production code).
 */
import { createHash, createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FunctionGraphContext } from '../shared/platform/functiongraph-handler';
import { listenOnLoopback, type LoopbackServer } from './support/loopback-server';
import { startRedisServer } from './support/redis-server';
import { startSmnServer } from './support/smn-server';

const ROOT = join(__dirname, '..');
const BUNDLE = join(ROOT, 'dist', 'functiongraph', 'trail-integrity', 'index.js');
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const KEYS = { accessKey: 'HPUAEXAMPLEAK12345', secretKey: 'example-secret-key-for-tests' };
const SECURITY_TOKEN = 'temporary-security-token-for-tests';
const BUCKET = 'cts-traces';
const REGION = 'eu-de';

type Module = {
  handler(event: unknown, context: FunctionGraphContext): Promise<Record<string, unknown>>;
};

/** A fresh instance of the package (a cold start), as FunctionGraph loads it. */
function coldStart(): Module {
  let mod: Module | undefined;
  jest.isolateModules(() => {
    mod = require(BUNDLE) as Module;
  });
  return mod as Module;
}

interface ObsServer extends LoopbackServer {
  objects: Map<string, { body: Buffer; meta: Record<string, string> }>;
  rejected: string[];
  gets: string[];
}

/** OBS path-style GET; the Authorization header is checked against OBS's documented string to sign. */
async function startObsServer(): Promise<ObsServer> {
  const objects = new Map<string, { body: Buffer; meta: Record<string, string> }>();
  const rejected: string[] = [];
  const gets: string[] = [];
  const server = await listenOnLoopback(async (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    gets.push(path);
    const date = String(req.headers.date ?? '');
    const token = req.headers['x-obs-security-token'];
    const toSign = `GET\n\n\n${date}\n${token ? `x-obs-security-token:${token}\n` : ''}${path}`;
    const expected = `OBS ${KEYS.accessKey}:${createHmac('sha1', KEYS.secretKey).update(toSign).digest('base64')}`;
    const skew = Math.abs(Date.now() - Date.parse(date));
    if (req.headers.authorization !== expected || token !== SECURITY_TOKEN || !(skew < 15 * 60_000)) {
      rejected.push(path);
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
      return;
    }
    const object = objects.get(decodeURIComponent(path));
    if (!object) {
      res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    const headers: Record<string, string> = { 'content-length': String(object.body.length) };
    for (const [name, value] of Object.entries(object.meta)) headers[`x-obs-meta-${name}`] = value;
    res.writeHead(200, headers).end(object.body);
  }, new Set());
  return Object.assign(server, { objects, rejected, gets });
}

const ctsTime = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const day = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
};
const logKey = (ms: number, unique: string) =>
  `CloudTraces/${REGION}/${day(ms)}/system/ECS/trail_CloudTrace_${REGION}_${ctsTime(ms)}_${unique}.json.gz`;
const digestKey = (ms: number) =>
  `CloudTraces/${REGION}/${day(ms)}/system/Digest/ECS/trail_CloudTrace-Digest_${REGION}_${ctsTime(ms)}.json.gz`;

/** One CTS digest as §8 documents it: signed string = end_time + object + md5(gzipped file) + previous signature. */
function ctsDigest(
  key: KeyObject,
  end: number,
  logs: { key: string; body: Buffer }[],
  previous?: { key: string; body: Buffer; signature: string },
): { key: string; body: Buffer; signature: string } {
  const object = digestKey(end);
  const doc = {
    project_id: PROJECT,
    digest_start_time: ctsTime(end - 3_600_000),
    digest_end_time: ctsTime(end),
    digest_bucket: BUCKET,
    digest_object: object,
    digest_signature_algorithm: 'SHA256withRSA',
    digest_end: false,
    previous_digest_bucket: previous ? BUCKET : null,
    previous_digest_object: previous?.key ?? null,
    previous_digest_hash_value: previous ? md5(previous.body) : null,
    previous_digest_hash_algorithm: previous ? 'MD5' : null,
    previous_digest_signature: previous?.signature ?? null,
    previous_digest_end: previous ? false : null,
    log_files: logs.map((log) => ({
      bucket: BUCKET,
      object: log.key,
      log_hash_value: md5(log.body),
      log_hash_algorithm: 'MD5',
    })),
  };
  const body = gzipSync(JSON.stringify(doc));
  const signed = `${doc.digest_end_time}${object}${md5(body)}${previous?.signature ?? ''}`;
  return { key: object, body, signature: sign('sha256', Buffer.from(signed), key).toString('hex') };
}

/** The OBS trigger's object-created event (the S3-shaped sample FunctionGraph documents). */
function obsEvent(key: string) {
  return {
    Records: [
      {
        eventVersion: '2.0',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: { s3SchemaVersion: '1.0', bucket: { name: BUCKET }, object: { key, size: 1 } },
      },
    ],
  };
}

const TIMER = { version: 'v1.0', time: new Date().toISOString(), trigger_type: 'TIMER', trigger_name: 'flush' };

let redis: Awaited<ReturnType<typeof startRedisServer>>;
let obs: ObsServer;
let smn: Awaited<ReturnType<typeof startSmnServer>>;
const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ctsPublicKey = signer.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

function context(extra: Record<string, string> = {}): FunctionGraphContext {
  const userData: Record<string, string> = {
    ALERT_SINK: 'smn',
    ALERT_TOPIC: `urn:smn:${REGION}:${PROJECT}:trail_alerts`,
    SINK_ENDPOINT: smn.url,
    OBS_ENDPOINT: obs.url,
    CTS_PUBLIC_KEY: ctsPublicKey,
    LOG_LEVEL: 'silent',
    ...(redis ? { STATE_STORE: redis.url } : {}),
    ...extra,
  };
  return {
    getRequestID: () => 'req-fg-1',
    getUserData: (key) => userData[key],
    getProjectID: () => PROJECT,
    getToken: () => '',
    getSecurityAccessKey: () => KEYS.accessKey,
    getSecuritySecretKey: () => KEYS.secretKey,
    getSecurityToken: () => SECURITY_TOKEN,
  };
}

beforeAll(async () => {
  if (!existsSync(BUNDLE))
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet'], { cwd: ROOT });
  redis = await startRedisServer();
  obs = await startObsServer();
  smn = await startSmnServer({ credentials: KEYS });
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  await obs?.close();
  await smn?.close();
});
beforeEach(() => {
  smn.published.length = 0;
  obs.objects.clear();
});

describe('trail-integrity FunctionGraph package: CTS digests on OBS', () => {
  const end = Date.parse('2026-12-01T10:00:00Z');
  function upload(tamper?: 'log' | 'signature') {
    const l1 = { key: logKey(end - 7_200_000 + 600_000, '0faa86bc40071242'), body: gzipSync('[]') };
    const l2 = { key: logKey(end - 3_600_000 + 600_000, '1fab86bc40071243'), body: gzipSync('[]') };
    const d1 = ctsDigest(signer.privateKey, end - 3_600_000, [l1]);
    const d2 = ctsDigest(
      tamper === 'signature' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : signer.privateKey,
      end,
      [l2],
      d1,
    );
    if (tamper === 'log') l2.body = gzipSync('[{"trace_name":"forged"}]');
    for (const file of [l1, l2]) obs.objects.set(`/${BUCKET}/${file.key}`, { body: file.body, meta: {} });
    for (const d of [d1, d2])
      obs.objects.set(`/${BUCKET}/${d.key}`, {
        body: d.body,
        meta: { signature: d.signature, 'signature-algorithm': 'SHA256withRSA' },
      });
    return d2;
  }

  it('verifies an arriving digest (signature, previous digest, listed trace files) read with the OBS signature', async () => {
    const d2 = upload();
    obs.gets.length = 0;
    const result = await coldStart().handler(obsEvent(d2.key), context());
    expect(obs.rejected).toEqual([]);
    // The digest, its predecessor, the trace file it lists: each read once.
    expect(obs.gets.filter((path) => path.includes('CloudTrace-Digest_eu-de_2026-12-01T10-00-00Z'))).toHaveLength(1);
    expect(obs.gets).toHaveLength(3);
    expect(result).toMatchObject({ digestsVerified: 1, verificationFailures: 0, unverifiable: 0, alerts: 0 });
  });

  it.each([
    ['log', /trace|log file/i],
    ['signature', /signature/i],
  ] as const)('alerts on SMN when the %s was tampered with', async (tamper, reason) => {
    const d2 = upload(tamper);
    const result = await coldStart().handler(obsEvent(d2.key), context());
    expect(result).toMatchObject({ digestsVerified: 1, alerts: 1, delivered: 1 });
    expect(smn.published).toHaveLength(1);
    expect(smn.published[0].message).toMatch(/Status: invalid/);
    expect(smn.published[0].message).toMatch(reason);
  });

  it('a listed trace file deleted from the bucket alerts as missing', async () => {
    const d2 = upload();
    for (const name of [...obs.objects.keys()]) if (name.includes('_1fab86bc40071243')) obs.objects.delete(name);
    const result = await coldStart().handler(obsEvent(d2.key), context());
    expect(result).toMatchObject({ digestsVerified: 1, verificationFailures: 1, alerts: 1, delivered: 1 });
    expect(smn.published[0].message).toMatch(/Status: missing/);
  });

  it('a bad OBS_ENDPOINT or CTS_PUBLIC_KEY is listed with the shared problems in one cold-start error', async () => {
    const bad = context({ OBS_ENDPOINT: 'obs.example', CTS_PUBLIC_KEY: 'bm90IGEga2V5', DELIVERY_GAP: 'soon' });
    const error = await coldStart()
      .handler(obsEvent('x'), bad)
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/3 configuration problem/);
    expect((error as Error).message).toMatch(/OBS_ENDPOINT/);
    expect((error as Error).message).toMatch(/CTS_PUBLIC_KEY/);
    expect((error as Error).message).toMatch(/DELIVERY_GAP/);
  });

  it('without temporary AK/SK the digest is not read, and the invocation fails clearly', async () => {
    const d2 = upload();
    const ctx = { ...context(), getSecurityAccessKey: () => '', getSecuritySecretKey: () => '' };
    await expect(coldStart().handler(obsEvent(d2.key), ctx)).rejects.toThrow(/temporary AK\/SK/);
  });
});

describe('trail-integrity FunctionGraph package: liveness in Redis (STATE_STORE)', () => {
  it('the timer alerts on a delivery gap once, and again when deliveries resume, across instances', async () => {
    if (!redis) return;
    const ctx = context({ DELIVERY_GAP: 'logs=1s' });
    const log = { key: logKey(Date.now(), 'aaaabbbbccccdddd'), body: gzipSync('[]') };
    obs.objects.set(`/${BUCKET}/${log.key}`, { body: log.body, meta: {} });
    expect(await coldStart().handler(obsEvent(log.key), ctx)).toMatchObject({ arrivalsRecorded: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Another instance (cold start): the record is in Redis, not in the first instance's memory.
    const second = coldStart();
    expect(await second.handler(TIMER, ctx)).toMatchObject({ livenessAlerts: 1, delivered: 1 });
    expect(smn.published[0].message).toMatch(/nothing delivered for/);
    expect(await second.handler(TIMER, ctx)).toMatchObject({ livenessAlerts: 0 });
    expect(smn.published).toHaveLength(1);
    const again = { key: logKey(Date.now(), 'eeeeffff00001111'), body: gzipSync('[]') };
    obs.objects.set(`/${BUCKET}/${again.key}`, { body: again.body, meta: {} });
    await coldStart().handler(obsEvent(again.key), ctx);
    expect(await coldStart().handler(TIMER, ctx)).toMatchObject({ livenessAlerts: 1, delivered: 1 });
    expect(smn.published[1].message).toMatch(/delivering again/);
  });
});
