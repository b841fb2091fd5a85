/**
 * The webhook sink against a local HTTP server: each body format, retries on 5xx, 429 with
 * Retry-After, a slow server, a 4xx that is not retried, and the URL (a secret) in no error or log line.
 */
import type { Alert } from '../shared/alert/alert';
import { SinkError } from '../shared/errors';
import { withoutRaw } from '../shared/normalize/trace-event';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { createFunctionGraphHandler } from '../shared/platform/functiongraph-handler';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { alertJsonLine } from '../shared/sinks/stdout-sink';
import { escapeSlackMrkdwn, slackPayload, teamsPayload } from '../shared/sinks/webhook-payloads';
import { createWebhookSink, retryAfterMs, webhookUrlProblems } from '../shared/sinks/webhook-sink';
import { captureLog } from './support/capture-log';
import { fixture } from './support/fixtures';
import { traceEvent } from './support/trace-events';
import { startWebhookServer, type WebhookServer } from './support/webhook-server';
import { thrown } from './support/thrown';

/** Path and query shaped like Slack's and Teams Workflows' secrets. */
const SECRET_PATH = '/services/T0SECRET/B0SECRET/xoxSecretToken123';
const SECRET_QUERY = '?api-version=2016-06-01&sig=SigSecretValue456';

const HOSTILE =
  'user <!channel> *bold* _it_ ~s~ `tick` ```fence``` <https://evil.example|click> & [x](https://evil.example) **b**';

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    function: 'login-whitelist',
    rule: 'ip-not-whitelisted',
    severity: 'high',
    subject: 'trailguard: login from 198.51.100.7 outside IP whitelist',
    message: `Illegal operation[IP:198.51.100.7, Action:login]\nUser: ${HOSTILE}`,
    event: withoutRaw(traceEvent()),
    eventIds: ['evt-0001'],
    count: 1,
    dedupId: 'ip-not-whitelisted:evt-0001',
    ...overrides,
  };
}

let server: WebhookServer;
let url: string;
beforeAll(async () => {
  server = await startWebhookServer();
  url = `${server.url}${SECRET_PATH}${SECRET_QUERY}`;
});
afterAll(async () => server?.close());
beforeEach(() => {
  server.received.length = 0;
  server.answer({ status: 200, body: 'ok' });
});

const waits: number[] = [];
function sink(format: 'slack' | 'teams' | 'json', extra: Partial<Parameters<typeof createWebhookSink>[0]> = {}) {
  waits.length = 0;
  return createWebhookSink({
    url,
    format,
    source: 'WEBHOOK_URL',
    sleep: async (ms) => void waits.push(ms),
    ...extra,
  });
}

/** What a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function expectNoSecret(text: string): void {
  for (const secret of ['T0SECRET', 'B0SECRET', 'xoxSecretToken123', 'SigSecretValue456'])
    expect(text).not.toContain(secret);
}

describe('each format reaches the server as its platform expects', () => {
  it('slack: a fallback text, a header, the facts and the text in a code block, everything escaped', async () => {
    await sink('slack').publish(alert());
    expect(server.received).toHaveLength(1);
    const [post] = server.received;
    expect(post.method).toBe('POST');
    expect(post.url).toBe(SECRET_PATH + SECRET_QUERY);
    expect(post.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(post.body);
    expect(body.text).toBe('trailguard: login from 198.51.100.7 outside IP whitelist');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: alert().subject, emoji: false },
    });
    const sections = body.blocks.filter((b: { type: string; text?: unknown }) => b.type === 'section' && b.text);
    const text = sections.map((s: { text: { text: string } }) => s.text.text).join('');
    // No mention, link or entity survives: Slack parses only what is inside < >, and & starts an entity.
    expect(text).not.toMatch(/<[!@#h]/);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&amp;');
    // Exactly one code block per section: the text's own ``` cannot close it.
    for (const section of sections) expect(section.text.text.match(/```/g)).toHaveLength(2);
    expect(body.blocks[1].fields.map((f: { text: string }) => f.text)).toContain('*Rule*\n`ip-not-whitelisted`');
  });

  it('teams: a Workflows message with one Adaptive Card whose words are plain text runs', async () => {
    await sink('teams').publish(alert());
    const body = JSON.parse(server.received[0].body);
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const [attachment] = body.attachments;
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(attachment.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    // TextBlock would read markdown; RichTextBlock text runs show the text as it is.
    const types = attachment.content.body.map((b: { type: string }) => b.type);
    expect(new Set(types)).toEqual(new Set(['RichTextBlock']));
    const runs = attachment.content.body.flatMap((b: { inlines: { type: string; text: string }[] }) => b.inlines);
    expect(runs.every((r: { type: string }) => r.type === 'TextRun')).toBe(true);
    expect(runs.map((r: { text: string }) => r.text).join('')).toContain(HOSTILE);
  });

  it('json: the plain alert JSON, as replay --json prints it', async () => {
    const a = alert();
    await sink('json').publish(a);
    expect(server.received[0].body).toBe(alertJsonLine(a));
  });

  it('a long message is split into Slack sections of at most 3000 characters, and capped', () => {
    const payload = slackPayload(alert({ message: `${'a&<'.repeat(20_000)}\n`.repeat(3) })) as {
      blocks: { type: string; text?: { text: string } }[];
    };
    expect(payload.blocks.length).toBeLessThanOrEqual(50);
    for (const block of payload.blocks) if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
    // Entities are never cut in half.
    for (const block of payload.blocks.slice(2)) expect(block.text?.text).not.toMatch(/&(?:a|am|amp|l|lt)?```$/);
  });

  it('the Teams card of a huge alert stays well under Teams Workflows’ 28 KB', () => {
    const payload = teamsPayload(alert({ message: 'x'.repeat(200_000) }));
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(28_000);
  });

  it('escapeSlackMrkdwn escapes &, < and >', () => {
    expect(escapeSlackMrkdwn('a & <b> c')).toBe('a &amp; &lt;b&gt; c');
  });
});

describe('retries', () => {
  it('5xx answers are retried with growing backoff until one succeeds', async () => {
    server.answer({ status: 500, body: 'oops' }, { status: 503 }, { status: 200, body: 'ok' });
    await sink('json', { retry: { baseDelayMs: 100, maxDelayMs: 1000 } }).publish(alert());
    expect(server.received).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeLessThanOrEqual(200);
  });

  it('gives up after the attempts with a retryable SinkError that says what the server answered', async () => {
    server.answer({ status: 502, body: 'bad gateway' });
    const error = await rejection(sink('json', { retry: { attempts: 3 } }).publish(alert()));
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ sink: 'webhook', retryable: true });
    expect((error as Error).message).toMatch(/failed after 3 attempts: HTTP 502 "bad gateway"/);
    expect(server.received).toHaveLength(3);
  });

  it('429 with Retry-After waits what the server asks', async () => {
    server.answer({ status: 429, headers: { 'retry-after': '2' } }, { status: 200 });
    await sink('slack').publish(alert());
    expect(server.received).toHaveLength(2);
    expect(waits).toEqual([2000]);
  });

  it('a Retry-After past the cap is waited only the cap', async () => {
    server.answer({ status: 429, headers: { 'retry-after': '3600' } }, { status: 200 });
    await sink('slack', { retry: { retryAfterMaxMs: 7_000 } }).publish(alert());
    expect(waits).toEqual([7000]);
  });

  it('a wait that would pass the overall deadline fails the alert at once (retryable), not after it', async () => {
    server.answer({ status: 429, headers: { 'retry-after': '30' } });
    const error = await rejection(
      sink('slack', { deadlineMs: 5_000, retry: { retryAfterMaxMs: 60_000 } }).publish(alert()),
    );
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/would pass the 5000 ms deadline/);
    expect(server.received).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    expect(retryAfterMs('Tue, 01 Dec 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('a slow server: each attempt times out, then the alert fails as retryable', async () => {
    server.answer({ status: 200, delayMs: 2_000 });
    const error = await rejection(sink('json', { timeoutMs: 150, retry: { attempts: 2 } }).publish(alert()));
    expect(error).toMatchObject({ sink: 'webhook', retryable: true });
    expect((error as Error).message).toMatch(/failed after 2 attempts: no response within 150 ms/);
    expect(server.received).toHaveLength(2);
  });

  it.each([400, 403, 404, 410])('HTTP %i is not retried: the URL or the format is wrong', async (status) => {
    server.answer({ status, body: 'invalid_payload' });
    const error = await rejection(sink('slack').publish(alert()));
    expect(error).toMatchObject({ sink: 'webhook', retryable: false });
    expect((error as Error).message).toMatch(new RegExp(`HTTP ${status} "invalid_payload" \\(not retried`));
    expect(server.received).toHaveLength(1);
  });

  it('a redirect is not followed (it would carry the alert elsewhere) and not retried', async () => {
    server.answer({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } });
    const error = await rejection(sink('json').publish(alert()));
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/HTTP 302.*a redirect, not followed/);
    expect(server.received).toHaveLength(1);
  });

  it('a refused connection is retried, and the error does not quote the URL', async () => {
    const closed = await startWebhookServer();
    const deadUrl = `${closed.url}${SECRET_PATH}${SECRET_QUERY}`;
    await closed.close();
    const error = await rejection(sink('json', { url: deadUrl, retry: { attempts: 2 } }).publish(alert()));
    expect(error).toMatchObject({ retryable: true });
    expectNoSecret((error as Error).message);
    expect((error as Error).message).toMatch(/WEBHOOK_URL \(127\.0\.0\.1:\d+\)/);
  });
});

describe('the URL is a secret', () => {
  it('an error body that echoes the URL is quoted without it', async () => {
    server.answer({ status: 400, body: `no such hook: ${url} (${SECRET_PATH})` });
    const error = await rejection(sink('json').publish(alert()));
    expectNoSecret((error as Error).message);
    expect((error as Error).message).toContain('[webhook URL]');
  });

  it.each([
    [
      'http://hooks.example.com/services/T0SECRET',
      /must be an https:\/\/ URL \(plain http is accepted only for loopback\)/,
    ],
    ['ftp://hooks.example.com/T0SECRET', /must be an https:\/\/ URL, not ftp:/],
    ['not a url T0SECRET', /is not a URL/],
  ])('%s is refused without being quoted', (value, problem) => {
    const problems = webhookUrlProblems(value, 'WEBHOOK_URL');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
    expectNoSecret(problems[0]);
  });

  it.each(['https://hooks.slack.com/services/x', 'http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]:9/x'])(
    '%s is accepted',
    (value) => expect(webhookUrlProblems(value, 'WEBHOOK_URL')).toEqual([]),
  );

  it('a Lambda function with ALERT_SINK=webhook posts the alert and no log line holds the URL', async () => {
    const log = captureLog();
    const handler = createLambdaHandler(
      loginWhitelist,
      {
        IP_WHITELIST: '203.0.113.0/24',
        ALERT_SINK: 'webhook',
        WEBHOOK_URL: url,
        WEBHOOK_FORMAT: 'slack',
        LOG_LEVEL: 'debug',
      },
      { logDestination: log.destination },
    );
    const result = await handler(fixture('aws/envelope-eventbridge-console-signin.json'), { awsRequestId: 'r1' });
    expect(result).toMatchObject({ alerts: 1, delivered: 1 });
    expect(JSON.parse(server.received[0].body).blocks[0].type).toBe('header');
    expect(log.find('alert published')[0]).toMatchObject({ sink: 'webhook' });
    expectNoSecret(log.text());
  });

  it('a failed post fails the invocation; the error and the log lines name WEBHOOK_URL, never its value', async () => {
    server.answer({ status: 404, body: `unknown ${url}` });
    const log = captureLog();
    const handler = createLambdaHandler(
      loginWhitelist,
      { IP_WHITELIST: '203.0.113.0/24', ALERT_SINK: 'webhook', WEBHOOK_URL: url, LOG_LEVEL: 'debug' },
      { logDestination: log.destination },
    );
    const error = await rejection(handler(fixture('aws/envelope-eventbridge-console-signin.json'), {}));
    expect(error).toMatchObject({ name: 'SinkError', retryable: false });
    expect((error as Error).message).toMatch(/WEBHOOK_URL \(127\.0\.0\.1:\d+\)/);
    expectNoSecret((error as Error).message);
    expect(log.find('alert publish failed')).toHaveLength(1);
    expectNoSecret(log.text());
  });

  it('a FunctionGraph function posts to the webhook too (no SDK, no credentials needed)', async () => {
    const { handler } = createFunctionGraphHandler(loginWhitelist, {
      IP_WHITELIST: '203.0.113.0/24',
      ALERT_SINK: 'webhook',
      WEBHOOK_URL: url,
      WEBHOOK_FORMAT: 'teams',
      LOG_LEVEL: 'silent',
    });
    const result = await handler(fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'), {});
    expect(result).toMatchObject({ alerts: 1, delivered: 1 });
    expect(JSON.parse(server.received[0].body).attachments[0].content.type).toBe('AdaptiveCard');
  });

  it('a bad WEBHOOK_URL fails the cold start with the other problems, without quoting it', () => {
    const error = thrown(() =>
      createLambdaHandler(loginWhitelist, {
        IP_WHITELIST: '203.0.113.0/24',
        ALERT_SINK: 'webhook',
        WEBHOOK_URL: 'http://hooks.example.com/services/T0SECRET/B0SECRET/xoxSecretToken123',
        WEBHOOK_FORMAT: 'discord',
        LOG_LEVEL: 'silent',
      }),
    );
    expect((error as Error).message).toMatch(/WEBHOOK_URL must be an https:\/\/ URL/);
    expect((error as Error).message).toMatch(/WEBHOOK_FORMAT="discord" is not one of slack, teams, json/);
    expectNoSecret((error as Error).message);
  });
});
