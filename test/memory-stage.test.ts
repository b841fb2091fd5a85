/**
 * The memory stage's pure decisions and its in-process store: idempotency, the dedup window with its
 * roll-up, thresholds, suppressions, failing open, and the property that concurrent invocations count
 * every finding exactly once.
 */
import fc from 'fast-check';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import type { FindingGroup } from '../shared/detect/detector';
import { ConfigError } from '../shared/errors';
import { createMemoryStage } from '../shared/memory/create-memory-stage';
import { isFlushEvent } from '../shared/memory/flush-event';
import { loadMemoryConfig, type MemoryConfig, parseStoreLocation, redactUrl } from '../shared/memory/memory-config';
import {
  flushWindows,
  type MemoryOutcome,
  type MemoryStage,
  rememberGroups,
  restoreRollUps,
  suppressFindings,
  undoOutcome,
} from '../shared/memory/memory-stage';
import { createMemoryStore } from '../shared/memory/memory-store';
import { formatDuration, parseDuration } from '../shared/memory/parse-duration';
import type { StateStore } from '../shared/memory/state-store';
import { ConfigProblems } from '../shared/platform/env-config';
import { traceEvent } from './support/trace-events';

const config = unauthorizedApi.loadConfig({});
const T0 = Date.parse('2026-11-24T10:02:11.000Z');

function memoryConfig(env: Record<string, string> = {}): MemoryConfig {
  const problems = new ConfigProblems();
  const loaded = loadMemoryConfig(env, problems);
  problems.throwIfAny('test');
  return loaded;
}

function refusal(id: string, principal = 'arn:aws:iam::111122223333:user/mira'): FindingGroup {
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

function stageWith(store: StateStore, env: Record<string, string> = {}): MemoryStage {
  return { config: memoryConfig(env), store: async () => store };
}

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['0', 0],
    [' 15m ', 900_000],
  ])('%j is %d ms', (text, ms) => expect(parseDuration(text)).toEqual({ ms }));

  it.each(['15', '15 m', '1.5h', '1h30m', '-1m', 'm', '', '15min', '0s5', '1H'])(
    '%j is an error naming the units',
    (text) => {
      expect(parseDuration(text)).toEqual({ error: expect.stringMatching(/ms, s, m, h, d/) });
    },
  );

  it('formats back to the shortest exact spelling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), (ms) => {
        const parsed = parseDuration(formatDuration(ms));
        expect(parsed).toEqual({ ms });
      }),
    );
  });
});

describe('memory configuration', () => {
  it('defaults: memory store, 24h TTL, 15m window, 300ms timeout, no thresholds or suppressions', () => {
    expect(memoryConfig()).toMatchObject({
      store: { kind: 'memory' },
      storeConfigured: false,
      dedupTtlMs: 86_400_000,
      dedupWindowMs: 900_000,
      timeoutMs: 300,
      thresholds: [],
      suppressions: [],
    });
  });

  it('every problem is listed in the one error, a bad suppression pattern with its column', () => {
    const problems = new ConfigProblems();
    loadMemoryConfig(
      {
        STATE_STORE: 'postgres://x',
        DEDUP_TTL: '1 day',
        DEDUP_WINDOW: '15',
        THRESHOLDS: 'login-failed=5/10 m,oops',
        SUPPRESS: '[{"pattern":"{ $.userAgent = ","reason":"ci"},{"pattern":"x"}]',
        SUPPRESS_FILE: '/nonexistent.json',
      },
      problems,
      {
        readFile: () => {
          throw new Error('ENOENT');
        },
      },
    );
    expect(() => problems.throwIfAny('unauthorized-api')).toThrow(ConfigError);
    const text = problems.problems.join('\n');
    expect(text).toMatch(/STATE_STORE=.*use memory, dynamodb/);
    expect(text).toMatch(/DEDUP_TTL: "1 day" is not a duration/);
    expect(text).toMatch(/DEDUP_WINDOW: "15" is not a duration/);
    expect(text).toMatch(/THRESHOLDS: login-failed: "10 m"|THRESHOLDS: "login-failed=5\/10 m"/);
    expect(text).toMatch(/THRESHOLDS: "oops" is not rule=N\/period/);
    expect(text).toMatch(/SUPPRESS entry #1: invalid filter pattern at column \d+/);
    expect(text).toMatch(/SUPPRESS entry #2: "reason" is required/);
    expect(text).toMatch(/SUPPRESS_FILE "\/nonexistent.json" cannot be read/);
    expect(problems.problems.length).toBeGreaterThanOrEqual(8);
  });

  it.each([
    ['memory', { kind: 'memory' }],
    ['dynamodb://trailguard-state', { kind: 'dynamodb', table: 'trailguard-state' }],
    ['redis://cache.internal:6379/2', { kind: 'redis', url: 'redis://cache.internal:6379/2', tls: false }],
    ['rediss://:pw@cache.internal:6380', { kind: 'redis', url: 'rediss://:pw@cache.internal:6380', tls: true }],
  ])('STATE_STORE=%s', (text, location) => expect(parseStoreLocation(text)).toEqual(location));

  it('a store URL is shown with its password replaced', () => {
    expect(redactUrl('redis://user:s3cret@host:6379')).toBe('redis://user:***@host:6379');
    expect(redactUrl('rediss://s3cret@host')).toBe('rediss://***@host');
  });

  it('thresholds parse as rule=N/period', () => {
    expect(memoryConfig({ THRESHOLDS: 'login-failed=5/10m, unauthorized-api-calls=20/1h' }).thresholds).toEqual([
      { rule: 'login-failed', count: 5, periodMs: 600_000, text: '5/10m' },
      { rule: 'unauthorized-api-calls', count: 20, periodMs: 3_600_000, text: '20/1h' },
    ]);
  });
});

describe('flush invocations', () => {
  it.each([
    [{ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, true],
    [
      {
        version: 'v1.0',
        time: '2018-06-01T08:30:00+08:00',
        trigger_type: 'TIMER',
        trigger_name: 'Timer_001',
        user_event: 'User Event',
      },
      true,
    ],
    [{ source: 'aws.signin', 'detail-type': 'AWS Console Sign In via CloudTrail' }, false],
    [{ trigger_type: 'TIMER' }, false],
    [{ cts: {} }, false],
    [null, false],
    [[], false],
  ])('%j → %s', (event, flush) => expect(isFlushEvent(event)).toBe(flush));
});

describe('the dedup window', () => {
  it('the storm: 50 refusals one per invocation → one alert now, 49 held, one roll-up saying 49 after the window', async () => {
    const store = createMemoryStore(() => T0);
    const stage = stageWith(store);
    const sent = [];
    let held = 0;
    for (let i = 0; i < 50; i++) {
      const outcome = await rememberGroups(unauthorizedApi, config, [refusal(`evt-${i}`)], stage, T0 + i * 1000);
      sent.push(...outcome.alerts);
      held += outcome.summary.held;
    }
    expect(sent).toHaveLength(1);
    expect(sent[0].eventIds).toEqual(['evt-0']);
    expect(held).toBe(49);
    expect((await flushWindows('unauthorized-api', stage, T0 + 60_000)).alerts).toEqual([]);
    const { alerts } = await flushWindows('unauthorized-api', stage, T0 + 15 * 60_000);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ count: 49, rule: 'unauthorized-api-calls', function: 'unauthorized-api' });
    expect(alerts[0].message.split('\n')[0]).toBe(
      '49 more events like this since 10:02:11Z'.replace('10:02:11Z', '2026-11-24T10:02:11Z') +
        ', first ids: evt-1, evt-2, evt-3, evt-4, evt-5, and 44 more',
    );
    expect(alerts[0].eventIds.slice(0, 2)).toEqual(['evt-1', 'evt-2']);
    // A second flush finds nothing left to say.
    expect((await flushWindows('unauthorized-api', stage, T0 + 16 * 60_000)).alerts).toEqual([]);
  });

  it('the next invocation that sees the key after the window sends the roll-up, then its own alert', async () => {
    const stage = stageWith(createMemoryStore(() => T0));
    await rememberGroups(unauthorizedApi, config, [refusal('a')], stage, T0);
    await rememberGroups(unauthorizedApi, config, [refusal('b')], stage, T0 + 1000);
    const later = await rememberGroups(unauthorizedApi, config, [refusal('c')], stage, T0 + 16 * 60_000);
    expect(later.alerts.map((alert) => [alert.count, alert.eventIds])).toEqual([
      [1, ['b']],
      [1, ['c']],
    ]);
    expect(later.alerts[0].message).toMatch(/^1 more events like this since 2026-11-24T10:02:11Z, first ids: b$/m);
    expect(later.summary).toMatchObject({ sent: 1, rolledUp: 1 });
  });

  it('the same event id again → nothing, within DEDUP_TTL; after it, a new alert', async () => {
    const stage = stageWith(
      createMemoryStore(() => T0),
      { DEDUP_WINDOW: '0', DEDUP_TTL: '1h' },
    );
    expect((await rememberGroups(unauthorizedApi, config, [refusal('x')], stage, T0)).alerts).toHaveLength(1);
    const again = await rememberGroups(unauthorizedApi, config, [refusal('x')], stage, T0 + 1000);
    expect(again.alerts).toEqual([]);
    expect(again.summary.duplicates).toBe(1);
    expect((await rememberGroups(unauthorizedApi, config, [refusal('x')], stage, T0 + 3_600_000)).alerts).toHaveLength(
      1,
    );
  });

  it('DEDUP_WINDOW=0: every new event alerts', async () => {
    const stage = stageWith(
      createMemoryStore(() => T0),
      { DEDUP_WINDOW: '0' },
    );
    for (const id of ['a', 'b', 'c'])
      expect((await rememberGroups(unauthorizedApi, config, [refusal(id)], stage, T0)).alerts).toHaveLength(1);
  });

  it('different principals have different windows', async () => {
    const stage = stageWith(createMemoryStore(() => T0));
    const outcome = await rememberGroups(
      unauthorizedApi,
      config,
      [refusal('a', 'arn:aws:iam::1:user/a'), refusal('b', 'arn:aws:iam::1:user/b')],
      stage,
      T0,
    );
    expect(outcome.alerts).toHaveLength(2);
  });
});

describe('thresholds', () => {
  it('5 → one alert on the 5th finding, saying how many, over which period, with the first ids', async () => {
    const stage = stageWith(
      createMemoryStore(() => T0),
      { THRESHOLDS: 'unauthorized-api-calls=5/10m' },
    );
    const decisions = [];
    for (let i = 1; i <= 7; i++) {
      const outcome = await rememberGroups(unauthorizedApi, config, [refusal(`t-${i}`)], stage, T0 + i * 1000);
      decisions.push(outcome.alerts.length);
      if (i < 5) expect(outcome.summary.belowThreshold).toBe(1);
      if (i === 5) {
        expect(outcome.alerts[0].count).toBe(5);
        expect(outcome.alerts[0].eventIds).toEqual(['t-1', 't-2', 't-3', 't-4', 't-5']);
        expect(outcome.alerts[0].message).toMatch(
          /^Threshold: 5 events within 10m since .* \(unauthorized-api-calls=5\/10m\)$/m,
        );
      }
      if (i > 5) expect(outcome.summary.held).toBe(1);
    }
    expect(decisions).toEqual([0, 0, 0, 0, 1, 0, 0]);
    const { alerts } = await flushWindows('unauthorized-api', stage, T0 + 11 * 60_000);
    expect(alerts.map((alert) => alert.count)).toEqual([2]);
  });

  it('a threshold not reached within its period never alerts', async () => {
    const stage = stageWith(
      createMemoryStore(() => T0),
      { THRESHOLDS: 'unauthorized-api-calls=3/1m' },
    );
    await rememberGroups(unauthorizedApi, config, [refusal('a')], stage, T0);
    await rememberGroups(unauthorizedApi, config, [refusal('b')], stage, T0 + 30_000);
    const late = await rememberGroups(unauthorizedApi, config, [refusal('c')], stage, T0 + 61_000);
    expect(late.alerts).toEqual([]);
    expect((await flushWindows('unauthorized-api', stage, T0 + 3_600_000)).alerts).toEqual([]);
  });
});

describe('suppressions', () => {
  const finding = (userAgent: string) => ({
    rule: 'unauthorized-api-calls',
    severity: 'high' as const,
    event: traceEvent({ raw: { userAgent, errorCode: 'AccessDenied' } }),
    groupKey: 'k',
  });

  it('a matching entry mutes the finding; the rules list limits it; an expired entry no longer applies', () => {
    const memory = memoryConfig({
      SUPPRESS: JSON.stringify([
        { pattern: '{ $.userAgent = "ci-scanner*" }', reason: 'the CI permission probe', expires: '2026-12-31' },
        { pattern: '{ $.userAgent = "old-tool*" }', reason: 'retired', expires: '2026-01-01' },
        { pattern: '{ $.userAgent = "backup*" }', rules: ['other-rule'], reason: 'not this rule' },
      ]),
    });
    const { kept, suppressed } = suppressFindings(
      [finding('ci-scanner/1.0'), finding('old-tool/2'), finding('backup/3'), finding('aws-cli/2')],
      memory,
      T0,
    );
    expect(suppressed.map((entry) => [entry.index, entry.reason])).toEqual([[1, 'the CI permission probe']]);
    expect(kept.map((f) => (f.event.raw as { userAgent: string }).userAgent)).toEqual([
      'old-tool/2',
      'backup/3',
      'aws-cli/2',
    ]);
    // The day after its expiry date, the first entry stops applying too.
    expect(suppressFindings([finding('ci-scanner/1.0')], memory, Date.parse('2027-01-01T00:00:00Z')).kept).toHaveLength(
      1,
    );
  });
});

describe('failing open', () => {
  const broken = (fault: 'throw' | 'hang'): StateStore => {
    const store = createMemoryStore();
    const fail = () =>
      fault === 'throw' ? Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')) : new Promise<never>(() => {});
    return { ...store, claimEvent: fail, addToWindow: fail };
  };

  it.each(['throw', 'hang'] as const)(
    'a store that fails (%s): the alert is sent, marked, and the problem logged',
    async (fault) => {
      const errors: unknown[] = [];
      const log = { error: (object: unknown) => errors.push(object) } as never;
      const stage = stageWith(broken(fault), { STATE_TIMEOUT: '50ms' });
      const outcome = await rememberGroups(unauthorizedApi, config, [refusal('a')], stage, T0, log);
      expect(outcome.alerts).toHaveLength(1);
      expect(outcome.alerts[0].message).toMatch(
        /^Note: dedup state unavailable \(.*(ECONNREFUSED|longer than 50ms).*\)/m,
      );
      expect(outcome.summary.unavailable).toBe(1);
      expect(errors).toHaveLength(1);
    },
  );

  it('one connection per batch: a connect that fails fails every group open, and is tried once', async () => {
    let connects = 0;
    const stage: MemoryStage = {
      config: memoryConfig({ STATE_TIMEOUT: '50ms' }),
      store: () => {
        connects += 1;
        return Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'));
      },
    };
    const groups = [refusal('a', 'arn:aws:iam::111122223333:user/a'), refusal('b', 'arn:aws:iam::111122223333:user/b')];
    const outcome = await rememberGroups(unauthorizedApi, config, groups, stage, T0);
    expect(connects).toBe(1);
    expect(outcome.alerts).toHaveLength(2);
    expect(outcome.summary.unavailable).toBe(2);
    for (const alert of outcome.alerts) expect(alert.message).toMatch(/^Note: dedup state unavailable \(ECONNREFUSED/m);
    // No groups: no connection at all.
    await rememberGroups(unauthorizedApi, config, [], stage, T0);
    expect(connects).toBe(1);
  });

  it('a stage whose store() throws, instead of rejecting, fails every group open too', async () => {
    const stage: MemoryStage = {
      config: memoryConfig({ STATE_TIMEOUT: '50ms' }),
      store: () => {
        throw new Error('no store here');
      },
    };
    const outcome = await rememberGroups(unauthorizedApi, config, [refusal('a')], stage, T0);
    expect(outcome.alerts).toHaveLength(1);
    expect(outcome.alerts[0].message).toMatch(/^Note: dedup state unavailable \(no store here\)/m);
  });

  it('a store() that hangs is one timeout for the batch: every group fails open', async () => {
    const stage: MemoryStage = { config: memoryConfig({ STATE_TIMEOUT: '50ms' }), store: () => new Promise(() => {}) };
    const groups = [refusal('a', 'arn:aws:iam::111122223333:user/a'), refusal('b', 'arn:aws:iam::111122223333:user/b')];
    const outcome = await rememberGroups(unauthorizedApi, config, groups, stage, T0);
    expect(outcome.summary.unavailable).toBe(2);
    for (const alert of outcome.alerts) expect(alert.message).toMatch(/connect took longer than 50ms/);
  });

  it('a store that cannot even be created counts as unavailable', async () => {
    const stage = createMemoryStage({ ...memoryConfig(), store: { kind: 'redis', url: 'redis://x', tls: false } });
    const outcome = await rememberGroups(unauthorizedApi, config, [refusal('a')], stage, T0);
    expect(outcome.alerts[0].message).toMatch(/dedup state unavailable \(the Redis store is not available here\)/);
  });
});

describe('concurrent invocations (property)', () => {
  it('for any interleaving, alerts + held counts = findings, none counted twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(
          fc.record({
            principal: fc.integer({ min: 0, max: 2 }),
            at: fc.integer({ min: 0, max: 40 * 60_000 }),
            size: fc.integer({ min: 1, max: 3 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.constantFrom('', 'unauthorized-api-calls=2/5m'),
        async (s, invocations, thresholds) => {
          const inner = createMemoryStore(() => T0);
          // Every store call yields to the scheduler: invocations interleave at each await.
          const store = new Proxy(inner, {
            get(target, key: keyof StateStore) {
              const value = target[key];
              return typeof value === 'function'
                ? (...args: unknown[]) =>
                    s.schedule(Promise.resolve()).then(() => (value as (...a: unknown[]) => unknown)(...args))
                : value;
            },
          });
          const stage = stageWith(store, thresholds ? { THRESHOLDS: thresholds } : {});
          let n = 0;
          const groupIds: string[][] = [];
          const runs = invocations.map((invocation) => {
            const ids = Array.from({ length: invocation.size }, () => `e${n++}`);
            groupIds.push(ids);
            const group = { ...refusal(ids[0], `arn:p${invocation.principal}`), eventIds: ids, count: ids.length };
            return rememberGroups(unauthorizedApi, config, [group], stage, T0 + invocation.at);
          });
          const outcomes = await s.waitFor(Promise.all(runs));
          const flushed = await flushWindows(
            'unauthorized-api',
            { ...stage, store: async () => inner },
            T0 + 10 * 3_600_000,
          );
          const alerts = [...outcomes.flatMap((outcome) => outcome.alerts), ...flushed.alerts];
          const all = runs.flatMap((_run, index) => Array.from({ length: invocations[index].size }));
          // None counted twice: no id is in two alerts, and every alert's count is its ids (all kept here).
          const alertedIds = alerts.flatMap((alert) => alert.eventIds);
          expect(new Set(alertedIds).size).toBe(alertedIds.length);
          for (const alert of alerts) expect(alert.eventIds).toHaveLength(alert.count);
          // Every finding is in exactly one alert, or was counted below a threshold that its window never reached.
          const below = new Set(
            outcomes.flatMap((outcome, index) => (outcome.summary.belowThreshold > 0 ? groupIds[index] : [])),
          );
          const missing = groupIds.flat().filter((id) => !alertedIds.includes(id));
          expect(alertedIds.length + missing.length).toBe(all.length);
          for (const id of missing) expect(below.has(id)).toBe(true);
          if (thresholds === '') expect(missing).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('with delivery failures (undone, then retried by the platform) and a failed flush: still every finding once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(
          fc.record({
            principal: fc.integer({ min: 0, max: 2 }),
            at: fc.integer({ min: 0, max: 40 * 60_000 }),
            size: fc.integer({ min: 1, max: 3 }),
            fails: fc.boolean(),
            retryAfter: fc.integer({ min: 0, max: 20 * 60_000 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.constantFrom('', 'unauthorized-api-calls=2/5m'),
        fc.boolean(),
        async (s, invocations, thresholds, flushFails) => {
          const inner = createMemoryStore(() => T0);
          const store = new Proxy(inner, {
            get(target, key: keyof StateStore) {
              const value = target[key];
              return typeof value === 'function'
                ? (...args: unknown[]) =>
                    s.schedule(Promise.resolve()).then(() => (value as (...a: unknown[]) => unknown)(...args))
                : value;
            },
          });
          const stage = stageWith(store, thresholds ? { THRESHOLDS: thresholds } : {});
          let n = 0;
          const groupIds: string[][] = [];
          const below = new Set<string>();
          const runs = invocations.map(async (invocation) => {
            const ids = Array.from({ length: invocation.size }, () => `e${n++}`);
            groupIds.push(ids);
            const group = { ...refusal(ids[0], `arn:p${invocation.principal}`), eventIds: ids, count: ids.length };
            const note = (outcome: MemoryOutcome) => {
              if (outcome.summary.belowThreshold > 0) for (const id of ids) below.add(id);
              return outcome;
            };
            const first = note(await rememberGroups(unauthorizedApi, config, [group], stage, T0 + invocation.at));
            if (!invocation.fails || first.alerts.length === 0) return first.alerts;
            // Its delivery failed: undone, and the platform retries the invocation (later).
            await undoOutcome('unauthorized-api', stage, first, undefined, T0 + invocation.at);
            const retried = note(
              await rememberGroups(unauthorizedApi, config, [group], stage, T0 + invocation.at + invocation.retryAfter),
            );
            return retried.alerts;
          });
          const delivered = (await s.waitFor(Promise.all(runs))).flat();
          const flushStage = { ...stage, store: async () => inner };
          const end = T0 + 10 * 3_600_000;
          if (flushFails) {
            const failed = await flushWindows('unauthorized-api', flushStage, end);
            expect(await restoreRollUps('unauthorized-api', flushStage, failed.rollUps, end)).toBe(0);
          }
          const flushed = await flushWindows('unauthorized-api', flushStage, end);
          expect((await flushWindows('unauthorized-api', flushStage, end)).alerts).toEqual([]);
          const alerts = [...delivered, ...flushed.alerts];
          const alertedIds = alerts.flatMap((alert) => alert.eventIds);
          expect(new Set(alertedIds).size).toBe(alertedIds.length);
          for (const alert of alerts) expect(alert.eventIds).toHaveLength(alert.count);
          const missing = groupIds.flat().filter((id) => !alertedIds.includes(id));
          for (const id of missing) expect(below.has(id)).toBe(true);
          if (thresholds === '') expect(missing).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
