/**
 * Suppressed findings are never silently dropped: the function's metric carries them as a second datum
 * of the same metric with the dimension Outcome=suppressed. PutMetricData is tested in
 * unauthorized-api.integration.test.ts; here the other two paths: the Embedded Metric Format line (as
 * METRIC_MODE=emf, and as the fallback when the API call fails), and Cloud Eye on FunctionGraph, against
 * the local endpoints on loopback.
 */
import { startCloudWatchServer } from '../scripts/cloudwatch-endpoint';
import { type Emulator, startEmulator } from '../scripts/emulator';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import { createFunctionGraphHandler } from '../shared/platform/functiongraph-handler';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { resetSnsClients } from '../shared/sinks/sns-sink';
import { captureLog } from './support/capture-log';
import { type CesServer, startCesServer } from './support/ces-server';
import { fixture } from './support/fixtures';
import { functionGraphContext } from './support/functiongraph-context';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';

const CONTEXT = {
  awsRequestId: 'r',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:unauthorized-api',
};
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOKEN = 'MIIZfake-token-for-suppressed-metric-tests';
const KEYS = { accessKey: 'HPUAEXAMPLEAK12345', secretKey: 'example-secret-key-for-suppressed-metric' };
const SUPPRESS_ALL_BUT_FIRST = JSON.stringify([{ pattern: '{ $.eventID != "denied-0" }', reason: 'known probe' }]);

let emulator: Emulator;
let cloudWatch: Awaited<ReturnType<typeof startCloudWatchServer>>;
let ces: CesServer;
let smn: SmnServer;
const saved = { ...process.env };

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  [emulator, cloudWatch, ces, smn] = await Promise.all([
    startEmulator({
      topics: [{ name: 'alerts' }],
      queues: [{ name: 'inbox' }],
      subscriptions: [{ topic: 'alerts', queue: 'inbox' }],
    }),
    startCloudWatchServer(),
    startCesServer({ token: TOKEN, credentials: KEYS }),
    startSmnServer({ token: TOKEN, credentials: KEYS }),
  ]);
});
afterAll(async () => {
  resetSnsClients();
  await Promise.all([emulator.stop(), cloudWatch.close(), ces.close(), smn.close()]);
  process.env = saved;
});
beforeEach(async () => {
  cloudWatch.calls.length = 0;
  ces.data.length = 0;
  smn.published.length = 0;
  await drainQueue(emulator.address, 'inbox');
});

function refusals(count: number): unknown {
  const base = fixture('aws/cloudtrail-access-denied.json') as Record<string, unknown>;
  return { Records: Array.from({ length: count }, (_, i) => ({ ...base, eventID: `denied-${i}` })) };
}

function lambda(extra: Record<string, string>) {
  return createLambdaHandler(unauthorizedApi, {
    ALERT_TOPIC: 'alerts',
    ALERT_REGION: 'us-east-1',
    SINK_ENDPOINT: emulator.address,
    METRIC_ENDPOINT: cloudWatch.url,
    LOG_LEVEL: 'silent',
    ...extra,
  });
}

async function emfLines(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry._aws);
}

const emfDatum = (value: number, dimensions: string[]) => ({
  AuthorizationFailureCount: value,
  _aws: {
    CloudWatchMetrics: [
      { Namespace: 'CloudTrailMetrics', Dimensions: [dimensions], Metrics: [{ Name: 'AuthorizationFailureCount' }] },
    ],
  },
});

describe('the suppressed datum as Embedded Metric Format', () => {
  it('METRIC_MODE=emf: a second line of the same metric with Outcome=suppressed and the muted count', async () => {
    const lines = await emfLines(() =>
      lambda({ METRIC_MODE: 'emf', SUPPRESS: SUPPRESS_ALL_BUT_FIRST })(refusals(3), CONTEXT),
    );
    expect(cloudWatch.calls).toHaveLength(0);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject(emfDatum(1, []));
    expect(lines[0]).not.toHaveProperty('Outcome');
    expect(lines[1]).toMatchObject({ ...emfDatum(2, ['Outcome']), Outcome: 'suppressed' });
  });

  it('nothing suppressed: one line, no Outcome datum', async () => {
    const lines = await emfLines(() => lambda({ METRIC_MODE: 'emf' })(refusals(2), CONTEXT));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject(emfDatum(2, []));
  });

  it('the EMF fallback after a failed PutMetricData carries the suppressed datum too', async () => {
    cloudWatch.failNext(500, 'InternalServiceFault', 10);
    let result: unknown;
    try {
      const lines = await emfLines(async () => {
        result = await lambda({ SUPPRESS: SUPPRESS_ALL_BUT_FIRST })(refusals(3), CONTEXT);
      });
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject(emfDatum(1, []));
      expect(lines[1]).toMatchObject({ ...emfDatum(2, ['Outcome']), Outcome: 'suppressed' });
    } finally {
      cloudWatch.failNext(500, 'InternalServiceFault', 0);
    }
    expect(result).toMatchObject({ alerts: 1, suppressed: 2, metric: { value: 1, suppressed: 2, via: 'emf' } });
  });
});

describe('the suppressed datum on Cloud Eye (FunctionGraph)', () => {
  const forbidden = fixture('huaweicloud/cts-api-call-forbidden.json') as Record<string, unknown>;

  function run(event: unknown, variables: Record<string, string> = {}) {
    const log = captureLog();
    const { handler } = createFunctionGraphHandler(unauthorizedApi, {}, { logDestination: log.destination });
    const context = functionGraphContext({
      userData: {
        SMN_Topic: 'alerts',
        RegionName: 'eu-de',
        SMN_CLOUD: 'otc',
        SINK_ENDPOINT: smn.url,
        METRIC_ENDPOINT: ces.url,
        ...variables,
      },
      projectId: PROJECT,
      token: TOKEN,
      keys: KEYS,
      auth: 'token',
    });
    return handler(event, context);
  }

  it('a suppressed refusal: the count datum says 0, a second datum with Outcome=suppressed says 1', async () => {
    const suppress = JSON.stringify([{ pattern: '{ $.user.name = "build-bot" }', reason: 'CI probe' }]);
    const result = await run({ cts: forbidden }, { SUPPRESS: suppress });
    expect(result).toMatchObject({ alerts: 0, suppressed: 1, metric: { value: 0, suppressed: 1, published: true } });
    expect(smn.published).toHaveLength(0);
    expect(ces.data).toMatchObject([
      {
        metricName: 'AuthorizationFailureCount',
        dimensions: [{ name: 'function', value: 'unauthorized-api' }],
        value: 0,
      },
      {
        metricName: 'AuthorizationFailureCount',
        dimensions: [
          { name: 'function', value: 'unauthorized-api' },
          { name: 'Outcome', value: 'suppressed' },
        ],
        value: 1,
      },
    ]);
  });

  it('a suppression that does not match: one datum, no Outcome dimension', async () => {
    const suppress = JSON.stringify([{ pattern: '{ $.user.name = "someone-else" }', reason: 'other' }]);
    const result = await run({ cts: forbidden }, { SUPPRESS: suppress });
    expect(result).toMatchObject({ alerts: 1, suppressed: 0, metric: { value: 1, suppressed: 0 } });
    expect(ces.data).toHaveLength(1);
    expect(ces.data[0]).toMatchObject({ value: 1, dimensions: [{ name: 'function', value: 'unauthorized-api' }] });
  });
});
