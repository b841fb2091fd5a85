/**
 * Delivery failures and the memory stage, against the shipped artifact: the built Lambda bundle
 * (dist/aws/unauthorized-api.mjs), DynamoDB state in dynalite and the alert topic in fauxqs, on loopback.
 * A flush whose roll-up cannot be delivered fails, and the next flush sends that roll-up exactly once; an
 * invocation whose alert cannot be delivered fails, and its retry alerts (its event is not "seen").
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useAlertTopicEmulator } from './support/alert-topic-emulator';
import { createStateTable, startDynalite } from './support/dynalite';
import { fixture } from './support/fixtures';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const BUNDLE = join(ROOT, 'dist', 'aws', 'unauthorized-api.mjs');
const WINDOW_MS = 8_000;
const emulator = useAlertTopicEmulator('undelivered-alerts', 'undelivered-inbox');
let dynalite: Awaited<ReturnType<typeof startDynalite>>;

beforeAll(async () => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  dynalite = await startDynalite();
  await createStateTable(dynalite.endpoint, 'trailguard-state-failures');
}, 120_000);

afterAll(async () => {
  await dynalite?.stop();
});

function refusal(id: string): unknown {
  const event = structuredClone(fixture('aws/envelope-eventbridge-api-call-access-denied.json')) as {
    id: string;
    detail: { eventID: string };
  };
  event.id = `eb-${id}`;
  event.detail.eventID = id;
  return event;
}

const SCHEDULED = {
  version: '0',
  id: 'flush-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: '2026-11-24T10:20:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:000000000000:rule/unauthorized-api-flush'],
  detail: {},
};

async function invoke(events: unknown[], env: Record<string, string> = {}): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'test', 'support', 'invoke-bundle.mjs'), BUNDLE, JSON.stringify(events)],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
        ALERT_TOPIC: 'arn:aws:sns:us-east-1:000000000000:undelivered-alerts',
        SINK_ENDPOINT: emulator.address,
        METRIC_MODE: 'off',
        STATE_STORE: 'dynamodb://trailguard-state-failures',
        STATE_ENDPOINT: dynalite.endpoint,
        // dynalite on a shared 2-core machine is far slower than DynamoDB; the bound is what is tested below.
        STATE_TIMEOUT: '10s',
        DEDUP_WINDOW: `${WINDOW_MS}ms`,
        LOG_LEVEL: 'silent',
        ...env,
      },
    },
  );
  return JSON.parse(stdout) as Array<Record<string, unknown>>;
}

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
