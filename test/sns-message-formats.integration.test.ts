/**
 * ALERT_FORMAT on SNS, through the Lambda handler, a proxy that checks SNS's Publish rules (including
 * MessageStructure=json: a JSON object with a string `default`) and the fauxqs emulator with an SQS
 * queue subscribed to the topic.
 *
 * fauxqs 1.9.2 ignores MessageStructure (its publish action never reads the parameter): a subscriber
 * receives the whole JSON structure as the Message. Real SNS delivers each protocol its own key
 * (`sqs` here), or `default`. So these tests check that the structure went out and arrived intact,
 * and then apply SNS's choice themselves (`deliveredTo`) to see what each kind of subscriber gets.
 */
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { SMS_MAX_CHARS } from '../shared/sinks/alert-channels';
import { resetSnsClients } from '../shared/sinks/sns-sink';
import { useAlertTopicEmulator } from './support/alert-topic-emulator';
import { fixture } from './support/fixtures';
import { drainQueue } from './support/sqs-inbox';
import { startSnsProxy, type SnsProxy } from './support/sns-proxy';

const CONTEXT = {
  awsRequestId: 'test-request',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:login-whitelist',
};

const emulator = useAlertTopicEmulator('formats', 'formats-inbox');
let proxy: SnsProxy;
beforeAll(async () => {
  proxy = await startSnsProxy(emulator.address);
});
afterAll(async () => proxy?.close());
beforeEach(() => {
  proxy.publishes.length = 0;
  resetSnsClients();
});

function handlerFor(topic: string, extra: Record<string, string>) {
  return createLambdaHandler(loginWhitelist, {
    IP_WHITELIST: '203.0.113.0/24',
    ALERT_TOPIC: topic,
    ALERT_REGION: 'us-east-1',
    SINK_ENDPOINT: proxy.url,
    LOG_LEVEL: 'silent',
    ...extra,
  });
}

/** What SNS hands a subscriber of `protocol` for a MessageStructure=json publish. */
function deliveredTo(protocol: string, structure: Record<string, string>): string {
  return Object.hasOwn(structure, protocol) ? structure[protocol] : structure.default;
}

const SIGN_IN = 'aws/envelope-eventbridge-console-signin.json';

describe('ALERT_FORMAT=structured: one message per protocol', () => {
  it('goes out as MessageStructure=json and SNS accepts it', async () => {
    const result = await handlerFor('formats', { ALERT_FORMAT: 'structured' })(fixture(SIGN_IN), CONTEXT);
    expect(result).toMatchObject({ alerts: 1, delivered: 1 });
    expect(proxy.publishes).toHaveLength(1);
    expect(proxy.publishes[0].status).toBe(200);
    expect(proxy.publishes[0].params.get('MessageStructure')).toBe('json');
  });

  it('each protocol gets its own text: e-mail the full text, SMS one short line, machines the alert JSON', async () => {
    await handlerFor('formats', { ALERT_FORMAT: 'structured' })(fixture(SIGN_IN), CONTEXT);
    const [received] = await drainQueue(emulator.address, 'formats-inbox');
    // fauxqs passes the structure through unchanged (see the file comment).
    const structure = JSON.parse(received.Message) as Record<string, string>;
    expect(Object.keys(structure).sort()).toEqual(
      ['default', 'email', 'email-json', 'firehose', 'http', 'https', 'lambda', 'sms', 'sqs'].sort(),
    );
    const email = deliveredTo('email', structure);
    expect(email.split('\n')[0]).toMatch(/^Illegal operation\[IP:[0-9a-f.:]+, Action:login\]$/);
    expect(deliveredTo('default', structure)).toBe(email);
    const sms = deliveredTo('sms', structure);
    expect(sms).toMatch(/^HIGH: trailguard: login from /);
    expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(sms).not.toMatch(/[\r\n]/);
    for (const protocol of ['sqs', 'lambda', 'https', 'http']) {
      const json = JSON.parse(deliveredTo(protocol, structure));
      expect(json).toMatchObject({
        function: 'login-whitelist',
        rule: 'ip-not-whitelisted',
        severity: 'high',
        count: 1,
      });
      expect(json.message).toBe(email);
    }
    expect(received.Subject).toMatch(/^trailguard: login from /);
    expect(received.MessageAttributes?.rule?.Value).toBe('ip-not-whitelisted');
  });

  it('FIFO topics keep their group and deduplication ids with the structure', async () => {
    await handlerFor('formats.fifo', { ALERT_FORMAT: 'structured' })(fixture(SIGN_IN), CONTEXT);
    const params = proxy.publishes[0].params;
    expect(params.get('MessageStructure')).toBe('json');
    expect(params.get('MessageGroupId')).toMatch(/^[0-9a-f]{64}$/);
    expect(params.get('MessageDeduplicationId')).toMatch(/^[\x21-\x7e]{1,128}$/);
    const received = await drainQueue(emulator.address, 'formats-inbox.fifo');
    expect(received).toHaveLength(1);
    expect(JSON.parse(JSON.parse(received[0].Message).sqs).rule).toBe('ip-not-whitelisted');
  });
});

describe('ALERT_FORMAT=chatbot: an AWS Chatbot custom notification', () => {
  it('the Message is the custom-notification event, with the alert text in a code block', async () => {
    const result = await handlerFor('formats', { ALERT_FORMAT: 'chatbot' })(fixture(SIGN_IN), CONTEXT);
    expect(result.delivered).toBe(1);
    expect(proxy.publishes[0].params.get('MessageStructure')).toBeNull();
    const [received] = await drainQueue(emulator.address, 'formats-inbox');
    const event = JSON.parse(received.Message);
    expect(event).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
      metadata: {
        eventType: 'ip-not-whitelisted',
        additionalContext: { rule: 'ip-not-whitelisted', severity: 'high' },
      },
    });
    expect(event.content.title).toMatch(/^:rotating_light: trailguard: login from /);
    expect(event.content.description).toMatch(/^```\nIllegal operation\[IP:/);
    expect(event.content.description.endsWith('\n```')).toBe(true);
    expect(event.content.keywords).toEqual(['high', 'login-whitelist', 'ip-not-whitelisted']);
  });

  it('works on a FIFO topic too, with the same deduplication id as any other format', async () => {
    const result = await handlerFor('formats.fifo', { ALERT_FORMAT: 'chatbot' })(fixture(SIGN_IN), CONTEXT);
    expect(result.delivered).toBe(1);
    const [publish] = proxy.publishes;
    expect(publish.status).toBe(200);
    expect(publish.params.get('MessageGroupId')).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(publish.params.get('Message') ?? '').source).toBe('custom');
    // The structured test above sent the same event to this topic within 5 minutes: SNS FIFO (and fauxqs)
    // drop the repeat by its deduplication id, which is what a re-delivered event must do.
    expect(await drainQueue(emulator.address, 'formats-inbox.fifo')).toHaveLength(0);
  });
});

describe('ALERT_FORMAT=text (the default) is unchanged', () => {
  it('one plain message for every subscriber, no MessageStructure', async () => {
    await handlerFor('formats', {})(fixture(SIGN_IN), CONTEXT);
    expect(proxy.publishes[0].params.get('MessageStructure')).toBeNull();
    const [received] = await drainQueue(emulator.address, 'formats-inbox');
    expect(received.Message.split('\n')[0]).toMatch(/^Illegal operation/);
  });
});
