/**
 * Every state store keeps the same contract, against the real thing on loopback: claims are SET NX,
 * concurrent adds to one key agree on a single opener and count every finding once, ended windows are
 * replaced and handed back once, closing is once, and the generic record API round-trips.
 */
import { createDynamoDbStore } from '../shared/memory/dynamodb-store';
import { createMemoryStore } from '../shared/memory/memory-store';
import type { StateStore, WindowAdd } from '../shared/memory/state-store';
import { createStateTable, startDynalite } from './support/dynalite';
import { TEST_CREDENTIALS } from './support/sqs-inbox';
import { redisStoreForTests } from './support/redis-server';

const sample = {
  function: 'unauthorized-api',
  rule: 'unauthorized-api-calls',
  severity: 'high' as const,
  subject: 'trailguard: refused RunInstances by mira',
  event: { id: 'e' } as never,
};

function add(now: number, id: string, overrides: Partial<WindowAdd> = {}): WindowAdd {
  return {
    now,
    lengthMs: 60_000,
    threshold: 1,
    count: 1,
    ids: [id],
    keepIds: 100,
    sample,
    ttlMs: 3_600_000,
    ...overrides,
  };
}

type Factory = () => Promise<{ store: StateStore; stop(): Promise<void> } | undefined>;

const stores: Array<[string, Factory]> = [
  ['memory', async () => ({ store: createMemoryStore(), stop: async () => {} })],
  [
    'dynamodb (dynalite)',
    async () => {
      process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
      const dynalite = await startDynalite();
      await createStateTable(dynalite.endpoint, 'state');
      const store = await createDynamoDbStore({
        table: 'state',
        region: 'us-east-1',
        endpoint: dynalite.endpoint,
        requestTimeoutMs: 20_000,
      });
      return {
        store,
        stop: async () => {
          await store.close();
          await dynalite.stop();
        },
      };
    },
  ],
  ['redis (redis-server)', redisStoreForTests],
];

describe.each(stores)('%s store', (_name, factory) => {
  let store: StateStore;
  let stop: () => Promise<void>;
  let skip = false;
  const now = Date.now();

  beforeAll(async () => {
    const started = await factory();
    if (!started) {
      skip = true;
      return;
    }
    store = started.store;
    stop = started.stop;
  });
  afterAll(async () => {
    if (!skip) await stop();
  });

  it('a claim is granted once within its TTL, and again after it or after a release', async () => {
    if (skip) return;
    const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimEvent('tg:e:t:one', 60_000, now)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimEvent('tg:e:t:one', 60_000, now + 61_000)).toBe(true);
    await store.releaseEvent('tg:e:t:one');
    expect(await store.claimEvent('tg:e:t:one', 60_000, now + 62_000)).toBe(true);
  });

  it('50 concurrent adds to one key: exactly one opens the window, every finding counted once', async () => {
    if (skip) return;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_v, i) => store.addToWindow('t', 'tg:w:t:storm', add(now + i, `id-${i}`))),
    );
    expect(results.filter((result) => result.before === 0)).toHaveLength(1);
    const befores = results.map((result) => result.before).sort((a, b) => a - b);
    expect(befores).toEqual(Array.from({ length: 50 }, (_v, i) => i));
    const [listed] = (await store.listWindows('t')).filter((entry) => entry.key === 'tg:w:t:storm');
    expect(listed.window).toMatchObject({ count: 50, alerted: 1, threshold: 1 });
    expect(new Set(listed.window.ids).size).toBe(50);
    // An add after the end replaces the window and hands the ended one back, once.
    const later = listed.window.end + 1;
    const [a, b] = await Promise.all([
      store.addToWindow('t', 'tg:w:t:storm', add(later, 'late-1')),
      store.addToWindow('t', 'tg:w:t:storm', add(later, 'late-2')),
    ]);
    expect([a.replaced, b.replaced].filter(Boolean)).toHaveLength(1);
    expect((a.replaced ?? b.replaced)?.count).toBe(50);
    expect(a.window.count + b.window.count).toBe(3); // 1 and 2
  });

  it('closing a window returns it once; a stale start returns nothing', async () => {
    if (skip) return;
    const { window } = await store.addToWindow('t', 'tg:w:t:close', add(now, 'c1'));
    await store.addToWindow('t', 'tg:w:t:close', add(now + 1, 'c2'));
    expect(await store.closeWindow('t', 'tg:w:t:close', window.start + 5)).toBeUndefined();
    const closed = await Promise.all([
      store.closeWindow('t', 'tg:w:t:close', window.start),
      store.closeWindow('t', 'tg:w:t:close', window.start),
    ]);
    expect(closed.filter(Boolean).map((w) => w?.count)).toEqual([2]);
  });

  it('a threshold window marks its alert when the count reaches it', async () => {
    if (skip) return;
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(await store.addToWindow('t', 'tg:w:t:thr', add(now + i, `t${i}`, { threshold: 3 })));
    expect(results.map((result) => [result.before, result.window.alerted])).toEqual([
      [0, 0],
      [1, 0],
      [2, 3],
      [3, 3],
    ]);
  });

  it('records: put, get, list by prefix', async () => {
    if (skip) return;
    await store.putRecord('trail-integrity:trail/a', { lastSeen: '2026-11-24T10:00:00Z' }, 3600);
    await store.putRecord('trail-integrity:trail/b', { lastSeen: '2026-11-24T11:00:00Z' }, 3600);
    await store.putRecord('other:x', { n: 1 }, 3600);
    expect(await store.getRecord('trail-integrity:trail/a')).toEqual({ lastSeen: '2026-11-24T10:00:00Z' });
    expect(await store.getRecord('nope')).toBeUndefined();
    const listed = await store.listRecords('trail-integrity:');
    expect(listed.map((entry) => entry.key).sort()).toEqual(['trail-integrity:trail/a', 'trail-integrity:trail/b']);
  });
});
