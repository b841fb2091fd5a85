/**
 * The shipped bundles deliver as the sources do: the Lambda bundle (dist/aws) with ROUTES to an SNS
 * topic in the structured format and a webhook, and a webhook sink that retries a 503; the FunctionGraph
 * package (dist/functiongraph) posting a Teams card with Node's own fetch. Each runs in a child
 * process, as the platform would load it; its log lines never hold the webhook URL.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useAlertTopicEmulator } from './support/alert-topic-emulator';
import { fixture } from './support/fixtures';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';
import { startWebhookServer, type WebhookServer } from './support/webhook-server';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const LAMBDA_BUNDLE = join(ROOT, 'dist', 'aws', 'login-whitelist.js');
const FUNCTIONGRAPH_INDEX = join(ROOT, 'dist', 'functiongraph', 'login-whitelist', 'index.js');
const SECRET = '/services/T0BUNDLE/B0BUNDLE/bundleSecretToken';

const emulator = useAlertTopicEmulator('bundle-alerts', 'bundle-inbox');
let webhook: WebhookServer;

beforeAll(async () => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  webhook = await startWebhookServer();
}, 180_000);
afterAll(async () => webhook?.close());
beforeEach(() => {
  webhook.received.length = 0;
  webhook.answer({ status: 200, body: 'ok' });
});

async function run(script: string[], env: Record<string, string>): Promise<{ results: unknown[]; stderr: string }> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, script, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  return { results: JSON.parse(stdout) as unknown[], stderr };
}

const SIGN_IN = fixture('aws/envelope-eventbridge-console-signin.json');

describe('the Lambda bundle', () => {
  it('routes an alert to an SNS topic (structured) and a Slack webhook at once', async () => {
    const { results, stderr } = await run(
      [join(ROOT, 'test', 'support', 'invoke-bundle.mjs'), LAMBDA_BUNDLE, JSON.stringify([SIGN_IN])],
      {
        IP_WHITELIST: '203.0.113.0/24',
        ALERT_TOPIC: 'arn:aws:sns:us-east-1:000000000000:bundle-alerts.fifo',
        ALERT_REGION: 'us-east-1',
        AWS_REGION: 'us-east-1',
        SINK_ENDPOINT: emulator.address,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        ROUTES: JSON.stringify([
          {
            match: { severity: '>=high' },
            topics: [
              { topic: 'arn:aws:sns:us-east-1:000000000000:bundle-alerts', format: 'structured' },
              'webhook:secops',
            ],
          },
        ]),
        WEBHOOK_URL_SECOPS: `${webhook.url}${SECRET}`,
        WEBHOOK_FORMAT: 'slack',
        LOG_LEVEL: 'debug',
      },
    );
    expect(results).toEqual([expect.objectContaining({ alerts: 1, delivered: 1 })]);
    const [received] = await drainQueue(emulator.address, 'bundle-inbox');
    expect(JSON.parse(JSON.parse(received.Message).sqs).rule).toBe('ip-not-whitelisted');
    // The route took it: the default (FIFO) topic got nothing.
    expect(await drainQueue(emulator.address, 'bundle-inbox.fifo')).toHaveLength(0);
    expect(webhook.received).toHaveLength(1);
    expect(JSON.parse(webhook.received[0].body).blocks[0].type).toBe('header');
    expect(stderr).toContain('alert published');
    expect(stderr).not.toContain('T0BUNDLE');
    expect(stderr).not.toContain('bundleSecretToken');
  }, 60_000);

  it('ALERT_SINK=webhook retries a 503 and delivers', async () => {
    webhook.answer({ status: 503 }, { status: 200 });
    const { results, stderr } = await run(
      [join(ROOT, 'test', 'support', 'invoke-bundle.mjs'), LAMBDA_BUNDLE, JSON.stringify([SIGN_IN])],
      {
        IP_WHITELIST: '203.0.113.0/24',
        ALERT_SINK: 'webhook',
        WEBHOOK_URL: `${webhook.url}${SECRET}`,
        WEBHOOK_FORMAT: 'json',
        LOG_LEVEL: 'debug',
      },
    );
    expect(results).toEqual([expect.objectContaining({ alerts: 1, delivered: 1 })]);
    expect(webhook.received).toHaveLength(2);
    expect(JSON.parse(webhook.received[1].body)).toMatchObject({ rule: 'ip-not-whitelisted' });
    expect(stderr).not.toContain('bundleSecretToken');
  }, 60_000);
});

describe('the FunctionGraph package', () => {
  it('posts a Teams card with Node’s fetch (no SDK in the package), and a 404 is one clear failure', async () => {
    const script = `
      const { handler } = require(${JSON.stringify(FUNCTIONGRAPH_INDEX)});
      const events = JSON.parse(process.argv[1]);
      (async () => {
        const results = [];
        for (const event of events) {
          try { results.push(await handler(event, { getRequestID: () => 'fg-1' })); }
          catch (error) { results.push({ error: error.message, retryable: error.retryable }); }
        }
        process.stdout.write(JSON.stringify(results));
      })();`;
    const cts = fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json');
    const env = {
      IP_WHITELIST: '203.0.113.0/24',
      ALERT_SINK: 'webhook',
      WEBHOOK_URL: `${webhook.url}${SECRET}?sig=fgSecretSig`,
      WEBHOOK_FORMAT: 'teams',
      LOG_LEVEL: 'debug',
    };
    webhook.answer({ status: 202 });
    const first = await run(['-e', script, JSON.stringify([cts])], env);
    // A fresh instance (the memory stage of the first would hold the repeat back as a duplicate).
    webhook.answer({ status: 404, body: 'not found' });
    const second = await run(['-e', script, JSON.stringify([cts])], env);
    const results = [...first.results, ...second.results];
    const stderr = first.stderr + second.stderr;
    expect(results[0]).toMatchObject({ alerts: 1, delivered: 1 });
    expect(results[1]).toMatchObject({
      retryable: false,
      error: expect.stringMatching(/WEBHOOK_URL \(127\.0\.0\.1:\d+\).*HTTP 404/),
    });
    expect(JSON.stringify(results)).not.toContain('fgSecretSig');
    expect(JSON.parse(webhook.received[0].body).attachments[0].content.type).toBe('AdaptiveCard');
    expect(stderr).not.toContain('fgSecretSig');
    expect(stderr).not.toContain('bundleSecretToken');
  }, 60_000);
});
