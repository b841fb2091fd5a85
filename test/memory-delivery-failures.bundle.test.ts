/**
 * Delivery failures and the memory stage, against the shipped artifact: the built Lambda bundle
 * (dist/aws/unauthorized-api.js), DynamoDB state in dynalite and the alert topic in fauxqs, on loopback.
 * A flush whose roll-up cannot be delivered fails, and the next flush sends that roll-up exactly once; an
 * invocation whose alert cannot be delivered fails, and its retry alerts (its event is not "seen").
 */
import { refusal, SCHEDULED_FLUSH as SCHEDULED, useBundlePeers } from './support/bundle-peers';
import { drainQueue } from './support/sqs-inbox';

const WINDOW_MS = 8_000;
const { emulator, invoke: invokeBundle } = useBundlePeers({
  topic: 'undelivered-alerts',
  inbox: 'undelivered-inbox',
  stateTable: 'trailguard-state-failures',
});

const invoke = (events: unknown[], env: Record<string, string> = {}) =>
  invokeBundle('unauthorized-api', events, { DEDUP_WINDOW: `${WINDOW_MS}ms`, ...env });

const MISSING_TOPIC = 'arn:aws:sns:us-east-1:000000000000:no-such-topic';

describe('delivery failures through the built Lambda bundle with the DynamoDB store', () => {
  it('a flush that cannot deliver fails; the next flush sends the one roll-up with the right count', async () => {
    const ids = Array.from({ length: 6 }, (_v, i) => `undelivered-${i}`);
    const started = Date.now();
    const results = await invoke(ids.map(refusal));
    expect(results.filter((result) => result.error)).toEqual([]);
    expect(results.reduce((sum, r) => sum + (r.alerts as number), 0)).toBe(1);
    expect(await drainQueue(emulator.address, 'undelivered-inbox')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + WINDOW_MS + 1_500 - Date.now())));

    const [failed] = await invoke([SCHEDULED], { ALERT_TOPIC: MISSING_TOPIC });
    expect(failed.error).toEqual(expect.any(String));
    const [flush, again] = await invoke([SCHEDULED, SCHEDULED]);
    expect(flush).toMatchObject({ flush: true, alerts: 1, delivered: 1 });
    expect(again).toMatchObject({ flush: true, alerts: 0 });
    const rollUps = await drainQueue(emulator.address, 'undelivered-inbox');
    expect(rollUps).toHaveLength(1);
    expect(rollUps[0].Message).toMatch(/^5 more events like this since .*first ids: undelivered-1, /);
    expect(rollUps[0].Message).toMatch(/^Held: 5$/m);
  }, 120_000);

  it('an alert that cannot be delivered fails the invocation; the retry alerts once, then the event is seen', async () => {
    const [failed] = await invoke([refusal('retried-0')], { ALERT_TOPIC: MISSING_TOPIC });
    expect(failed.error).toEqual(expect.any(String));
    const [retry, repeat] = await invoke([refusal('retried-0'), refusal('retried-0')]);
    expect(retry).toMatchObject({ alerts: 1, delivered: 1, memory: { sent: 1 } });
    expect(repeat).toMatchObject({ alerts: 0, memory: { duplicates: 1 } });
    expect(await drainQueue(emulator.address, 'undelivered-inbox')).toHaveLength(1);
  }, 120_000);
});
