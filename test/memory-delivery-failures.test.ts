/**
 * Delivery failures and the memory stage, against every real store on loopback (the in-process store,
 * DynamoDB in dynalite, Redis in redis-server — skipped loudly when absent): a roll-up whose delivery
 * fails goes back and the next flush sends it exactly once; two flushers at once send one roll-up; an
 * alert that cannot be delivered withdraws only its own findings, so what other instances held is
 * kept and reported by the next alert or the roll-up.
 */
import type { Alert, AlertSink } from '../shared/alert/alert';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import type { FindingGroup } from '../shared/detect/detector';
import { SinkError } from '../shared/errors';
import { createDynamoDbStore } from '../shared/memory/dynamodb-store';
import { loadMemoryConfig } from '../shared/memory/memory-config';
import { type MemoryStage, rememberGroups, undoOutcome } from '../shared/memory/memory-stage';
import { createMemoryStore } from '../shared/memory/memory-store';
import type { StateStore } from '../shared/memory/state-store';
import { ConfigProblems } from '../shared/platform/env-config';
import { flushMemory } from '../shared/platform/invoke';
import { createLogger } from '../shared/platform/logger';
import { captureLog } from './support/capture-log';
import { createStateTable, startDynalite } from './support/dynalite';
import { memorySink } from './support/memory-sink';
import { redisStoreForTests } from './support/redis-server';
import { TEST_CREDENTIALS } from './support/sqs-inbox';
import { traceEvent } from './support/trace-events';

const config = unauthorizedApi.loadConfig({});
const FN = unauthorizedApi.name;
const WINDOW = 15 * 60_000;

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

function refusal(id: string, principal: string): FindingGroup {
  const event = traceEvent({
    id,
    service: 'ec2.amazonaws.com',
    action: 'RunInstances',
    category: 'api-call',
    outcome: 'failure',
    actor: { type: 'IAMUser', arn: principal, name: 'mira' },
    error: { code: 'Client.UnauthorizedOperation' },
    raw: { errorCode: 'Client.UnauthorizedOperation', userIdentity: { arn: principal } },
  });
  return {
    rule: 'unauthorized-api-calls',
    severity: 'high',
    groupKey: `unauthorized-api-calls\u0000${principal}`,
    first: event,
    eventIds: [id],
    count: 1,
  };
}

function failingSink(): AlertSink & { attempts: number } {
  return {
    name: 'failing',
    attempts: 0,
    async publish(): Promise<void> {
      this.attempts += 1;
      throw new SinkError('topic unreachable', 'failing', true);
    },
  };
}

describe.each(stores)('%s store', (_name, factory) => {
  let store: StateStore;
  let stop: () => Promise<void>;
  let skip = false;
  let stage: MemoryStage;
  // The stores check expiry against the real clock: windows live in the present.
  const T0 = Math.floor(Date.now() / 1000) * 1000;
  const captured = captureLog();
  const log = createLogger({ level: 'info' }, captured.destination);

  beforeAll(async () => {
    const started = await factory();
    if (!started) {
      skip = true;
      return;
    }
    store = started.store;
    stop = started.stop;
    const problems = new ConfigProblems();
    const memoryConfig = loadMemoryConfig({ STATE_TIMEOUT: '10s' }, problems);
    problems.throwIfAny('test');
    stage = { config: memoryConfig, store: async () => store };
  }, 60_000);
  afterAll(async () => {
    if (!skip) await stop();
  });

  /** One invocation per id, one after the other, all by `principal`. */
  async function storm(principal: string, ids: string[], at = T0) {
    const outcomes = [];
    for (const [index, id] of ids.entries())
      outcomes.push(await rememberGroups(unauthorizedApi, config, [refusal(id, principal)], stage, at + index));
    return outcomes;
  }

  it('a failing sink during the flush: the flush fails, the next flush sends exactly one roll-up with the count', async () => {
    if (skip) return;
    const principal = 'arn:p:flush-fails';
    const outcomes = await storm(
      principal,
      Array.from({ length: 5 }, (_v, i) => `ff-${i}`),
    );
    expect(outcomes.flatMap((outcome) => outcome.alerts)).toHaveLength(1);
    const after = new Date(T0 + WINDOW + 1_000);
    const failing = failingSink();
    await expect(flushMemory(FN, stage, { log, sinks: () => [failing], now: () => after })).rejects.toThrow(
      /topic unreachable/,
    );
    expect(failing.attempts).toBe(1);
    const sink = memorySink();
    const flushed = await flushMemory(FN, stage, { log, sinks: () => [sink], now: () => after });
    const mine = (alerts: Alert[]) =>
      alerts.filter((alert) => alert.subject.includes('ff-') || alert.eventIds[0]?.startsWith('ff-'));
    expect(flushed.delivered).toBe(1);
    expect(mine(sink.alerts)).toHaveLength(1);
    expect(sink.alerts[0]).toMatchObject({ count: 4, eventIds: ['ff-1', 'ff-2', 'ff-3', 'ff-4'] });
    expect(sink.alerts[0].message.split('\n')[0]).toMatch(/^4 more events like this since /);
    // Nothing left: a third flush sends nothing.
    const again = memorySink();
    await flushMemory(FN, stage, { log, sinks: () => [again], now: () => after });
    expect(mine(again.alerts)).toEqual([]);
  }, 60_000);

  it('two flushers at once, one of them failing: exactly one roll-up is delivered in the end', async () => {
    if (skip) return;
    const principal = 'arn:p:two-flushers';
    await storm(
      principal,
      Array.from({ length: 8 }, (_v, i) => `tf-${i}`),
      T0 + 1,
    );
    const after = new Date(T0 + WINDOW + 2_000);
    const delivered: Alert[] = [];
    const ok = memorySink();
    const outcomes = await Promise.allSettled([
      flushMemory(FN, stage, { log, sinks: () => [ok], now: () => after }),
      flushMemory(FN, stage, { log, sinks: () => [failingSink()], now: () => after }),
      flushMemory(FN, stage, { log, sinks: () => [ok], now: () => after }),
    ]);
    delivered.push(...ok.alerts);
    if (outcomes.some((outcome) => outcome.status === 'rejected')) {
      const next = memorySink();
      await flushMemory(FN, stage, { log, sinks: () => [next], now: () => after });
      delivered.push(...next.alerts);
    }
    const mine = delivered.filter((alert) => alert.eventIds[0]?.startsWith('tf-'));
    expect(mine).toHaveLength(1);
    expect(mine[0].count).toBe(7);
  }, 60_000);

  it('an undelivered first alert withdraws only its own finding: the held ones stay, and the retry alerts for all', async () => {
    if (skip) return;
    const principal = 'arn:p:undo-retry';
    const [first] = await storm(principal, ['ur-0'], T0 + 2);
    expect(first.alerts).toHaveLength(1);
    // Other instances hold three more in the window meanwhile.
    const others = await storm(principal, ['ur-1', 'ur-2', 'ur-3'], T0 + 10);
    expect(others.reduce((sum, outcome) => sum + outcome.summary.held, 0)).toBe(3);
    await undoOutcome(FN, stage, first, log, T0 + 20);
    const [window] = (await store.listWindows(FN)).filter(
      ({ window }) => window.sample.subject.includes('mira') && window.start === T0 + 2,
    );
    expect(window.window).toMatchObject({ count: 3, alerted: 0, withdrawn: true });
    expect([...window.window.ids].sort()).toEqual(['ur-1', 'ur-2', 'ur-3']);
    // The platform's retry: its event is new again, and its alert stands for everything in the window.
    const retry = await rememberGroups(unauthorizedApi, config, [refusal('ur-0', principal)], stage, T0 + 30);
    expect(retry.alerts).toHaveLength(1);
    expect(retry.alerts[0].count).toBe(4);
    expect([...retry.alerts[0].eventIds].sort()).toEqual(['ur-0', 'ur-1', 'ur-2', 'ur-3']);
    expect(retry.alerts[0].message).toMatch(/^Includes: 3 earlier events of this window since /m);
    // One more is held after it, and rolled up alone at the end.
    const [late] = await storm(principal, ['ur-4'], T0 + 40);
    expect(late.summary.held).toBe(1);
    const sink = memorySink();
    await flushMemory(FN, stage, { log, sinks: () => [sink], now: () => new Date(T0 + WINDOW + 3_000) });
    const mine = sink.alerts.filter((alert) => alert.eventIds.some((id) => id.startsWith('ur-')));
    expect(mine.map((alert) => [alert.count, alert.eventIds])).toEqual([[1, ['ur-4']]]);
  }, 60_000);

  it('an undelivered first alert and no retry in the window: the roll-up stands for all the others held', async () => {
    if (skip) return;
    const principal = 'arn:p:undo-no-retry';
    const [first] = await storm(principal, ['un-0'], T0 + 3);
    await storm(principal, ['un-1', 'un-2'], T0 + 10);
    await undoOutcome(FN, stage, first, log, T0 + 20);
    const sink = memorySink();
    await flushMemory(FN, stage, { log, sinks: () => [sink], now: () => new Date(T0 + WINDOW + 4_000) });
    const mine = sink.alerts.filter((alert) => alert.eventIds.some((id) => id.startsWith('un-')));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ count: 2 });
    expect([...mine[0].eventIds].sort()).toEqual(['un-1', 'un-2']);
    expect(mine[0].message).toMatch(
      /^2 events like this since .*\n\(the alert for the first of them could not be delivered\)/,
    );
  }, 60_000);

  it('an undelivered alert alone in its window: the window goes, and the retry opens a new one', async () => {
    if (skip) return;
    const principal = 'arn:p:undo-alone';
    const [first] = await storm(principal, ['ua-0'], T0 + 4);
    await undoOutcome(FN, stage, first, log, T0 + 5);
    const left = (await store.listWindows(FN)).filter(({ window }) => window.start === T0 + 4);
    expect(left).toEqual([]);
    const retry = await rememberGroups(unauthorizedApi, config, [refusal('ua-0', principal)], stage, T0 + 6);
    expect(retry.alerts.map((alert) => alert.count)).toEqual([1]);
    expect(retry.summary.sent).toBe(1);
  }, 60_000);

  it('a roll-up taken over by an invocation whose delivery fails goes back, and the flush sends it once', async () => {
    if (skip) return;
    const principal = 'arn:p:take-over';
    await storm(principal, ['to-0', 'to-1', 'to-2'], T0 + 5);
    // After the window: the next invocation for the key owns the roll-up, and its delivery fails.
    const later = await rememberGroups(
      unauthorizedApi,
      config,
      [refusal('to-3', principal)],
      stage,
      T0 + WINDOW + 5_000,
    );
    expect(later.rollUps).toHaveLength(1);
    expect(later.alerts.map((alert) => alert.count)).toEqual([2, 1]);
    await undoOutcome(FN, stage, later, log, T0 + WINDOW + 5_001);
    const sink = memorySink();
    await flushMemory(FN, stage, { log, sinks: () => [sink], now: () => new Date(T0 + WINDOW + 6_000) });
    const mine = sink.alerts.filter((alert) => alert.eventIds.some((id) => id.startsWith('to-')));
    expect(mine.map((alert) => [alert.count, alert.eventIds])).toEqual([[2, ['to-1', 'to-2']]]);
    expect(mine[0].dedupId).toBe(later.rollUps[0].alert.dedupId);
    const again = memorySink();
    await flushMemory(FN, stage, { log, sinks: () => [again], now: () => new Date(T0 + WINDOW + 7_000) });
    expect(again.alerts.filter((alert) => alert.eventIds.some((id) => id.startsWith('to-')))).toEqual([]);
  }, 60_000);

  it('an undelivered alert that stood for others, its window replaced before the undo: the others go back for the flush', async () => {
    if (skip) return;
    const principal = 'arn:p:orphans';
    const [first] = await storm(principal, ['uo-0'], T0 + 6);
    await storm(principal, ['uo-1'], T0 + 10);
    await undoOutcome(FN, stage, first, log, T0 + 11);
    const [reclaim] = await storm(principal, ['uo-2'], T0 + 12);
    expect(reclaim.alerts.map((alert) => alert.count)).toEqual([2]);
    // Before its delivery fails, the next invocation after the window replaces it: nothing owed there.
    const next = await rememberGroups(unauthorizedApi, config, [refusal('uo-3', principal)], stage, T0 + WINDOW + 100);
    expect(next.rollUps).toEqual([]);
    await undoOutcome(FN, stage, reclaim, log, T0 + WINDOW + 200);
    const sink = memorySink();
    await flushMemory(FN, stage, { log, sinks: () => [sink], now: () => new Date(T0 + 2 * WINDOW + 8_000) });
    const mine = sink.alerts.filter((alert) => alert.eventIds.some((id) => id.startsWith('uo-')));
    expect(mine.map((alert) => [alert.count, alert.eventIds])).toEqual([[1, ['uo-1']]]);
  }, 60_000);
});
