import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useAlertTopicEmulator } from './alert-topic-emulator';
import { buildBundles } from './build-once';
import { createStateTable, startDynalite } from './dynalite';
import { fixture } from './fixtures';
import { TEST_CREDENTIALS } from './sqs-inbox';

const ROOT = join(__dirname, '..', '..');

export interface BundlePeers {
  /** fauxqs (SNS, SQS, S3) on loopback, with the alert topic and its inbox queue. */
  readonly emulator: { readonly address: string };
  /**
   * Cold-starts the built Lambda bundle `dist/aws/<fn>.js` in a child process (test/support/invoke-bundle.mjs)
   * and runs its handler once per event; the results (or `{ error }`). The environment is only: test
   * credentials, the alert topic at the emulator, metrics off, logs silent, the state table at dynalite
   * (when there is one), then `env`.
   */
  invoke(fn: string, events: unknown[], env?: Record<string, string>): Promise<Array<Record<string, unknown>>>;
}

/**
 * For a test file that runs the shipped Lambda bundles against real peers on loopback: dist/ built (once
 * per jest run), the fauxqs alert topic and inbox (useAlertTopicEmulator), and, with `stateTable`, dynalite
 * holding that DynamoDB state table; all started before the file's tests and stopped after them.
 */
export function useBundlePeers(options: { topic: string; inbox: string; stateTable?: string }): BundlePeers {
  const emulator = useAlertTopicEmulator(options.topic, options.inbox);
  let dynalite: Awaited<ReturnType<typeof startDynalite>> | undefined;

  beforeAll(async () => {
    const build = buildBundles();
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    if (options.stateTable) {
      dynalite = await startDynalite();
      await createStateTable(dynalite.endpoint, options.stateTable);
    }
  }, 120_000);

  afterAll(async () => {
    await dynalite?.stop();
  });

  return {
    emulator,
    async invoke(fn, events, env = {}) {
      const state: Record<string, string> =
        options.stateTable && dynalite
          ? {
              STATE_STORE: `dynamodb://${options.stateTable}`,
              STATE_ENDPOINT: dynalite.endpoint,
              // dynalite on a shared 2-core machine is far slower than DynamoDB; the bound is what is tested.
              STATE_TIMEOUT: '10s',
            }
          : {};
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          join(ROOT, 'test', 'support', 'invoke-bundle.mjs'),
          join(ROOT, 'dist', 'aws', `${fn}.js`),
          JSON.stringify(events),
        ],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
            AWS_REGION: 'us-east-1',
            ALERT_TOPIC: `arn:aws:sns:us-east-1:000000000000:${options.topic}`,
            SINK_ENDPOINT: emulator.address,
            METRIC_MODE: 'off',
            LOG_LEVEL: 'silent',
            ...state,
            ...env,
          },
        },
      );
      return JSON.parse(stdout) as Array<Record<string, unknown>>;
    },
  };
}

/** An EventBridge-delivered refused API call with this event id (the fixture's, re-numbered). */
export function refusal(id: string): unknown {
  const event = structuredClone(fixture('aws/envelope-eventbridge-api-call-access-denied.json')) as {
    id: string;
    detail: { eventID: string };
  };
  event.id = `eb-${id}`;
  event.detail.eventID = id;
  return event;
}

/** The scheduled EventBridge event that makes unauthorized-api flush its roll-ups. */
export const SCHEDULED_FLUSH = {
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
