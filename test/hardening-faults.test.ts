/**
 * Faults at the sinks never look like success: against the real SNS emulator (behind a loopback proxy
 * that answers SNS Query-protocol errors, stalls or drops connections) and the local SMN endpoint, a
 * missing topic, throttling, 5xx, refused connections and slow answers get bounded retries with
 * backoff, then fail the invocation with a SinkError whose `retryable` says whether the platform's retry
 * (or a redrive from the dead-letter path) can help. Re-delivery to a FIFO topic does not alert twice.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DETECTORS } from '../functions/registry';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import type { Detector } from '../shared/detect/detector';
import { FetchError, isRetryable, SinkError } from '../shared/errors';
import { createLogger } from '../shared/platform/logger';
import { DetectionRun } from '../shared/pipeline';
import { createFunctionGraphHandler, type FunctionGraphContext } from '../shared/platform/functiongraph-handler';
import { invokeDetector } from '../shared/platform/invoke';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { createSmnSink } from '../shared/sinks/smn-sink';
import { createSnsSink, resetSnsClients, SNS_CLIENT_DEFAULTS, snsClientFor } from '../shared/sinks/sns-sink';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { captureLog, type CapturedLog } from './support/capture-log';
import { EVENTS_DIR, fixture } from './support/fixtures';
import { goodLogin } from './support/intake-paths';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { refusedUrl, startSnsProxy, type SnsProxy } from './support/sns-proxy';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';

const ENV = { IP_WHITELIST: '203.0.113.0/24, 2001:db8:1::/48', METRIC_MODE: 'off', LOG_LEVEL: 'info' };
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:alerts';
/** One FIFO topic and queue per test: a received, undeleted message holds back the rest of its message group. */
const FIFO = ['aggregate', 'retry'] as const;
const fifoTopic = (name: (typeof FIFO)[number]) => `arn:aws:sns:us-east-1:000000000000:alerts-${name}.fifo`;
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SMN_TOKEN = 'MIIZfake-token-for-fault-tests';
const SIGN_IN = () => fixture('aws/envelope-eventbridge-console-signin.json');
const CTS_LOGIN = () => fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json');

let emulator: Emulator;
let proxy: SnsProxy;
let smn: SmnServer;
let refused: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  emulator = await startEmulator({
    topics: [
      { name: 'alerts' },
      ...FIFO.map((name) => ({ name: `alerts-${name}.fifo`, attributes: { FifoTopic: 'true' } })),
    ],
    queues: [
      { name: 'inbox' },
      ...FIFO.map((name) => ({ name: `inbox-${name}.fifo`, attributes: { FifoQueue: 'true' } })),
    ],
    subscriptions: [
      { topic: 'alerts', queue: 'inbox' },
      ...FIFO.map((name) => ({ topic: `alerts-${name}.fifo`, queue: `inbox-${name}.fifo` })),
    ],
  });
  proxy = await startSnsProxy(emulator.address);
  smn = await startSmnServer({ token: SMN_TOKEN });
  refused = await refusedUrl();
}, 30_000);

afterAll(async () => {
  resetSnsClients();
  await Promise.all([emulator?.stop(), proxy?.close(), smn?.close()]);
  process.env = savedEnv;
});

beforeEach(async () => {
  proxy.setFault(undefined);
  smn.setFault(undefined);
  proxy.publishes.length = 0;
  smn.published.length = 0;
  smn.requests.length = 0;
  await drainQueue(emulator.address, 'inbox');
});

// The SDK's retry quota lives in the client; a fresh client per test keeps attempt counts exact.
afterEach(() => resetSnsClients());

function lambda(detector: Detector<unknown> = loginWhitelist as Detector<unknown>, extra: Record<string, string> = {}) {
  const log = captureLog();
  const handler = createLambdaHandler(
    detector,
    { ...ENV, ALERT_TOPIC: TOPIC, ALERT_REGION: 'us-east-1', SINK_ENDPOINT: proxy.url, ...extra },
    { logDestination: log.destination },
  );
  return { handler, log };
}

function functionGraph(extra: Record<string, string> = {}) {
  const log = captureLog();
  const { handler } = createFunctionGraphHandler(loginWhitelist, {}, { logDestination: log.destination });
  const variables: Record<string, string> = {
    ...ENV,
    ALERT_TOPIC: 'trailguard_alerts',
    ALERT_REGION: 'eu-de',
    SINK_ENDPOINT: smn.url,
    ...extra,
  };
  const context: FunctionGraphContext = {
    getRequestID: () => 'req-fault',
    getUserData: (key) => variables[key],
    getProjectID: () => PROJECT,
    getToken: () => SMN_TOKEN,
  };
  return { handler: (event: unknown) => handler(event, context), log };
}

async function failureOf(promise: Promise<unknown>): Promise<SinkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

/** What the operator sees: one error line per failed delivery and one for the invocation, with the retry verdict. */
function expectFailureLogged(log: CapturedLog, retryable: boolean, publishFailed = true): void {
  if (publishFailed) expect(log.find('alert publish failed').length).toBeGreaterThan(0);
  const [failed] = log.find('invocation failed');
  expect(failed).toMatchObject({
    level: 'error',
    retryable,
    err: expect.objectContaining({ type: 'SinkError', message: expect.any(String) }),
  });
  expect(log.find('invocation done')).toEqual([]);
}

const snsPublishes = () => proxy.publishes.length;

describe('SNS faults, on Lambda', () => {
  it('a missing topic fails the invocation at once with a non-retryable SinkError', async () => {
    const { handler, log } = lambda(undefined, { ALERT_TOPIC: 'arn:aws:sns:us-east-1:000000000000:no-such-topic' });
    const error = await failureOf(handler(SIGN_IN()));
    expect(error).toMatchObject({ sink: 'sns', retryable: false });
    expect(error.message).toMatch(/no-such-topic/);
    expect(isRetryable(error)).toBe(false);
    expect(snsPublishes()).toBe(1);
    expectFailureLogged(log, false);
  });

  it('two 500 InternalError answers are retried with backoff, then the alert is delivered', async () => {
    proxy.setFault({ kind: 'error', status: 500, code: 'InternalError', times: 2 });
    const { handler } = lambda();
    expect(await handler(SIGN_IN())).toMatchObject({ alerts: 1, delivered: 1 });
    expect(proxy.publishes.map((publish) => publish.status)).toEqual([500, 500, 200]);
    expect(await drainQueue(emulator.address, 'inbox')).toHaveLength(1);
  });

  it('a persistent 503 ends after the bounded attempts in a retryable SinkError, and nothing is delivered', async () => {
    proxy.setFault({ kind: 'error', status: 503, code: 'ServiceUnavailable' });
    const { handler, log } = lambda();
    const error = await failureOf(handler(SIGN_IN()));
    expect(error).toMatchObject({ sink: 'sns', retryable: true });
    expect(snsPublishes()).toBe(SNS_CLIENT_DEFAULTS.maxAttempts);
    expect(await drainQueue(emulator.address, 'inbox')).toEqual([]);
    expectFailureLogged(log, true);
  });

  it("Throttling once is retried (after the SDK's backoff) and delivered", async () => {
    proxy.setFault({ kind: 'error', status: 400, code: 'Throttling', message: 'Rate exceeded', times: 1 });
    const { handler } = lambda();
    expect(await handler(SIGN_IN())).toMatchObject({ delivered: 1 });
    expect(proxy.publishes.map((publish) => publish.status)).toEqual([400, 200]);
  });

  it('persistent Throttling ends in a retryable SinkError (two attempts, to keep the test short)', async () => {
    proxy.setFault({ kind: 'error', status: 400, code: 'Throttling', message: 'Rate exceeded' });
    const log = captureLog();
    const sink = createSnsSink({ client: snsClientFor('us-east-1', proxy.url, { maxAttempts: 2 }), topicArn: TOPIC });
    const error = await failureOf(
      invokeDetector(loginWhitelist, loginWhitelist.loadConfig(ENV), SIGN_IN(), {
        log: createLogger({}, log.destination),
        sinks: () => [sink],
      }),
    );
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/Rate exceeded/);
    expect(snsPublishes()).toBe(2);
    expectFailureLogged(log, true);
  });

  it('a refused connection is retried, then fails the invocation with a retryable SinkError', async () => {
    const { handler, log } = lambda(undefined, { SINK_ENDPOINT: refused });
    const error = await failureOf(handler(SIGN_IN()));
    expect(error).toMatchObject({ sink: 'sns', retryable: true });
    expect(error.message).toMatch(/ECONNREFUSED/);
    expectFailureLogged(log, true);
  });

  it('an answer slower than the per-attempt timeout is abandoned and retried: retryable SinkError, no hang', async () => {
    proxy.setFault({ kind: 'delay', ms: 3_000 });
    const sink = createSnsSink({
      client: snsClientFor('us-east-1', proxy.url, { maxAttempts: 2, timeoutMs: 200 }),
      topicArn: TOPIC,
    });
    const started = Date.now();
    const error = await failureOf(
      invokeDetector(loginWhitelist, loginWhitelist.loadConfig(ENV), SIGN_IN(), {
        log: createLogger({ level: 'silent' }),
        sinks: () => [sink],
      }),
    );
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/timeout/i);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('one slow answer is retried and the alert delivered', async () => {
    proxy.setFault({ kind: 'delay', ms: 1_000, times: 1 });
    const sink = createSnsSink({ client: snsClientFor('us-east-1', proxy.url, { timeoutMs: 200 }), topicArn: TOPIC });
    expect(
      await invokeDetector(loginWhitelist, loginWhitelist.loadConfig(ENV), SIGN_IN(), {
        log: createLogger({ level: 'silent' }),
        sinks: () => [sink],
      }),
    ).toMatchObject({ delivered: 1 });
    expect(await drainQueue(emulator.address, 'inbox')).toHaveLength(1);
  });

  it('a dropped connection is retried and the alert delivered', async () => {
    proxy.setFault({ kind: 'destroy', times: 1 });
    const { handler } = lambda();
    expect(await handler(SIGN_IN())).toMatchObject({ delivered: 1 });
    expect(await drainQueue(emulator.address, 'inbox')).toHaveLength(1);
  });

  it('every alert of the invocation is attempted before it fails: one refused publish, the others delivered', async () => {
    const records = ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((ip, index) => ({
      ...(fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json') as object),
      eventID: `multi-${index}`,
      sourceIPAddress: ip,
    }));
    proxy.setFault({
      kind: 'error',
      status: 400,
      code: 'InvalidParameter',
      message: 'Invalid parameter: injected',
      times: 1,
    });
    const { handler, log } = lambda();
    const error = await failureOf(handler({ Records: records }));
    expect(error.message).toMatch(/^1 of 3 alert deliveries failed/);
    expect(error.retryable).toBe(false);
    expect(await drainQueue(emulator.address, 'inbox')).toHaveLength(2);
    expect(log.find('alert published')).toHaveLength(2);
    expect(log.find('alert publish failed')).toHaveLength(1);
  });

  it.each(Object.keys(DETECTORS))(
    '%s: a publish that keeps failing fails the invocation (never a silent success)',
    async (name) => {
      const detector = DETECTORS[name as keyof typeof DETECTORS] as Detector<unknown>;
      const event = await triggerFixture(detector);
      proxy.setFault({ kind: 'error', status: 500, code: 'InternalError' });
      const { handler, log } = lambda(detector);
      expect(await failureOf(handler(event))).toMatchObject({ retryable: true });
      expectFailureLogged(log, true);
    },
  );
});

describe('metric faults, on Lambda', () => {
  const withMetric = Object.entries(DETECTORS).filter(([, detector]) => detector?.metric !== undefined);

  it('some registered function has a metric', () => {
    expect(withMetric.length).toBeGreaterThan(0);
  });

  it.each(withMetric)(
    '%s: an unreachable CloudWatch costs no alert and no duplicate: the count goes out as an EMF line',
    async (_name, detector) => {
      const { handler, log } = lambda(detector as Detector<unknown>, { METRIC_MODE: 'api', METRIC_ENDPOINT: refused });
      const lines: string[] = [];
      const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
      let result;
      try {
        result = await handler(await triggerFixture(detector as Detector<unknown>));
      } finally {
        write.mockRestore();
      }
      expect(result.metric).toMatchObject({ via: 'emf', published: true });
      expect(log.find('metric publish failed')).toHaveLength(1);
      expect(log.find('alert published').length).toBeGreaterThan(0);
      expect((await drainQueue(emulator.address, 'inbox')).length).toBeGreaterThan(0);
      const emf = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry._aws !== undefined);
      expect(emf?.[result.metric?.name ?? '']).toBe(result.metric?.value);
    },
  );
});

/** The first sample in events/ that makes this function alert. */
async function triggerFixture(detector: Detector<unknown>): Promise<unknown> {
  const config = detector.loadConfig(ENV);
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) =>
      statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)],
    );
  for (const file of files(EVENTS_DIR)
    .filter((path) => path.endsWith('.json'))
    .sort()) {
    const event: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const run = new DetectionRun(detector, config);
    await run.ingest(event, 'probe');
    if (run.alerts().length > 0) return event;
  }
  throw new Error(`no sample in events/ makes ${detector.name} alert`);
}

describe('re-delivery to a FIFO topic', () => {
  const aggregated = () => ({
    Records: [0, 1, 2].map((index) => ({
      ...(fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json') as object),
      eventID: `fifo-aggregate-${index}`,
    })),
  });

  it('an aggregated alert (three logins, one alert) re-delivered is received once, with its count', async () => {
    // Two cold starts: without a shared STATE_STORE each instance remembers only its own invocations.
    const first = lambda(undefined, { ALERT_TOPIC: fifoTopic('aggregate') });
    const second = lambda(undefined, { ALERT_TOPIC: fifoTopic('aggregate') });
    expect(await first.handler(aggregated())).toMatchObject({ alerts: 1, delivered: 1 });
    expect(await second.handler(aggregated())).toMatchObject({ alerts: 1, delivered: 1 });
    const received = await drainQueue(emulator.address, 'inbox-aggregate.fifo');
    expect(received).toHaveLength(1);
    expect(received[0].Message).toMatch(
      /^Events: 3 \(first ids: fifo-aggregate-0, fifo-aggregate-1, fifo-aggregate-2\)$/m,
    );
  });

  it("the platform's retry after a partly failed invocation delivers the missing alert and no duplicate", async () => {
    const event = {
      Records: ['198.51.100.61', '198.51.100.62'].map((ip, index) => ({
        ...(fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json') as object),
        eventID: `fifo-retry-${index}`,
        sourceIPAddress: ip,
      })),
    };
    const { handler } = lambda(undefined, { ALERT_TOPIC: fifoTopic('retry') });
    proxy.setFault({ kind: 'error', status: 400, code: 'InvalidParameter', times: 1 });
    await failureOf(handler(event));
    expect(await handler(event)).toMatchObject({ alerts: 2, delivered: 2 });
    const received = await drainQueue(emulator.address, 'inbox-retry.fifo');
    expect(received.map((message) => /Event id: (\S+)/.exec(message.Message)?.[1]).sort()).toEqual([
      'fifo-retry-0',
      'fifo-retry-1',
    ]);
  });
});

describe('S3 faults', () => {
  it("a throttled read of one object fails the invocation (retryable), after the other object's alert went out", async () => {
    const good = goodLogin('aws');
    const objects: Record<string, () => Promise<Uint8Array>> = {
      'slow.json.gz': async () => {
        throw new FetchError('SlowDown: Please reduce your request rate.', true);
      },
      'good.json': async () => Buffer.from(`{"Records":[${good.text}]}`),
    };
    const event = {
      Records: Object.keys(objects).map((key) => ({
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: 'b' }, object: { key } },
      })),
    };
    const log = captureLog();
    const sink = createSnsSink({ client: snsClientFor('us-east-1', proxy.url), topicArn: TOPIC });
    const error = await invokeDetector(loginWhitelist, loginWhitelist.loadConfig(ENV), event, {
      log: createLogger({}, log.destination),
      sinks: () => [sink],
      fetchObject: (_bucket, key) => objects[key](),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect(isRetryable(error)).toBe(true);
    expect(await drainQueue(emulator.address, 'inbox')).toEqual([
      expect.objectContaining({ Message: expect.stringContaining(good.id) }),
    ]);
    expect(log.find('invocation failed')).toEqual([expect.objectContaining({ retryable: true, alerts: 1 })]);
  });
});

describe('SMN faults, on FunctionGraph', () => {
  it('a missing topic (404 SMN.0006) is not retried and fails the invocation with a non-retryable SinkError', async () => {
    smn.setFault({ kind: 'status', status: 404 });
    const { handler, log } = functionGraph();
    const error = await failureOf(handler(CTS_LOGIN()));
    expect(error).toMatchObject({ sink: 'smn', retryable: false });
    expect(error.message).toMatch(/SMN\.0006/);
    expect(smn.requests).toHaveLength(1);
    expectFailureLogged(log, false);
  });

  it('a 429 throttling answer is retried with backoff and the alert delivered', async () => {
    smn.setFault({ kind: 'status', status: 429, times: 1 });
    const { handler } = functionGraph();
    expect(await handler(CTS_LOGIN())).toMatchObject({ delivered: 1 });
    expect(smn.requests.map((request) => request.status)).toEqual([429, 200]);
    expect(smn.published).toHaveLength(1);
  });

  it('a persistent 503 ends after three attempts in a retryable SinkError', async () => {
    smn.setFault({ kind: 'status', status: 503 });
    const { handler, log } = functionGraph();
    const error = await failureOf(handler(CTS_LOGIN()));
    expect(error).toMatchObject({ sink: 'smn', retryable: true });
    expect(error.message).toMatch(/after 3 attempts/);
    expect(smn.requests).toHaveLength(3);
    expectFailureLogged(log, true);
  });

  it('a refused connection ends in a retryable SinkError', async () => {
    const { handler, log } = functionGraph({ SINK_ENDPOINT: refused });
    const error = await failureOf(handler(CTS_LOGIN()));
    expect(error).toMatchObject({ sink: 'smn', retryable: true });
    expect(error.message).toMatch(/ECONNREFUSED/);
    expectFailureLogged(log, true);
  });

  it('a dropped connection is retried and the alert delivered', async () => {
    smn.setFault({ kind: 'destroy', times: 1 });
    const { handler } = functionGraph();
    expect(await handler(CTS_LOGIN())).toMatchObject({ delivered: 1 });
  });

  it('an answer slower than the timeout is abandoned: retryable SinkError, no hang', async () => {
    smn.setFault({ kind: 'delay', ms: 3_000 });
    const sink = createSmnSink({
      endpoint: smn.url,
      projectId: PROJECT,
      topicUrn: `urn:smn:eu-de:${PROJECT}:trailguard_alerts`,
      auth: { token: SMN_TOKEN },
      timeoutMs: 200,
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
    });
    const started = Date.now();
    const error = await failureOf(
      invokeDetector(loginWhitelist, loginWhitelist.loadConfig(ENV), CTS_LOGIN(), {
        log: createLogger({ level: 'silent' }),
        sinks: () => [sink],
      }),
    );
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/no response within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('without credentials the invocation fails with a clear, non-retryable error, logged', async () => {
    const log = captureLog();
    const { handler } = createFunctionGraphHandler(loginWhitelist, {}, { logDestination: log.destination });
    const variables: Record<string, string> = {
      ...ENV,
      ALERT_TOPIC: 'trailguard_alerts',
      ALERT_REGION: 'eu-de',
      SINK_ENDPOINT: smn.url,
    };
    const error = await failureOf(
      handler(CTS_LOGIN(), { getUserData: (key) => variables[key], getProjectID: () => PROJECT }),
    );
    expect(error).toMatchObject({ retryable: false });
    expect(error.message).toMatch(/agency/);
    expect(log.find('invocation failed')).toEqual([expect.objectContaining({ retryable: false })]);
  });
});
