/**
 * unauthorized-api end to end: the Lambda handler publishes alerts to the SNS emulator and one
 * PutMetricData call per invocation to a local CloudWatch endpoint; the CLI replays and matches.
 */
import { gzipSync } from 'node:zlib';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { resetSnsClients } from '../shared/sinks/sns-sink';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { startCloudWatchServer } from '../scripts/cloudwatch-endpoint';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';
import { EVENTS_DIR, fixture } from './support/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONTEXT = {
  awsRequestId: 'r',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:unauthorized-api',
};
let emulator: Emulator;
let cloudWatch: Awaited<ReturnType<typeof startCloudWatchServer>>;
const saved = { ...process.env };

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  [emulator, cloudWatch] = await Promise.all([
    startEmulator({
      topics: [{ name: 'alerts' }],
      queues: [{ name: 'inbox' }],
      subscriptions: [{ topic: 'alerts', queue: 'inbox' }],
    }),
    startCloudWatchServer(),
  ]);
});
afterAll(async () => {
  resetSnsClients();
  await Promise.all([emulator.stop(), cloudWatch.close()]);
  process.env = saved;
});
beforeEach(async () => {
  cloudWatch.calls.length = 0;
  await drainQueue(emulator.address, 'inbox');
});

function handler(extra: Record<string, string> = {}) {
  return createLambdaHandler(unauthorizedApi, {
    ALERT_TOPIC: 'alerts',
    ALERT_REGION: 'us-east-1',
    SINK_ENDPOINT: emulator.address,
    METRIC_ENDPOINT: cloudWatch.url,
    LOG_LEVEL: 'silent',
    ...extra,
  });
}

function refusals(count: number): unknown {
  const base = fixture('aws/cloudtrail-access-denied.json') as Record<string, unknown>;
  return { Records: Array.from({ length: count }, (_, i) => ({ ...base, eventID: `denied-${i}` })) };
}

describe('unauthorized-api on Lambda', () => {
  it('an EventBridge refused call alerts through SNS and counts 1 in AuthorizationFailureCount', async () => {
    const result = await handler()(fixture('aws/envelope-eventbridge-api-call-access-denied.json'), CONTEXT);
    expect(result).toMatchObject({
      alerts: 1,
      delivered: 1,
      metric: { name: 'AuthorizationFailureCount', value: 1, published: true },
    });
    const [message] = await drainQueue(emulator.address, 'inbox');
    expect(message.Message).toMatch(/^Refused API call: /);
    expect(cloudWatch.calls).toHaveLength(1);
    expect(cloudWatch.calls[0]).toMatchObject({
      target: 'GraniteServiceVersion20100801.PutMetricData',
      signed: true,
      body: {
        Namespace: 'CloudTrailMetrics',
        MetricData: [{ MetricName: 'AuthorizationFailureCount', Value: 1, Unit: 'Count' }],
      },
    });
  });

  it('a log file of 300 refusals sends one aggregated alert and one metric call with the count', async () => {
    const result = await handler()(refusals(300), CONTEXT);
    expect(result).toMatchObject({ records: 300, alerts: 1 });
    expect(await drainQueue(emulator.address, 'inbox')).toHaveLength(1);
    expect(cloudWatch.calls).toHaveLength(1);
    expect(cloudWatch.calls[0].body.MetricData?.[0].Value).toBe(300);
  });

  it('suppressed refusals are not dropped: a second datum of the same metric with Outcome=suppressed', async () => {
    const suppress = JSON.stringify([{ pattern: '{ $.eventID != "denied-0" }', reason: 'known probe' }]);
    const result = await handler({ SUPPRESS: suppress })(refusals(3), CONTEXT);
    expect(result).toMatchObject({ suppressed: 2, metric: { value: 1, suppressed: 2, published: true } });
    expect(cloudWatch.calls).toHaveLength(1);
    expect(cloudWatch.calls[0].body.MetricData).toMatchObject([
      { MetricName: 'AuthorizationFailureCount', Value: 1 },
      { MetricName: 'AuthorizationFailureCount', Value: 2, Dimensions: [{ Name: 'Outcome', Value: 'suppressed' }] },
    ]);
    expect(cloudWatch.calls[0].body.MetricData?.[0]).not.toHaveProperty('Dimensions');
  });

  it('an event matched by two unauthorized rules counts once', async () => {
    await handler({ RULE_SETS: 'unauthorized,unauthorized-v1.4' })(refusals(1), CONTEXT);
    expect(cloudWatch.calls[0].body.MetricData?.[0].Value).toBe(1);
  });

  it('an invocation with no refusals still reports 0, so the alarm sees data', async () => {
    await handler()(fixture('aws/cloudtrail-api-call-success.json'), CONTEXT);
    expect(cloudWatch.calls[0].body.MetricData?.[0].Value).toBe(0);
    expect(await drainQueue(emulator.address, 'inbox')).toHaveLength(0);
  });

  it('METRIC_MODE=emf writes one Embedded Metric Format line instead of calling the API', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await handler({ METRIC_MODE: 'emf' })(refusals(3), CONTEXT);
    } finally {
      write.mockRestore();
    }
    expect(cloudWatch.calls).toHaveLength(0);
    const emf = lines.map((line) => JSON.parse(line)).find((entry) => entry._aws);
    expect(emf).toMatchObject({
      AuthorizationFailureCount: 3,
      _aws: {
        CloudWatchMetrics: [
          { Namespace: 'CloudTrailMetrics', Metrics: [{ Name: 'AuthorizationFailureCount', Unit: 'Count' }] },
        ],
      },
    });
  });

  it('a refused metric call does not fail the invocation (a retry would repeat the alerts): the count goes out as EMF', async () => {
    cloudWatch.failNext(500, 'InternalServiceFault', 10);
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const result = await handler()(refusals(2), CONTEXT);
      expect(result).toMatchObject({ alerts: 1, delivered: 1, metric: { value: 2, via: 'emf' } });
    } finally {
      write.mockRestore();
      cloudWatch.failNext(500, 'InternalServiceFault', 0);
    }
    expect(lines.map((line) => JSON.parse(line)).find((entry) => entry._aws)).toMatchObject({
      AuthorizationFailureCount: 2,
    });
  });
});

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
  };
}

describe('trailguard replay unauthorized-api and trailguard match', () => {
  it('replays a gzip log file and prints one JSON alert per line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tg-')), 'trail.json.gz');
    writeFileSync(file, gzipSync(JSON.stringify(refusals(50))));
    const io = captureIo();
    expect(await main(['replay', 'unauthorized-api', file, '--json'], io)).toBe(0);
    expect(io.stdout).toHaveLength(1);
    expect(JSON.parse(io.stdout[0])).toMatchObject({
      function: 'unauthorized-api',
      rule: 'unauthorized-api-calls',
      count: 50,
    });
    expect(io.stderr.join('\n')).toContain('AuthorizationFailureCount: 50');
  });

  it('--rules picks rule sets', async () => {
    const io = captureIo();
    await main(['replay', 'unauthorized-api', join(EVENTS_DIR, 'aws'), '--json', '--rules', 'cis'], io);
    const rules = new Set(io.stdout.map((line) => JSON.parse(line).rule));
    expect(rules.has('unauthorized-api-calls')).toBe(true);
    expect(rules.has('root-account-usage')).toBe(true);
    expect(await main(['replay', 'unauthorized-api', EVENTS_DIR, '--rules', 'bogus'], captureIo())).toBe(2);
    expect(
      await main(['replay', 'login-whitelist', EVENTS_DIR, '--rules', 'cis'], captureIo({ IP_WHITELIST: '10.0.0.1' })),
    ).toBe(2);
  });

  it('match prints true or false per line, like TestMetricFilter', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tg-')), 'events.log');
    writeFileSync(
      file,
      [
        '{"errorCode": "AccessDenied"}',
        '{"errorCode": "Client.UnauthorizedOperation"}',
        '{"errorCode": "NoSuchKey"}',
        'not json',
      ].join('\n'),
    );
    const io = captureIo();
    expect(
      await main(
        ['match', '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }', file],
        io,
      ),
    ).toBe(0);
    expect(io.stdout).toEqual(['true', 'true', 'false', 'false']);
  });

  it('match exits 2 on an invalid pattern even when the file cannot be opened', async () => {
    expect(await main(['match', '{ $.a == 1 }', '/no/such/file'], captureIo())).toBe(2);
  });

  it('match exits 2 with the column on an invalid pattern', async () => {
    const io = captureIo();
    expect(
      await main(
        ['match', '{ $.errorCode IS NOT NULL }', join(EVENTS_DIR, 'aws', 'cloudtrail-access-denied.json')],
        io,
      ),
    ).toBe(2);
    expect(io.stderr[0]).toMatch(/column \d+/);
    expect(io.stdout).toEqual([]);
  });
});
