/**
 * What counts as a delivered alert, through real peers on loopback: the fauxqs SNS emulator, the local
 * SMN endpoint, and a web server that answers every request with HTTP 200 and a page (a captive proxy,
 * a mistyped SINK_ENDPOINT). Through the sinks, the handlers, and the built bundles.
 *
 * - A publish counts only when the answer is the service's: an SNS MessageId, an SMN message_id.
 * - A lone UTF-16 surrogate in any alert field is escaped, so it never fails the publish of its batch.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import type { Alert } from '../shared/alert/alert';
import { SinkError } from '../shared/errors';
import { DetectionRun } from '../shared/pipeline';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { createFunctionGraphHandler } from '../shared/platform/functiongraph-handler';
import { createSmnSink } from '../shared/sinks/smn-sink';
import { createSnsSink, snsClientFor } from '../shared/sinks/sns-sink';
import { createStdoutSink } from '../shared/sinks/stdout-sink';
import { useAlertTopicEmulator } from './support/alert-topic-emulator';
import { fixture } from './support/fixtures';
import { functionGraphContext } from './support/functiongraph-context';
import { listenOnLoopback, type LoopbackServer } from './support/loopback-server';
import { startSmnServer } from './support/smn-server';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const ACCOUNT = '000000000000';
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:delivery`;
const PROJECT = '0123456789abcdef0123456789abcdef';
const TOPIC_URN = `urn:smn:eu-de:${PROJECT}:alerts`;
const TOKEN = 'MIIT-test-token-0123456789';
const LAMBDA_CONTEXT = {
  awsRequestId: 'req-delivery',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:login-whitelist`,
};
const WHITELIST = '203.0.113.0/24';

const emulator = useAlertTopicEmulator('delivery', 'delivery-inbox');

/** What `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A web server that is not SNS or SMN: HTTP 200 and a body of its own for every request. */
async function startImpostor(contentType: string, body: string): Promise<LoopbackServer & { hits: () => number }> {
  let hits = 0;
  const server = await listenOnLoopback(async (req: IncomingMessage, res: ServerResponse) => {
    for await (const _chunk of req);
    hits += 1;
    res.writeHead(200, { 'content-type': contentType }).end(body);
  }, new Set());
  return { ...server, hits: () => hits };
}

const IMPOSTORS = [
  [
    'an HTML page',
    'text/html; charset=utf-8',
    '<!doctype html><html><body><h1>Welcome to the proxy</h1></body></html>',
  ],
  ['JSON that is not the service', 'application/json', '{"status":"ok"}'],
  ['an empty body', 'text/plain', ''],
] as const;

function alertWith(fields: Partial<Alert> = {}): Alert {
  return {
    function: 'login-whitelist',
    rule: 'ip-not-whitelisted',
    severity: 'high',
    subject: 'trailguard: login from 198.51.100.7 outside IP whitelist',
    message: 'Illegal operation[IP:198.51.100.7, Action:login]',
    event: {} as Alert['event'],
    eventIds: ['evt-1'],
    count: 1,
    dedupId: 'a'.repeat(64),
    ...fields,
  };
}

/** A console login from outside the whitelist, its attacker-written fields holding `text`. */
function consoleLogin(id: string, ip: string, text: string): Record<string, unknown> {
  const record = fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json') as Record<string, unknown>;
  const identity = record.userIdentity as Record<string, unknown>;
  return {
    ...record,
    eventID: id,
    sourceIPAddress: ip,
    userAgent: `Mozilla/5.0 ${text}`,
    userIdentity: { ...identity, userName: `mallory${text}` },
  };
}

/** A CloudTrail log file of two outsider logins: the first poisoned with lone surrogates and hidden characters. */
function poisonedLogFile(): { Records: unknown[] } {
  return {
    Records: [
      consoleLogin('evt-poisoned', '198.51.100.7', 'x\ud800y\udfffz\u{e0041}\u3164'),
      consoleLogin('evt-clean', '198.51.100.8', 'clean'),
    ],
  };
}

describe('a publish counts only when the service answers', () => {
  let impostors: Awaited<ReturnType<typeof startImpostor>>[] = [];
  afterEach(async () => {
    await Promise.all(impostors.map((server) => server.close()));
    impostors = [];
  });
  async function impostor(type: string, body: string) {
    const server = await startImpostor(type, body);
    impostors.push(server);
    return server;
  }

  it.each(IMPOSTORS)('SNS: a 200 with %s is a failed delivery, not retried', async (_name, type, body) => {
    const server = await impostor(type, body);
    const sink = createSnsSink({
      client: snsClientFor('us-east-1', server.url, { maxAttempts: 1 }),
      topicArn: TOPIC_ARN,
    });
    const error = await rejection(sink.publish(alertWith()));
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ name: 'SinkError', sink: 'sns', retryable: false });
    expect((error as Error).message).toMatch(/answered HTTP 200.* but not as SNS/);
    expect((error as Error).message).toMatch(/SINK_ENDPOINT/);
    expect((error as Error).message).not.toMatch(/\n/);
    expect(server.hits()).toBeGreaterThan(0);
  });

  it.each(IMPOSTORS)('SMN: a 200 with %s is a failed delivery, not retried', async (_name, type, body) => {
    const server = await impostor(type, body);
    const sink = createSmnSink({
      endpoint: server.url,
      projectId: PROJECT,
      topicUrn: TOPIC_URN,
      auth: { token: TOKEN },
    });
    const error = await rejection(sink.publish(alertWith()));
    expect(error).toMatchObject({ name: 'SinkError', sink: 'smn', retryable: false });
    expect((error as Error).message).toMatch(/answered HTTP 200 .* but not as SMN \(no message_id in the answer\)/);
    expect((error as Error).message).toMatch(/check SINK_ENDPOINT/);
    expect((error as Error).message).not.toMatch(/\n/);
    expect(server.hits()).toBe(1);
  });

  it('the real services still count: fauxqs answers with a MessageId, the local SMN endpoint with a message_id', async () => {
    const sns = createSnsSink({ client: snsClientFor('us-east-1', emulator.address), topicArn: TOPIC_ARN });
    await expect(sns.publish(alertWith())).resolves.toBeUndefined();
    expect(await drainQueue(emulator.address, 'delivery-inbox')).toHaveLength(1);
    const smn = await startSmnServer({ token: TOKEN });
    try {
      const sink = createSmnSink({
        endpoint: smn.url,
        projectId: PROJECT,
        topicUrn: TOPIC_URN,
        auth: { token: TOKEN },
      });
      await expect(sink.publish(alertWith())).resolves.toBeUndefined();
      expect(smn.published).toHaveLength(1);
    } finally {
      await smn.close();
    }
  });

  it('the Lambda handler fails the invocation instead of reporting the alert delivered', async () => {
    const server = await impostor('text/html', '<html>proxy</html>');
    const handler = createLambdaHandler(loginWhitelist, {
      IP_WHITELIST: WHITELIST,
      ALERT_TOPIC: 'delivery',
      ALERT_REGION: 'us-east-1',
      SINK_ENDPOINT: server.url,
      LOG_LEVEL: 'silent',
    });
    const error = await rejection(handler(fixture('aws/envelope-eventbridge-console-signin.json'), LAMBDA_CONTEXT));
    expect(error).toMatchObject({ name: 'SinkError', retryable: false });
    expect((error as Error).message).toMatch(/but not as SNS/);
  });

  it('the FunctionGraph handler fails the invocation too', async () => {
    const server = await impostor('text/html', '<html>proxy</html>');
    const { handler } = createFunctionGraphHandler(loginWhitelist, {}, { logDestination: { write: () => true } });
    const ctx = functionGraphContext({
      userData: { IP: WHITELIST, SMN_Topic: 'alerts', RegionName: 'eu-de', SINK_ENDPOINT: server.url },
      projectId: PROJECT,
      token: TOKEN,
      keys: { accessKey: 'AK', secretKey: 'SK' },
    });
    const error = await rejection(handler(fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'), ctx));
    expect(error).toMatchObject({ name: 'SinkError', retryable: false });
    expect((error as Error).message).toMatch(/but not as SMN/);
  });
});

describe('lone surrogates and invisible characters in alert fields', () => {
  it('through fauxqs: the poisoned alert and the one beside it are both delivered, the surrogates as \\ud800 text', async () => {
    const handler = createLambdaHandler(loginWhitelist, {
      IP_WHITELIST: WHITELIST,
      ALERT_TOPIC: 'delivery',
      ALERT_REGION: 'us-east-1',
      SINK_ENDPOINT: emulator.address,
      LOG_LEVEL: 'silent',
    });
    const result = await handler(poisonedLogFile(), LAMBDA_CONTEXT);
    expect(result).toMatchObject({ records: 2, alerts: 2, delivered: 2 });
    const received = await drainQueue(emulator.address, 'delivery-inbox');
    expect(received).toHaveLength(2);
    const poisoned = received.find((message) => message.Message.includes('mallory')) as { Message: string };
    const texts = received.map((message) => message.Message).join('\n');
    expect(texts).toContain('malloryx\\ud800y\\udfffz\\u{e0041}\\u3164');
    expect(poisoned.Message).not.toMatch(/[\ud800-\udfff]/u);
  });

  it('through a FIFO topic: the deduplication id and group are well-formed too', async () => {
    const handler = createLambdaHandler(loginWhitelist, {
      IP_WHITELIST: WHITELIST,
      ALERT_TOPIC: 'delivery.fifo',
      ALERT_REGION: 'us-east-1',
      SINK_ENDPOINT: emulator.address,
      LOG_LEVEL: 'silent',
    });
    const file = poisonedLogFile();
    (file.Records[0] as Record<string, unknown>).eventID = 'evt-\ud800-poisoned';
    const result = await handler(file, LAMBDA_CONTEXT);
    expect(result).toMatchObject({ alerts: 2, delivered: 2 });
    const received = await drainQueue(emulator.address, 'delivery-inbox.fifo');
    expect(received.map((message) => message.Message).join('\n')).toContain('Event id: evt-\\ud800-poisoned');
  });

  it('through the local SMN endpoint: published, the surrogates as \\ud800 text', async () => {
    const smn = await startSmnServer({ token: TOKEN });
    try {
      const sink = createSmnSink({
        endpoint: smn.url,
        projectId: PROJECT,
        topicUrn: TOPIC_URN,
        auth: { token: TOKEN },
      });
      await sink.publish(alertWith({ subject: 'subject \ud800', message: 'user mallory\udc00' }));
      expect(smn.published).toHaveLength(1);
      expect(smn.published[0].message).toBe('user mallory\\udc00');
      expect(smn.published[0].subject).toBe('subject \\ud800');
    } finally {
      await smn.close();
    }
  });

  it('the SNS sink escapes them even in an alert built elsewhere (subject, message, attributes)', async () => {
    const sink = createSnsSink({ client: snsClientFor('us-east-1', emulator.address), topicArn: TOPIC_ARN });
    await sink.publish(alertWith({ subject: 'trailguard \ud800', message: 'raw \udfff text', rule: 'rule\ud800' }));
    const [received] = await drainQueue(emulator.address, 'delivery-inbox');
    expect(received.Message).toBe('raw \\udfff text');
    expect(received.MessageAttributes?.rule?.Value).toBe('rule\\ud800');
  });
});

// --- the built Lambda bundle -------------------------------------------------------------------------

function build(): void {
  const result = buildBundles();
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
}

/** Imports dist/aws/<fn>.js in a child process, as Lambda does, and invokes it once with `event`. */
function invokeBundle(
  fn: string,
  env: Record<string, string>,
  event: unknown,
): Promise<{
  outcome: { ok: boolean; name?: string; message?: string; retryable?: boolean; result?: unknown };
  stderr: string;
}> {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'aws', `${fn}.js`)).href)});
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    try {
      const result = await handler(JSON.parse(input), ${JSON.stringify(LAMBDA_CONTEXT)});
      process.stdout.write(JSON.stringify({ ok: true, result }));
    } catch (error) {
      process.stdout.write(JSON.stringify({ ok: false, name: error.name, message: error.message, retryable: error.retryable }));
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve({ outcome: JSON.parse(stdout), stderr });
      } catch {
        reject(new Error(`bundle printed no result:\n${stdout}\n${stderr}`));
      }
    });
    child.stdin.end(JSON.stringify(event));
  });
}

describe('the built Lambda bundle', () => {
  beforeAll(build, 120_000);

  const bundleEnv = (endpoint: string) => ({
    IP_WHITELIST: WHITELIST,
    ALERT_TOPIC: 'delivery',
    ALERT_REGION: 'us-east-1',
    SINK_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    LOG_LEVEL: 'error',
  });

  it('a 200 HTML page at SINK_ENDPOINT fails the invocation, not retryable, with a one-line reason', async () => {
    const server = await startImpostor('text/html', '<html><body>captive portal</body></html>');
    try {
      const { outcome, stderr } = await invokeBundle(
        'login-whitelist',
        bundleEnv(server.url),
        fixture('aws/envelope-eventbridge-console-signin.json'),
      );
      expect(outcome).toMatchObject({ ok: false, name: 'SinkError', retryable: false });
      expect(outcome.message).toMatch(/answered HTTP 200, text\/html but not as SNS/);
      expect(stderr).toContain('"msg":"alert publish failed"');
      expect(stderr).not.toContain('"msg":"alert published"');
    } finally {
      await server.close();
    }
  });

  it('the FunctionGraph bundle: a 200 HTML page at SINK_ENDPOINT fails the invocation, not retryable', async () => {
    const server = await startImpostor('text/html', '<html><body>captive portal</body></html>');
    try {
      let mod: { handler: (event: unknown, context: unknown) => Promise<unknown> } | undefined;
      jest.isolateModules(() => {
        mod = require(join(ROOT, 'dist', 'functiongraph', 'login-whitelist', 'index.js'));
      });
      const ctx = functionGraphContext({
        userData: {
          IP: WHITELIST,
          SMN_Topic: 'alerts',
          RegionName: 'eu-de',
          SINK_ENDPOINT: server.url,
          LOG_LEVEL: 'silent',
        },
        projectId: PROJECT,
        token: TOKEN,
        keys: { accessKey: 'AK', secretKey: 'SK' },
      });
      const error = await rejection(
        (mod as NonNullable<typeof mod>).handler(
          fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'),
          ctx,
        ),
      );
      expect(error).toMatchObject({ name: 'SinkError', retryable: false });
      expect((error as Error).message).toMatch(/answered HTTP 200 \(text\/html\) but not as SMN/);
    } finally {
      await server.close();
    }
  });

  it('a batch with lone surrogates publishes every alert through fauxqs', async () => {
    const { outcome } = await invokeBundle('login-whitelist', bundleEnv(emulator.address), poisonedLogFile());
    expect(outcome).toMatchObject({ ok: true, result: { alerts: 2, delivered: 2 } });
    const received = await drainQueue(emulator.address, 'delivery-inbox');
    expect(received.map((message) => message.Message).join('\n')).toContain('malloryx\\ud800y\\udfffz');
  });
});

describe('the stdout sink and JSON output', () => {
  it('an alert whose event holds lone surrogates prints one well-formed JSON line that parses back', async () => {
    const lines: string[] = [];
    const run = new DetectionRun(loginWhitelist, loginWhitelist.loadConfig({ IP_WHITELIST: WHITELIST }));
    await run.ingest(poisonedLogFile(), 'event');
    const [alert] = run.alerts();
    await createStdoutSink((line) => lines.push(line)).publish(alert);
    expect(lines).toHaveLength(1);
    expect(() => encodeURIComponent(lines[0])).not.toThrow();
    expect(lines[0]).not.toMatch(/[\ud800-\udfff]/u);
    expect(JSON.parse(lines[0]).message).toContain('malloryx\\ud800y');
  });
});
