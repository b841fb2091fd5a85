/**
 * ROUTES: parsing (every problem listed at cold start, no webhook URL ever quoted), first-match
 * routing by account, region, function, rule and severity, and delivery through the Lambda handler
 * to several SNS topics (fauxqs) and a webhook (a local server) at once.
 */
import fc from 'fast-check';
import type { Alert } from '../shared/alert/alert';
import { ConfigProblems } from '../shared/platform/env-config';
import { withoutRaw } from '../shared/normalize/trace-event';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { parseRoutes, type RouteDefaults, routeFor } from '../shared/sinks/routes';
import { loadSinkConfig, sinkSecrets } from '../shared/sinks/sink-config';
import { createRoutedSink } from '../shared/sinks/routed-sink';
import { resetSnsClients } from '../shared/sinks/sns-sink';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';
import { fixture } from './support/fixtures';
import { traceEvent } from './support/trace-events';
import { startWebhookServer, type WebhookServer } from './support/webhook-server';
import { thrown } from './support/thrown';
import { captureIo } from './support/cli-io';
import { createFunctionGraphHandler } from '../shared/platform/functiongraph-handler';
import { functionGraphContext } from './support/functiongraph-context';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { main } from '../cli/main';

const AWS: RouteDefaults = { platform: 'aws', bareTopicKind: 'sns' };
const HIGH = 'arn:aws:sns:us-east-1:111122223333:sec-high';
const PROD = 'arn:aws:sns:us-east-1:111122223333:prod';
const CHAT = 'arn:aws:sns:us-east-1:111122223333:chat';

function parse(routes: unknown, env: Record<string, string> = {}, defaults: RouteDefaults = AWS) {
  const problems = new ConfigProblems();
  const parsed = parseRoutes(typeof routes === 'string' ? routes : JSON.stringify(routes), env, defaults, problems);
  return { routes: parsed, problems: [...problems.problems] };
}

function alert(overrides: Partial<Alert> = {}, event: Parameters<typeof traceEvent>[0] = {}): Alert {
  return {
    function: 'login-whitelist',
    rule: 'ip-not-whitelisted',
    severity: 'high',
    subject: 'trailguard: login',
    message: 'Illegal operation',
    event: withoutRaw(traceEvent({ account: '111122223333', region: 'us-east-1', ...event })),
    eventIds: ['evt-0001'],
    count: 1,
    dedupId: 'd1',
    ...overrides,
  };
}

const TABLE = [
  { match: { account: '999988887777' }, topics: [PROD], name: 'prod account' },
  { match: { severity: '>=high', function: 'unauthorized-api' }, topics: [HIGH] },
  { match: { region: 'eu-*', rule: ['root-login', 'ip-not-whitelisted'] }, topics: [HIGH, CHAT], format: 'structured' },
  { match: { severity: 'critical' }, topics: [{ topic: CHAT, format: 'chatbot' }, HIGH] },
];

describe('first match wins', () => {
  const { routes, problems } = parse(TABLE);
  it('the table parses', () => expect(problems).toEqual([]));

  it.each([
    ['an alert of the prod account', alert({}, { account: '999988887777' }), 'route 1 (prod account)', [PROD]],
    [
      'the prod account wins over a critical severity (it comes first)',
      alert({ severity: 'critical' }, { account: '999988887777' }),
      'route 1 (prod account)',
      [PROD],
    ],
    ['unauthorized-api at high', alert({ function: 'unauthorized-api', severity: 'high' }), 'route 2', [HIGH]],
    [
      'unauthorized-api at critical (>=high)',
      alert({ function: 'unauthorized-api', severity: 'critical' }),
      'route 2',
      [HIGH],
    ],
    [
      'unauthorized-api at medium: no route 2',
      alert({ function: 'unauthorized-api', severity: 'medium' }),
      undefined,
      [],
    ],
    ['an eu-west-1 whitelist alert (glob and list)', alert({}, { region: 'eu-west-1' }), 'route 3', [HIGH, CHAT]],
    ['an eu-west-1 alert of another rule', alert({ rule: 'mfa-missing' }, { region: 'eu-west-1' }), undefined, []],
    ['a critical alert anywhere else', alert({ severity: 'critical' }), 'route 4', [CHAT, HIGH]],
    ['a high alert in us-east-1: the default topic', alert(), undefined, []],
    ['an event without a region never matches a region route', alert({}, { region: undefined }), undefined, []],
  ])('%s', (_, a, name, topics) => {
    const route = routeFor(routes, a);
    expect(route?.name).toBe(name);
    expect(route?.targets.map((t) => (t.kind === 'webhook' ? t.source : t.topic)) ?? []).toEqual(topics);
  });

  it('formats: per route, per topic, and the default', () => {
    expect(routes[0].targets[0]).toMatchObject({ kind: 'sns', format: 'text' });
    expect(routes[2].targets.map((t) => t.format)).toEqual(['structured', 'structured']);
    expect(routes[3].targets.map((t) => t.format)).toEqual(['chatbot', 'text']);
    expect(parse(TABLE, {}, { ...AWS, topicFormat: 'structured' }).routes[0].targets[0].format).toBe('structured');
  });

  it('a route without match is a catch-all; {"routes": [...]} is accepted too', () => {
    const { routes: all } = parse({ routes: [{ topics: [HIGH] }] });
    expect(routeFor(all, alert({ severity: 'low' }))?.name).toBe('route 1');
  });
});

describe('problems are all listed, each naming its route', () => {
  it.each([
    ['not JSON', '[{', /ROUTES is not JSON/],
    ['not an array', { match: {} }, /ROUTES must be a JSON array/],
    ['a route that is not an object', ['x'], /route 1: must be an object/],
    ['no topics', [{ match: { rule: 'x' } }], /route 1: "topics" must be a non-empty array/],
    ['empty topics', [{ topics: [] }], /route 1: "topics" must be a non-empty array/],
    ['a typo in a key', [{ topic: [HIGH] }], /route 1: unknown key "topic"/],
    ['an unknown match field', [{ match: { user: 'x' }, topics: [HIGH] }], /unknown match field "user"/],
    ['an empty match value', [{ match: { rule: [] }, topics: [HIGH] }], /match.rule must be a non-empty string/],
    [
      'a bad severity',
      [{ match: { severity: '>=urgent' }, topics: [HIGH] }],
      /match.severity ">=urgent" is not a severity/,
    ],
    [
      'a bad ARN',
      [{ topics: ['arn:aws:sns:us-east-1:1:x'] }],
      /route 1 topic 1: "arn:aws:sns:us-east-1:1:x" is not an SNS topic ARN/,
    ],
    ['a bad URN', [{ topics: ['urn:smn:x'] }], /is not an SMN topic URN/],
    ['a bad format', [{ topics: [HIGH], format: 'html' }], /format "html" is not a topic format/],
    [
      'chatbot on SMN',
      [{ topics: ['urn:smn:eu-de:0a1b2c:alerts'], format: 'chatbot' }],
      /SMN topics need Huawei credentials/,
    ],
    ['an unset webhook', [{ topics: ['webhook:secops'] }], /webhook:secops needs WEBHOOK_URL_SECOPS/],
    ['a bad webhook name', [{ topics: ['webhook:sec ops'] }], /a webhook name is letters, digits and _/],
    [
      'a URL in ROUTES',
      [{ topics: ['https://hooks.slack.com/services/T0SECRET/B0SECRET'] }],
      /is a URL; put webhook URLs in WEBHOOK_URL_<NAME>/,
    ],
    [
      'a catch-all before other routes',
      [{ topics: [HIGH] }, { match: { rule: 'x' }, topics: [PROD] }],
      /route 1 has no "match", so it takes every alert and the 1 route\(s\) after it are never used/,
    ],
    ['too many routes', Array.from({ length: 101 }, () => ({ topics: [HIGH] })), /at most 100/],
  ])('%s', (_, routes, problem) => {
    const { problems } = parse(routes);
    expect(problems.some((p) => problem.test(p))).toBe(true);
    for (const p of problems) expect(p).not.toContain('T0SECRET');
  });

  it('an SNS topic on FunctionGraph, and chatbot on an SMN topic there', () => {
    const { problems } = parse(
      [
        { match: { rule: 'a' }, topics: [HIGH] },
        { topics: ['urn:smn:eu-de:0a1b2c:alerts'], format: 'chatbot' },
      ],
      {},
      { platform: 'functiongraph', bareTopicKind: 'smn' },
    );
    expect(problems).toEqual([
      'ROUTES route 1 topic 1: SNS topics cannot be reached from FunctionGraph (no AWS SDK or credentials there)',
      'ROUTES route 2 topic 1: format chatbot is for SNS topics (AWS Chatbot reads SNS), not SMN',
    ]);
  });

  it('a webhook URL that is not https is a problem that names the variable, not the URL', () => {
    const { problems } = parse([{ topics: ['webhook:secops'] }], {
      WEBHOOK_URL_SECOPS: 'http://hooks.example.com/T0SECRET',
    });
    expect(problems).toEqual([
      'ROUTES route 1 topic 1: WEBHOOK_URL_SECOPS must be an https:// URL (plain http is accepted only for loopback)',
    ]);
  });

  it('the cold start lists ROUTES problems with every other problem', () => {
    const error = thrown(() =>
      createLambdaHandler(loginWhitelist, {
        ALERT_TOPIC: 'alerts',
        ALERT_FORMAT: 'fancy',
        ROUTES: JSON.stringify([{ match: { severity: 'hi' }, topics: [HIGH] }, { topics: ['webhook:ops'] }]),
        LOG_LEVEL: 'silent',
      }),
    ) as Error;
    expect(error.message).toMatch(/IP_WHITELIST/);
    expect(error.message).toMatch(/ALERT_FORMAT="fancy" is not one of text, structured, chatbot/);
    expect(error.message).toMatch(/route 1: match.severity "hi" is not a severity/);
    expect(error.message).toMatch(/route 2 topic 1: webhook:ops needs WEBHOOK_URL_OPS/);
  });

  it('webhook URLs of routes are secrets the logger scrubs', () => {
    const problems = new ConfigProblems();
    const config = loadSinkConfig(
      {
        ALERT_TOPIC: 'alerts',
        ROUTES: JSON.stringify([{ topics: ['webhook:ops'] }]),
        WEBHOOK_URL_OPS: 'https://hooks.slack.com/services/T0SECRET/B0SECRET/xyz',
      },
      'aws',
      problems,
    );
    expect(problems.problems).toEqual([]);
    expect(sinkSecrets(config)).toContain('https://hooks.slack.com/services/T0SECRET/B0SECRET/xyz');
    expect(sinkSecrets(config)).toContain('/services/T0SECRET/B0SECRET/xyz');
    expect(config.routes?.[0].targets[0]).toMatchObject({
      kind: 'webhook',
      source: 'WEBHOOK_URL_OPS',
      format: 'slack',
    });
  });
});

describe('any ROUTES value', () => {
  it('is parsed without throwing, and no problem quotes a webhook URL from the environment', () => {
    const env = {
      WEBHOOK_URL_OPS: 'http://hooks.example.com/ENVSECRET',
      WEBHOOK_URL: 'https://h.example.com/ENVSECRET',
    };
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'webhook',
        'webhook:ops',
        HIGH,
        'urn:smn:eu-de:abc:t',
        'https://x/T0SECRET',
        '>=high',
        'critical',
      ),
      fc.integer(),
      fc.constant(null),
    );
    const target = fc.oneof(value, fc.record({ topic: value, format: value }, { requiredKeys: [] }));
    const route = fc.oneof(
      value,
      fc.record(
        {
          name: value,
          match: fc.oneof(
            value,
            fc.dictionary(
              fc.constantFrom('account', 'region', 'function', 'rule', 'severity', 'x'),
              fc.oneof(value, fc.array(value)),
            ),
          ),
          topics: fc.oneof(value, fc.array(target)),
          format: value,
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(route), route), (routes) => {
        const { problems } = parse(routes, env);
        for (const problem of problems) expect(problem).not.toContain('ENVSECRET');
      }),
      { numRuns: 300 },
    );
  });
});

describe('trailguard check-config', () => {
  it('shows the routes with each webhook URL masked to its scheme and host', async () => {
    const io = captureIo({
      IP_WHITELIST: '10.0.0.0/8',
      ALERT_SINK: 'webhook',
      WEBHOOK_URL: 'https://prod-1.westus.logic.azure.com/workflows/abc/triggers?sig=SigSecretValue456',
      ROUTES: JSON.stringify([{ match: { severity: 'critical' }, topics: ['webhook:ops'] }]),
      WEBHOOK_URL_OPS: 'https://hooks.slack.com/services/T0SECRET/B0SECRET/xyz',
    });
    expect(await main(['check-config', 'login-whitelist'], io)).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toContain('"webhookUrl": "https://hooks.slack.com/****"');
    expect(out).toContain('"webhookUrl": "https://prod-1.westus.logic.azure.com/****"');
    expect(out).toContain('"format": "teams"');
    expect(out).not.toContain('T0SECRET');
    expect(out).not.toContain('SigSecretValue456');
  });
});

describe('the routed sink', () => {
  it('publishes to every target of the route; one failure fails the alert, naming the target', async () => {
    const { routes } = parse(TABLE);
    const published: string[] = [];
    const sink = createRoutedSink(routes, {
      fallback: () => ({ name: 'default', publish: async () => void published.push('default') }),
      target: (target) => ({
        name: 'x',
        publish: async () => {
          if (target.kind !== 'webhook' && target.topic === CHAT) throw new Error('chat is down');
          published.push(target.kind === 'webhook' ? target.source : target.topic);
        },
      }),
    });
    await sink.publish(alert());
    expect(published).toEqual(['default']);
    await expect(sink.publish(alert({ severity: 'critical' }))).rejects.toMatchObject({
      name: 'SinkError',
      retryable: true,
      message: expect.stringMatching(
        /^route 4: 1 of 2 targets failed: sns arn:aws:sns:us-east-1:111122223333:chat: chat is down$/,
      ),
    });
    expect(published).toEqual(['default', HIGH]);
  });
});

describe('through the Lambda handler: SNS topics and a webhook at once', () => {
  let emulator: Emulator;
  let webhook: WebhookServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    emulator = await startEmulator({
      topics: [{ name: 'r-default' }, { name: 'r-high' }],
      queues: [{ name: 'r-default-q' }, { name: 'r-high-q' }],
      subscriptions: [
        { topic: 'r-default', queue: 'r-default-q' },
        { topic: 'r-high', queue: 'r-high-q' },
      ],
    });
    webhook = await startWebhookServer();
  }, 30_000);
  afterAll(async () => {
    resetSnsClients();
    await emulator?.stop();
    await webhook?.close();
    process.env = saved;
  });

  function handler(routes: unknown) {
    return createLambdaHandler(loginWhitelist, {
      IP_WHITELIST: '203.0.113.0/24',
      ALERT_TOPIC: 'r-default',
      ALERT_REGION: 'us-east-1',
      SINK_ENDPOINT: emulator.address,
      ROUTES: JSON.stringify(routes),
      WEBHOOK_URL_SECOPS: `${webhook.url}/hooks/secret-path-123`,
      LOG_LEVEL: 'silent',
    });
  }
  const CONTEXT = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:login-whitelist' };

  it('a matching route sends to its topic (structured) and the webhook (slack), not to the default', async () => {
    const result = await handler([
      {
        match: { rule: 'ip-not-whitelisted' },
        topics: [
          { topic: 'r-high', format: 'structured' },
          { topic: 'webhook:secops', format: 'slack' },
        ],
      },
    ])(fixture('aws/envelope-eventbridge-console-signin.json'), CONTEXT);
    expect(result).toMatchObject({ alerts: 1, delivered: 1 });
    const high = await drainQueue(emulator.address, 'r-high-q');
    expect(high).toHaveLength(1);
    expect(JSON.parse(JSON.parse(high[0].Message).sqs).rule).toBe('ip-not-whitelisted');
    expect(await drainQueue(emulator.address, 'r-default-q')).toHaveLength(0);
    expect(webhook.received).toHaveLength(1);
    expect(webhook.received[0].url).toBe('/hooks/secret-path-123');
    expect(JSON.parse(webhook.received[0].body).blocks[0].type).toBe('header');
  });

  it('no match: the default topic, in the default format', async () => {
    webhook.received.length = 0;
    await handler([{ match: { account: '999988887777' }, topics: ['r-high'] }])(
      fixture('aws/envelope-eventbridge-console-signin.json'),
      CONTEXT,
    );
    const fallback = await drainQueue(emulator.address, 'r-default-q');
    expect(fallback).toHaveLength(1);
    expect(fallback[0].Message).toMatch(/^Illegal operation/);
    expect(await drainQueue(emulator.address, 'r-high-q')).toHaveLength(0);
    expect(webhook.received).toHaveLength(0);
  });
});

describe('through the FunctionGraph handler: SMN topics', () => {
  const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
  const TOKEN = 'MIIZfake-token-for-route-tests';
  let smn: SmnServer;
  beforeAll(async () => {
    smn = await startSmnServer({ token: TOKEN });
  });
  afterAll(async () => smn?.close());

  it('a route sends the CTS login alert to its SMN topic as text; the default topic gets nothing', async () => {
    const userData = {
      IP_WHITELIST: '203.0.113.0/24',
      SMN_Topic: 'default_alerts',
      RegionName: 'eu-de',
      SINK_ENDPOINT: smn.url,
      ROUTES: JSON.stringify([{ match: { rule: 'ip-not-whitelisted' }, topics: ['login_alerts'], format: 'text' }]),
      LOG_LEVEL: 'silent',
    };
    const { handler } = createFunctionGraphHandler(loginWhitelist, {});
    const context = functionGraphContext({
      userData,
      projectId: PROJECT,
      token: TOKEN,
      keys: { accessKey: 'AK', secretKey: 'SK' },
    });
    const result = await handler(fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'), context);
    expect(result).toMatchObject({ alerts: 1, delivered: 1 });
    expect(smn.published.map((p) => p.topicUrn)).toEqual([`urn:smn:eu-de:${PROJECT}:login_alerts`]);
    expect(smn.published[0].messageStructure).toBeUndefined();
  });
});
