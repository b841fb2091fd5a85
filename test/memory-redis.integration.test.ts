/**
 * The memory stage on Huawei FunctionGraph with the Redis store (what DCS provides), against a real
 * redis-server on loopback and the local SMN endpoint: four function instances at once (three from
 * source, one the BUILT bundle dist/functiongraph/unauthorized-api/index.js), 30 CTS refusals by one
 * principal, one per invocation → one alert; after the window, a timer-trigger flush → one roll-up
 * saying 29; the same trace again → nothing; Redis down → the alert is still published.
 */
import { join } from 'node:path';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import { createFunctionGraphHandler, type FunctionGraphContext } from '../shared/platform/functiongraph-handler';
import { functionGraphContext } from './support/functiongraph-context';
import { fixture } from './support/fixtures';
import { startRedisServer } from './support/redis-server';
import { startSmnServer } from './support/smn-server';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOKEN = 'MIIZfake-token-for-tests';
const WINDOW_MS = 2_000;
const TIMER = {
  version: 'v1.0',
  time: '2026-11-24T18:30:00+08:00',
  trigger_type: 'TIMER',
  trigger_name: 'trailguard-flush',
  user_event: '',
};

let smn: Awaited<ReturnType<typeof startSmnServer>>;
let redis: Awaited<ReturnType<typeof startRedisServer>>;
type Handler = (event: unknown, context: FunctionGraphContext) => Promise<Record<string, unknown>>;

beforeAll(async () => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  smn = await startSmnServer({ token: TOKEN });
  redis = await startRedisServer();
}, 120_000);

afterAll(async () => {
  await smn?.close();
  await redis?.stop();
});

function context(extra: Record<string, string> = {}): FunctionGraphContext {
  return functionGraphContext({
    userData: {
      SMN_Topic: 'trailguard-alerts',
      RegionName: 'eu-de',
      SINK_ENDPOINT: smn.url,
      LOG_LEVEL: 'silent',
      STATE_STORE: redis?.url ?? '',
      DEDUP_WINDOW: `${WINDOW_MS}ms`,
      ...extra,
    },
    projectId: PROJECT,
    token: TOKEN,
    keys: { accessKey: 'unused', secretKey: 'unused' },
  });
}

function trace(id: string): unknown {
  return { cts: { ...(fixture('huaweicloud/cts-api-call-forbidden.json') as object), trace_id: id } };
}

describe('unauthorized-api on FunctionGraph with the Redis store', () => {
  it('30 refusals over 4 instances at once → 1 alert; the timer flush → 1 roll-up saying 29; a repeat → nothing', async () => {
    if (!redis) return;
    const bundle = require(join(ROOT, 'dist', 'functiongraph', 'unauthorized-api', 'index.js')) as { handler: Handler };
    const instances: Handler[] = [
      bundle.handler,
      ...[0, 1, 2].map(() => createFunctionGraphHandler(unauthorizedApi, {}).handler as unknown as Handler),
    ];
    smn.published.length = 0;
    const ids = Array.from({ length: 30 }, (_v, i) => `redis-storm-${i}`);
    const results = await Promise.all(ids.map((id, i) => instances[i % 4](trace(id), context())));
    expect(results.reduce((sum, r) => sum + (r.alerts as number), 0)).toBe(1);
    expect(results.reduce((sum, r) => sum + (r.memory as { held: number }).held, 0)).toBe(29);
    expect(smn.published).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 200));
    const flushes = await Promise.all(instances.map((handler) => handler(TIMER, context())));
    expect(flushes.reduce((sum, r) => sum + (r.alerts as number), 0)).toBe(1);
    expect(smn.published).toHaveLength(2);
    expect(smn.published[1].message).toMatch(/^29 more events like this since \S+Z, first ids: redis-storm-/);

    const repeat = await bundle.handler(trace(ids[3]), context());
    expect(repeat).toMatchObject({ alerts: 0, memory: { duplicates: 1 } });
    expect(smn.published).toHaveLength(2);
  }, 60_000);

  it('Redis down: the alert is published, marked, and the invocation succeeds', async () => {
    if (!redis) return;
    smn.published.length = 0;
    const { handler } = createFunctionGraphHandler(unauthorizedApi, {});
    const result = await handler(
      trace('redis-down-1'),
      context({ STATE_STORE: 'redis://127.0.0.1:9', STATE_TIMEOUT: '300ms' }),
    );
    expect(result).toMatchObject({ alerts: 1, delivered: 1, memory: { unavailable: 1 } });
    expect(smn.published[0].message).toMatch(/^Note: dedup state unavailable \(/m);
  }, 30_000);
});
