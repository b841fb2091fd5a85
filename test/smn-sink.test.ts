/**
 * The SMN sink against a real HTTP peer on loopback that checks the token or recomputes the
 * SDK-HMAC-SHA256 signature of every request. Backoff sleeps are faked; no timing is asserted.
 */
import type { Alert } from '../shared/alert/alert';
import { isRetryable, SinkError } from '../shared/errors';
import { buildTopicUrn, parseTopicUrn, smnEndpoint } from '../shared/sinks/smn-endpoints';
import {
  createSmnSink,
  SMN_MESSAGE_MAX_BYTES,
  SMN_SUBJECT_MAX_BYTES,
  TRUNCATED_MARKER,
  type SmnSinkOptions,
} from '../shared/sinks/smn-sink';
import { withoutRaw } from '../shared/normalize/trace-event';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { traceEvent } from './support/trace-events';

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOPIC = `urn:smn:eu-de:${PROJECT}:trailguard_alerts`;
const TOKEN = 'MIIZfake+token/for=tests';
const KEYS = {
  accessKey: 'HPUAEXAMPLEAK12345',
  secretKey: 'example-secret-key-for-tests',
  securityToken: 'gQpjbi1ub3J0aC00temporary-security-token',
};
const RETRY = { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    function: 'login-whitelist',
    rule: 'ip-whitelist',
    severity: 'high',
    subject: 'Login from outside the whitelist',
    message: 'Illegal operation[IP:10.65.56.139, Action:login]\nuser: alice',
    event: withoutRaw(traceEvent()),
    eventIds: ['evt-0001'],
    count: 1,
    dedupId: 'ip-whitelist:evt-0001',
    ...overrides,
  };
}

let server: SmnServer;
let sleeps: number[];

beforeEach(async () => {
  // Long-lived keys by default; the temporary-credential cases start their own endpoint.
  server = await startSmnServer({
    token: TOKEN,
    credentials: { accessKey: KEYS.accessKey, secretKey: KEYS.secretKey },
  });
  sleeps = [];
});
afterEach(async () => {
  await server.close();
});

function sink(overrides: Partial<SmnSinkOptions> = {}) {
  return createSmnSink({
    endpoint: server.url,
    projectId: PROJECT,
    topicUrn: TOPIC,
    auth: { token: TOKEN },
    retry: RETRY,
    sleep: async (ms) => void sleeps.push(ms),
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<SinkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

function expectNoCredentials(error: SinkError): void {
  const text = `${error.message} ${String(error.cause ?? '')} ${JSON.stringify(error)}`;
  for (const secret of [TOKEN, KEYS.accessKey, KEYS.secretKey, KEYS.securityToken]) expect(text).not.toContain(secret);
}

describe('SMN sink: delivery', () => {
  it('publishes subject and message to the topic with the agency token', async () => {
    const smn = sink();
    expect(smn.name).toBe('smn');
    await smn.publish(alert());
    expect(server.published).toEqual([
      expect.objectContaining({
        projectId: PROJECT,
        topicUrn: TOPIC,
        subject: 'Login from outside the whitelist',
        message: 'Illegal operation[IP:10.65.56.139, Action:login]\nuser: alice',
      }),
    ]);
    expect(server.published[0].headers['x-auth-token']).toBe(TOKEN);
  });

  it('publishes with an AK/SK signature that the endpoint recomputes and accepts', async () => {
    await sink({ auth: { accessKey: KEYS.accessKey, secretKey: KEYS.secretKey } }).publish(alert());
    expect(server.published).toHaveLength(1);
    const { headers } = server.published[0];
    expect(headers.authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK12345, SignedHeaders=content-type;host;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
    expect(headers).not.toHaveProperty('x-auth-token');
  });

  it('signs the security token of temporary agency credentials, and the endpoint checks it', async () => {
    await server.close();
    server = await startSmnServer({ credentials: KEYS });
    await sink({ auth: KEYS }).publish(alert());
    expect(server.published[0].headers['x-security-token']).toBe(KEYS.securityToken);
    expect(server.published[0].headers.authorization).toContain(
      'SignedHeaders=content-type;host;x-sdk-date;x-security-token,',
    );
  });

  it('the endpoint really checks the signature: a body changed after signing is refused', async () => {
    const tamper: typeof fetch = (url, init) =>
      fetch(url, { ...init, body: String(init?.body).replace('alice', 'mallory') });
    const error = await failure(
      sink({ auth: { accessKey: KEYS.accessKey, secretKey: KEYS.secretKey }, fetch: tamper }).publish(alert()),
    );
    expect(error.message).toMatch(/HTTP 401 .*verify aksk signature fail/);
    expect(server.published).toHaveLength(0);
  });

  it('treats an empty security token as none (the FunctionGraph context returns "" without one)', async () => {
    await sink({ auth: { accessKey: KEYS.accessKey, secretKey: KEYS.secretKey, securityToken: '' } }).publish(alert());
    expect(server.published[0].headers).not.toHaveProperty('x-security-token');
  });

  it('accepts an endpoint with a trailing slash', async () => {
    await sink({ endpoint: `${server.url}/` }).publish(alert());
    expect(server.published).toHaveLength(1);
  });
});

describe('SMN sink: authentication failures are not retried and never reveal credentials', () => {
  it('a wrong secret key is a 401 that names the status, the gateway code and the topic', async () => {
    const error = await failure(
      sink({ auth: { accessKey: KEYS.accessKey, secretKey: 'not-the-secret' } }).publish(alert()),
    );
    expect(error.retryable).toBe(false);
    expect(isRetryable(error)).toBe(false);
    expect(error.sink).toBe('smn');
    expect(error.message).toMatch(
      /HTTP 401 APIGW\.0301: Incorrect IAM authentication information: verify aksk signature fail/,
    );
    expect(error.message).toContain(TOPIC);
    expect(error.message).toContain('[redacted]');
    expectNoCredentials(error);
    expect(server.requests).toHaveLength(1);
    expect(server.published).toHaveLength(0);
  });

  it('redacts the security token when the gateway echoes the canonical request', async () => {
    await server.close();
    server = await startSmnServer({ credentials: KEYS });
    const error = await failure(sink({ auth: { ...KEYS, secretKey: 'not-the-secret' } }).publish(alert()));
    expect(error.message).toContain('x-security-token:[redacted]');
    expectNoCredentials(error);
  });

  it('an unknown access key is a 401, and the key echoed by the gateway is redacted', async () => {
    const error = await failure(
      sink({ auth: { accessKey: 'HPUAOTHERKEY', secretKey: KEYS.secretKey } }).publish(alert()),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('ak [redacted] not exist');
    expect(error.message).not.toContain('HPUAOTHERKEY');
  });

  it('a wrong token is a 401 and the token stays out of the error', async () => {
    const error = await failure(sink({ auth: { token: 'MIIZwrong-token' } }).publish(alert()));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/HTTP 401/);
    expect(error.message).not.toContain('MIIZwrong-token');
    expect(server.requests).toHaveLength(1);
  });

  it('a clock more than 15 minutes off makes the signature stale: 401, not retried', async () => {
    const error = await failure(
      sink({ auth: KEYS, now: () => new Date(Date.now() - 20 * 60 * 1000) }).publish(alert()),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/X-Sdk-Date \d{8}T\d{6}Z is not within 15 minutes/);
  });
});

describe('SMN sink: retries', () => {
  it('delivers after two 503 answers, backing off in between', async () => {
    server.setFault({ kind: 'status', status: 503, times: 2 });
    await sink().publish(alert());
    expect(server.published).toHaveLength(1);
    expect(server.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(sleeps).toHaveLength(2);
  });

  it('delivers after a 429 throttling answer', async () => {
    server.setFault({ kind: 'status', status: 429, times: 1 });
    await sink().publish(alert());
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('gives up after the configured attempts on a persistent 500, with a retryable SinkError', async () => {
    server.setFault({ kind: 'status', status: 500 });
    const error = await failure(sink({ retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 300 } }).publish(alert()));
    expect(error.retryable).toBe(true);
    expect(isRetryable(error)).toBe(true);
    expect(error.message).toMatch(
      new RegExp(`SMN publish to ${TOPIC} failed after 4 attempts: HTTP 500 FAULT\\.500: injected fault`),
    );
    expect(server.requests).toHaveLength(4);
    // Exponential steps 100, 200, 400 capped at 300, each jittered within its upper half.
    expect(sleeps).toHaveLength(3);
    [100, 200, 300].forEach((step, i) => {
      expect(sleeps[i]).toBeGreaterThanOrEqual(step / 2);
      expect(sleeps[i]).toBeLessThanOrEqual(step);
    });
  });

  it('does not retry a missing topic (404 SMN.0006)', async () => {
    server.setFault({ kind: 'status', status: 404 });
    const error = await failure(sink().publish(alert()));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`SMN publish to ${TOPIC} failed: HTTP 404 SMN.0006: Topic not found.`);
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toHaveLength(0);
  });

  it.each([400, 403])('does not retry HTTP %i', async (status) => {
    server.setFault({ kind: 'status', status });
    const error = await failure(sink().publish(alert()));
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a dropped connection and then delivers', async () => {
    server.setFault({ kind: 'destroy', times: 1 });
    await sink().publish(alert());
    expect(server.published).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
  });

  it('a refused connection ends in a retryable SinkError after every attempt', async () => {
    const gone = await startSmnServer({ token: TOKEN });
    await gone.close();
    const error = await failure(sink({ endpoint: gone.url }).publish(alert()));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/failed after 3 attempts: .*ECONNREFUSED/);
    expect(sleeps).toHaveLength(2);
  });

  it('an answer slower than timeoutMs is abandoned, retried, and ends in a retryable SinkError', async () => {
    server.setFault({ kind: 'delay', ms: 20_000 });
    const error = await failure(
      sink({ timeoutMs: 150, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 } }).publish(alert()),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/failed after 2 attempts: no response within 150 ms/);
    expect(server.requests).toHaveLength(2);
    expect(server.published).toHaveLength(0);
  });
});

describe('SMN sink: limits as a last safety net', () => {
  it('publishes a subject with line breaks, control characters and 2 KB of multi-byte text within 512 bytes', async () => {
    const subject = `Alert\r\nBcc: x@example.com\u0000\u0007\u2028 ${'漢字é🔥'.repeat(200)}`;
    expect(Buffer.byteLength(subject)).toBeGreaterThan(2048);
    await sink().publish(alert({ subject }));
    const published = server.published[0].subject ?? '';
    expect(Buffer.byteLength(published)).toBeLessThanOrEqual(SMN_SUBJECT_MAX_BYTES);
    expect(published).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
    expect(published).not.toContain('\uFFFD');
    expect(published.startsWith('Alert Bcc: x@example.com')).toBe(true);
    expect(published.endsWith('…')).toBe(true);
  });

  it('cuts an oversized message at a character boundary and marks the cut', async () => {
    const message = `start\n${'ü🔥'.repeat(60_000)}`;
    await sink().publish(alert({ message }));
    const published = server.published[0].message;
    expect(Buffer.byteLength(published)).toBeLessThanOrEqual(SMN_MESSAGE_MAX_BYTES);
    expect(Buffer.byteLength(published)).toBeGreaterThan(SMN_MESSAGE_MAX_BYTES - 8);
    expect(published.endsWith(TRUNCATED_MARKER)).toBe(true);
    expect(published).not.toContain('\uFFFD');
  });

  it('leaves alerts within the limits untouched', async () => {
    await sink().publish(alert({ subject: 'Grüße aus Köln', message: 'ok\n' }));
    expect(server.published[0]).toMatchObject({ subject: 'Grüße aus Köln', message: 'ok\n' });
  });

  it('omits a subject that is empty once cleaned', async () => {
    await sink().publish(alert({ subject: '\r\n\t' }));
    expect(server.published[0].subject).toBeUndefined();
  });
});

describe('SMN sink: configuration is checked at creation', () => {
  it.each([
    ['a malformed topic URN', { topicUrn: 'urn:smn:eu-de:../../x:topic' }],
    ['a project id with a path in it', { projectId: '../admin' }],
    ['an endpoint that is not a URL', { endpoint: 'smn.eu-de.otc.t-systems.com' }],
    ['an empty token', { auth: { token: '' } }],
    [
      'credentials that cannot go into a header',
      { auth: { accessKey: KEYS.accessKey, secretKey: 'line\nbreak-secret' } },
    ],
    ['zero attempts', { retry: { attempts: 0, baseDelayMs: 1, maxDelayMs: 1 } }],
  ])('refuses %s with a non-retryable SinkError', (_case, overrides) => {
    let error: unknown;
    try {
      sink(overrides as Partial<SmnSinkOptions>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).retryable).toBe(false);
    expect((error as SinkError).message).not.toContain('break-secret');
  });
});

describe('SMN endpoints and topic URNs', () => {
  it.each([
    ['huaweicloud', 'ap-southeast-1', 'https://smn.ap-southeast-1.myhuaweicloud.com'],
    ['huaweicloud', 'eu-west-101', 'https://smn.eu-west-101.myhuaweicloud.eu'],
    ['huaweicloud', 'cn-north-2', 'https://smn.cn-north-2.myhuaweicloud.cn'],
    ['otc', 'eu-de', 'https://smn.eu-de.otc.t-systems.com'],
    ['otc', 'eu-nl', 'https://smn.eu-nl.otc.t-systems.com'],
    ['flexibleengine', 'eu-west-0', 'https://smn.eu-west-0.prod-cloud-ocb.orange-business.com'],
  ] as const)('%s %s is %s', (cloud, region, url) => {
    expect(smnEndpoint(cloud, region)).toBe(url);
  });

  it.each(['eu-de.evil.example/', 'evil.example#', 'eu-de@evil', 'EU-DE', '', 'eu', 'eu-de:443'])(
    'refuses region text %j that could change the host',
    (region) => {
      expect(() => smnEndpoint('huaweicloud', region)).toThrow(SinkError);
    },
  );

  it('refuses an OTC region without a known SMN host and says how to override it', () => {
    expect(() => smnEndpoint('otc', 'eu-ch2')).toThrow(/SINK_ENDPOINT/);
  });

  it('builds and parses topic URNs', () => {
    expect(buildTopicUrn('eu-de', PROJECT, 'cts_test')).toBe(`urn:smn:eu-de:${PROJECT}:cts_test`);
    expect(
      parseTopicUrn(
        'urn:smn:eu-west-0:fa7426a17fe246698cf9a475f4254099:9469994203fa42f5b51cba3b78b55549_dedicated_queue_dli_topic',
      ),
    ).toEqual({
      region: 'eu-west-0',
      projectId: 'fa7426a17fe246698cf9a475f4254099',
      topicName: '9469994203fa42f5b51cba3b78b55549_dedicated_queue_dli_topic',
    });
  });

  it.each([
    'urn:smn:eu-de:p:',
    'urn:smn:eu-de:p:-starts-with-hyphen',
    'urn:smn:eu-de:p:a/b',
    'urn:smn:eu-de:p:t:extra',
    'urn:sns:eu-de:p:t',
    'arn:aws:sns:us-east-1:111122223333:t',
    `urn:smn:eu-de:p:${'t'.repeat(256)}`,
  ])('refuses the topic URN %j', (urn) => {
    expect(() => parseTopicUrn(urn)).toThrow(SinkError);
  });

  it('refuses to build a URN from parts that would change its shape', () => {
    expect(() => buildTopicUrn('eu-de', PROJECT, 'a:b')).toThrow(SinkError);
    expect(() => buildTopicUrn('eu-de', 'x/y', 'topic')).toThrow(SinkError);
  });
});
