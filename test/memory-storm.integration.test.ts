/**
 * The storm, against the shipped artifact: the built Lambda bundle (dist/aws/unauthorized-api.js) in
 * several processes at once, DynamoDB state in dynalite and the alert topic in fauxqs, all on loopback.
 * 50 refusals by one principal, one per invocation → one alert; after the window, a flush invocation →
 * one roll-up saying 49; the same event id again → nothing; the store down → the alert still arrives.
 */
import { refusal, SCHEDULED_FLUSH as SCHEDULED, useBundlePeers } from './support/bundle-peers';
import { drainQueue } from './support/sqs-inbox';

// Long enough that 50 invocations on a loaded 2-core machine fit in one window (a shorter one ends mid-storm).
const WINDOW_MS = 20_000;
const { emulator, invoke: invokeBundle } = useBundlePeers({
  topic: 'storm-alerts',
  inbox: 'storm-inbox',
  stateTable: 'trailguard-state',
});

const invoke = (events: unknown[], env: Record<string, string> = {}) =>
  invokeBundle('unauthorized-api', events, { DEDUP_WINDOW: `${WINDOW_MS}ms`, ...env });

describe('the storm through the built Lambda bundle with the DynamoDB store', () => {
  it('50 refusals from 5 processes at once → 1 alert; the flush after the window → 1 roll-up saying 49; a repeat → nothing', async () => {
    const ids = Array.from({ length: 50 }, (_v, i) => `storm-${String(i).padStart(2, '0')}`);
    const started = Date.now();
    const batches = [0, 1, 2, 3, 4].map((p) => ids.filter((_id, i) => i % 5 === p).map(refusal));
    const results = (await Promise.all(batches.map((batch) => invoke(batch)))).flat();
    expect(results.filter((result) => result.error)).toEqual([]);
    expect(results.reduce((sum, r) => sum + (r.alerts as number), 0)).toBe(1);
    const memory = results.map((r) => r.memory as { sent: number; held: number });
    expect(memory.reduce((sum, m) => sum + m.sent, 0)).toBe(1);
    expect(memory.reduce((sum, m) => sum + m.held, 0)).toBe(49);
    const first = await drainQueue(emulator.address, 'storm-inbox');
    expect(first).toHaveLength(1);
    expect(first[0].Message).toMatch(/^Refused API call: /);

    // A flush before the window has ended says nothing.
    if (Date.now() - started < WINDOW_MS - 500) {
      expect((await invoke([SCHEDULED]))[0]).toMatchObject({ flush: true, alerts: 0 });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + WINDOW_MS + 2_000 - Date.now())));
    const [flush] = await invoke([SCHEDULED]);
    expect(flush).toMatchObject({ flush: true, alerts: 1, delivered: 1 });
    const rollUps = await drainQueue(emulator.address, 'storm-inbox');
    expect(rollUps).toHaveLength(1);
    expect(rollUps[0].Message).toMatch(
      /^49 more events like this since \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z, first ids: storm-/,
    );
    expect(rollUps[0].Message).toMatch(/^Held: 49$/m);
    expect(rollUps[0].Subject).toMatch(/^trailguard: 49 more: refused/);
    // Every id is in exactly one of the two messages (the roll-up lists the first five and "and 44 more").
    expect(rollUps[0].Message).toMatch(/and 44 more/);

    // A second flush, and the same event id again: nothing.
    const [again, repeat] = await invoke([SCHEDULED, refusal(ids[0])]);
    expect(again).toMatchObject({ flush: true, alerts: 0 });
    expect(repeat).toMatchObject({ alerts: 0, memory: { duplicates: 1 } });
    expect(await drainQueue(emulator.address, 'storm-inbox')).toHaveLength(0);
  }, 120_000);

  it('the store down: the alert is delivered, marked, and the invocation succeeds', async () => {
    const [result] = await invoke([refusal('store-down-1')], {
      STATE_ENDPOINT: 'http://127.0.0.1:9', // nothing listens on the discard port
      STATE_TIMEOUT: '300ms',
    });
    expect(result).toMatchObject({ alerts: 1, delivered: 1, memory: { unavailable: 1 } });
    const [message] = await drainQueue(emulator.address, 'storm-inbox');
    expect(message.Message).toMatch(/^Note: dedup state unavailable \(/m);
  }, 60_000);
});
