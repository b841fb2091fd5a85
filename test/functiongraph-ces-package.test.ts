/**
 * The Cloud Eye metric through the shipped artifact: dist/functiongraph/unauthorized-api.zip is
 * built, unpacked and loaded as the runtime loads `index.handler`, and a CTS trigger event is run
 * against the local SMN and Cloud Eye endpoints, which verify the token or the AK/SK signature.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FunctionGraphContext } from '../shared/platform/functiongraph-handler';
import { type CesServer, startCesServer } from './support/ces-server';
import { fixture } from './support/fixtures';
import { functionGraphContext } from './support/functiongraph-context';
import { type SmnServer, startSmnServer } from './support/smn-server';
import { readZip } from './support/unzip';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOKEN = 'MIIZfake-token-for-ces-package-tests';
const KEYS = { accessKey: 'HPUAEXAMPLEAK24680', secretKey: 'example-secret-key-for-ces-package' };
const SECURITY_TOKEN = 'temporary-security-token-for-package';

interface FunctionGraphModule {
  handler: (event: unknown, context: FunctionGraphContext) => Promise<Record<string, unknown>>;
}

let ces: CesServer;
let smn: SmnServer;
let unpacked: string;

beforeAll(async () => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  unpacked = mkdtempSync(join(tmpdir(), 'trailguard-fg-ces-'));
  ces = await startCesServer({ token: TOKEN, credentials: { ...KEYS, securityToken: SECURITY_TOKEN } });
  smn = await startSmnServer({ token: TOKEN, credentials: KEYS });
}, 90_000);

afterAll(async () => {
  await ces?.close();
  await smn?.close();
  if (unpacked) rmSync(unpacked, { recursive: true, force: true });
});

beforeEach(() => {
  ces.data.length = 0;
  ces.setFault(undefined);
  smn.published.length = 0;
});

/** A fresh instance of the package, as a new FunctionGraph instance would load it. */
function load(): FunctionGraphModule {
  const dir = mkdtempSync(join(unpacked, 'instance-'));
  mkdirSync(dir, { recursive: true });
  const zip = readFileSync(join(ROOT, 'dist', 'functiongraph', 'unauthorized-api.zip'));
  for (const entry of readZip(zip)) {
    mkdirSync(dirname(join(dir, entry.name)), { recursive: true });
    writeFileSync(join(dir, entry.name), entry.data);
  }
  let mod: FunctionGraphModule | undefined;
  jest.isolateModules(() => {
    mod = require(join(dir, 'index.js')) as FunctionGraphModule;
  });
  return mod as FunctionGraphModule;
}

function context(auth: 'token' | 'aksk'): FunctionGraphContext {
  const ctx = functionGraphContext({
    userData: {
      SMN_Topic: 'alerts',
      RegionName: 'eu-de',
      SMN_CLOUD: 'otc',
      SINK_ENDPOINT: smn.url,
      METRIC_ENDPOINT: ces.url,
      LOG_LEVEL: 'silent',
    },
    projectId: PROJECT,
    token: TOKEN,
    keys: KEYS,
    auth,
  });
  if (auth === 'aksk') ctx.getSecurityToken = () => SECURITY_TOKEN;
  return ctx;
}

const forbidden = { cts: fixture('huaweicloud/cts-api-call-forbidden.json') };

describe('the unauthorized-api package sends its count to Cloud Eye', () => {
  it.each(['token', 'aksk'] as const)('with the agency %s: one datum of 1, and the alert', async (auth) => {
    const result = await load().handler(forbidden, context(auth));
    expect(result).toMatchObject({ alerts: 1, delivered: 1, metric: { value: 1, published: true } });
    expect(ces.data).toMatchObject([
      {
        projectId: PROJECT,
        namespace: 'TRAILGUARD.CloudTrailMetrics',
        metricName: 'AuthorizationFailureCount',
        dimensions: [{ name: 'function', value: 'unauthorized-api' }],
        value: 1,
      },
    ]);
    expect(smn.published).toHaveLength(1);
    // Per-protocol texts: SMS the subject, HTTP(S) the alert as JSON.
    expect(JSON.parse(smn.published[0].messageStructure?.https as string)).toMatchObject({
      function: 'unauthorized-api',
      count: 1,
    });
  });

  it('sends 0 for an invocation without a refused call', async () => {
    const trace = {
      ...(fixture('huaweicloud/cts-api-call-forbidden.json') as object),
      code: 200,
      trace_rating: 'normal',
    };
    const result = await load().handler({ cts: trace }, context('token'));
    expect(result).toMatchObject({ alerts: 0, metric: { value: 0, published: true } });
    expect(ces.data.map((datum) => datum.value)).toEqual([0]);
  });

  it('does not fail the invocation when Cloud Eye keeps answering 503', async () => {
    ces.setFault({ kind: 'status', status: 503 });
    const result = await load().handler(forbidden, context('token'));
    expect(result).toMatchObject({ delivered: 1, metric: { value: 1, published: false } });
    expect(ces.data).toHaveLength(0);
  });
});
