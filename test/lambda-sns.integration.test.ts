/**
 * The Lambda handler, fed with events/ samples, delivers alerts through a real SNS emulator (fauxqs on
 * loopback): an SQS queue subscribed to the topic shows what a subscriber receives.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { SinkError } from '../shared/errors';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';
import { useAlertTopicEmulator } from './support/alert-topic-emulator';
import { fixture, fixtureBytes } from './support/fixtures';
import { unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import { main } from '../cli/main';
import { EVENTS_DIR } from './support/fixtures';
import { join } from 'node:path';

const CONTEXT = {
  awsRequestId: 'test-request',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:login-whitelist',
};

const emulator = useAlertTopicEmulator('alerts', 'inbox');

function handlerFor(topic: string, extra: Record<string, string> = {}) {
  return createLambdaHandler(loginWhitelist, {
    IP_WHITELIST: '203.0.113.0/24, 2001:db8:1::/48',
    ALERT_TOPIC: topic,
    ALERT_REGION: 'us-east-1',
    SINK_ENDPOINT: emulator.address,
    S3_ENDPOINT: emulator.address,
    LOG_LEVEL: 'silent',
    ...extra,
  });
}

describe('login-whitelist on Lambda with SNS', () => {
  it('an EventBridge console sign-in from outside the whitelist reaches the topic subscriber', async () => {
    const handler = handlerFor('alerts');
    const result = await handler(fixture('aws/envelope-eventbridge-console-signin.json'), CONTEXT);
    expect(result).toMatchObject({ records: 1, alerts: 1, delivered: 1, rejected: 0 });
    const received = await drainQueue(emulator.address, 'inbox');
    expect(received).toHaveLength(1);
    expect(received[0].Message.split('\n')[0]).toMatch(/^Illegal operation\[IP:[0-9a-f.:]+, Action:login\]$/);
    expect(received[0].Message).toContain('\nProvider action: ConsoleLogin\n');
    expect(received[0].Subject).toMatch(/^trailguard: login from /);
    expect(received[0].MessageAttributes?.rule?.Value).toBe('ip-not-whitelisted');
  });

  it("a bare topic name is resolved from the region and the function ARN's account", async () => {
    const handler = handlerFor('alerts');
    await handler(fixture('aws/envelope-eventbridge-console-signin.json'), CONTEXT);
    expect(await drainQueue(emulator.address, 'inbox')).toHaveLength(1);
  });

  it('a Huawei CTS trigger event takes the same path', async () => {
    const handler = handlerFor('arn:aws:sns:us-east-1:000000000000:alerts');
    const result = await handler(fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'), CONTEXT);
    expect(result.alerts).toBe(1);
    const [message] = await drainQueue(emulator.address, 'inbox');
    expect(message.Message.split('\n')[0]).toBe('Illegal operation[IP:10.65.56.139, Action:login]');
  });

  it('an S3 notification makes the function fetch the CloudTrail log file and alert on its records', async () => {
    const notification = fixture('aws/envelope-s3-object-created.json');
    const objects = unwrapEnvelope(notification, 'test').flatMap((entry) => (entry.type === 'fetch' ? [entry] : []));
    expect(objects.length).toBeGreaterThan(0);
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: emulator.address,
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
    });
    for (const bucket of new Set(objects.map((object) => object.bucket)))
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const object of objects) {
      await s3.send(
        new PutObjectCommand({
          Bucket: object.bucket,
          Key: object.key,
          Body: fixtureBytes('aws/envelope-cloudtrail-log-file.json.gz'),
        }),
      );
    }
    s3.destroy();
    const result = await handlerFor('alerts')(notification, CONTEXT);
    expect(result).toMatchObject({ rejected: 0 });
    expect(result.records).toBeGreaterThan(1);
    expect(result.alerts).toBeGreaterThanOrEqual(1);
    expect(await drainQueue(emulator.address, 'inbox')).toHaveLength(result.alerts);
  });

  it('a missing log object is reported, not retried forever', async () => {
    const result = await handlerFor('alerts')(
      {
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            awsRegion: 'us-east-1',
            s3: { bucket: { name: 'no-such-bucket' }, object: { key: 'AWSLogs/x.json.gz' } },
          },
        ],
      },
      CONTEXT,
    );
    expect(result).toMatchObject({ records: 0, rejected: 1 });
  });

  it('a re-delivered event does not alert twice on a FIFO topic', async () => {
    const handler = handlerFor('arn:aws:sns:us-east-1:000000000000:alerts.fifo');
    const event = fixture('aws/envelope-eventbridge-console-signin.json');
    await handler(event, CONTEXT);
    await handler(event, CONTEXT);
    expect(await drainQueue(emulator.address, 'inbox.fifo')).toHaveLength(1);
  });

  it('a missing topic fails the invocation with a non-retryable error', async () => {
    const handler = handlerFor('arn:aws:sns:us-east-1:000000000000:no-such-topic');
    const failure = handler(fixture('aws/envelope-eventbridge-console-signin.json'), CONTEXT);
    await expect(failure).rejects.toBeInstanceOf(SinkError);
    await expect(failure).rejects.toMatchObject({ retryable: false });
  });

  it('a bad whitelist stops the function at cold start, naming the entry', () => {
    expect(() => handlerFor('alerts', { IP_WHITELIST: '203.0.113.0/24, 300.1.1.1' })).toThrow(/300\.1\.1\.1/);
  });

  it("one cold-start error lists the sink's and the detector's problems together", () => {
    expect(() =>
      createLambdaHandler(loginWhitelist, { IP_WHITELIST: '10.0.0.1/8 300.1.1.1', MAX_DECOMPRESSED_MB: 'lots' }),
    ).toThrow(/ALERT_TOPIC[\s\S]*MAX_DECOMPRESSED_MB[\s\S]*300\.1\.1\.1/);
  });

  it('a missing topic setting stops the function at cold start', () => {
    expect(() => createLambdaHandler(loginWhitelist, { IP_WHITELIST: '203.0.113.0/24' })).toThrow(/ALERT_TOPIC/);
  });
});

describe('trailguard replay --sink sns', () => {
  it('publishes the replayed alerts to the topic at --endpoint', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io = {
      env: {
        IP_WHITELIST: '203.0.113.0/24',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        LOG_LEVEL: 'silent',
      },
      out: (line: string) => stdout.push(line),
      err: (line: string) => stderr.push(line),
      progress: () => undefined,
      errIsTty: false,
    };
    const file = join(EVENTS_DIR, 'huaweicloud', 'cts-login-outside-ip.json');
    const code = await main(
      [
        'replay',
        'login-whitelist',
        file,
        '--json',
        '--sink',
        'sns',
        '--endpoint',
        emulator.address,
        '--topic',
        'arn:aws:sns:us-east-1:000000000000:alerts',
      ],
      io,
    );
    expect(code).toBe(0);
    expect(stderr.join('\n')).toContain('published 1 alert(s) to sns');
    const [message] = await drainQueue(emulator.address, 'inbox');
    expect(message.Message.split('\n')[0]).toBe('Illegal operation[IP:10.65.56.139, Action:login]');
  });
});
