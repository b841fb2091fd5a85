/**
 * The Cloud Eye metric of unauthorized-api on FunctionGraph: the request body and its limits, the
 * endpoints, and the publisher and the FunctionGraph handler against a local Cloud Eye endpoint on
 * 127.0.0.1 that recomputes the SDK-HMAC-SHA256 signature (or checks the token) and the body.
 */
import { createFunctionGraphHandler } from '../shared/platform/functiongraph-handler';
import {
  CES_DEFAULT_NAMESPACE,
  CES_TTL_SECONDS,
  cesEndpoint,
  cesMetricBody,
  cesMetricProblems,
  createCesMetricPublisher,
} from '../shared/sinks/ces-metric';
import type { MetricSettings } from '../shared/detect/detector';
import { SinkError } from '../shared/errors';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import { captureLog } from './support/capture-log';
import { type CesServer, startCesServer } from './support/ces-server';
import { fixture } from './support/fixtures';
import { functionGraphContext } from './support/functiongraph-context';
import { startSmnServer, type SmnServer } from './support/smn-server';

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOKEN = 'MIIZfake-token-for-ces-tests';
const KEYS = { accessKey: 'HPUAEXAMPLEAK12345', secretKey: 'example-secret-key-for-ces-tests' };
const SETTINGS: MetricSettings = { mode: 'api', namespace: CES_DEFAULT_NAMESPACE, name: 'AuthorizationFailureCount' };
const DIMENSIONS = [{ name: 'function', value: 'unauthorized-api' }];
const noSleep = async () => undefined;

/** What a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

let ces: CesServer;
let smn: SmnServer;

beforeAll(async () => {
  ces = await startCesServer({ token: TOKEN, credentials: { ...KEYS, securityToken: 'temporary-security-token' } });
  smn = await startSmnServer({ token: TOKEN, credentials: KEYS });
});
afterAll(async () => {
  await ces?.close();
  await smn?.close();
});
beforeEach(() => {
  ces.data.length = 0;
  ces.requests.length = 0;
  ces.setFault(undefined);
  smn.published.length = 0;
});

describe('the Cloud Eye request body', () => {
  it('is one datum: namespace, metric_name, dimensions, ttl, collect_time in ms, the count, unit', () => {
    const at = new Date('2026-12-01T20:00:00.123Z');
    expect(cesMetricBody(CES_DEFAULT_NAMESPACE, 'AuthorizationFailureCount', DIMENSIONS, 0, at)).toEqual([
      {
        metric: {
          namespace: 'TRAILGUARD.CloudTrailMetrics',
          metric_name: 'AuthorizationFailureCount',
          dimensions: [{ name: 'function', value: 'unauthorized-api' }],
        },
        ttl: CES_TTL_SECONDS,
        collect_time: 1796155200123,
        value: 0,
        unit: 'count',
        type: 'int',
      },
    ]);
    expect(CES_TTL_SECONDS).toBeLessThanOrEqual(604_800);
  });

  it.each([
    ['TRAILGUARD.CloudTrailMetrics', true],
    ['MINE.APP', true],
    ['a.b1', true],
    ['CloudTrailMetrics', false],
    ['a.b', true],
    ['ab', false],
    ['1A.B', false],
    ['A.1B', false],
    ['A.B.C', false],
    ['A-B.C', false],
    ['SYS.ECS', false],
    ['AGTX.Y', false],
    ['sre.custom', false],
    ['SERVICE.BMS', false],
    [`A.${'b'.repeat(31)}`, false],
  ])('namespace %s is accepted: %s', (namespace, ok) => {
    expect(cesMetricProblems(namespace, 'AuthorizationFailureCount', DIMENSIONS)).toHaveLength(ok ? 0 : 1);
  });

  it.each([
    ['no dimension', []],
    ['four dimensions', [1, 2, 3, 4].map((n) => ({ name: `d${n}`, value: 'v' }))],
    ['a name starting with a digit', [{ name: '1d', value: 'v' }]],
    ['a value with a space', [{ name: 'd', value: 'a b' }]],
    ['a value over 256 characters', [{ name: 'd', value: 'v'.repeat(257) }]],
  ])('dimensions are refused with %s', (_what, dimensions) => {
    expect(cesMetricProblems(CES_DEFAULT_NAMESPACE, 'AuthorizationFailureCount', dimensions).length).toBeGreaterThan(0);
  });
});

describe('the Cloud Eye endpoints', () => {
  it.each([
    ['huaweicloud', 'ap-southeast-1', 'https://ces.ap-southeast-1.myhuaweicloud.com'],
    ['huaweicloud', 'eu-west-101', 'https://ces.eu-west-101.myhuaweicloud.com'],
    ['otc', 'eu-de', 'https://ces.eu-de.otc.t-systems.com'],
    ['otc', 'eu-nl', 'https://ces.eu-nl.otc.t-systems.com'],
    ['flexibleengine', 'eu-west-0', 'https://ces.eu-west-0.prod-cloud-ocb.orange-business.com'],
  ] as const)('%s %s → %s', (cloud, region, url) => {
    expect(cesEndpoint(cloud, region)).toBe(url);
  });

  it('refuses an OTC region without a published host, and names METRIC_ENDPOINT', () => {
    expect(() => cesEndpoint('otc', 'eu-ch2')).toThrow(/set METRIC_ENDPOINT/);
  });

  it('refuses a region that is not a region name before it becomes a host name', () => {
    expect(() => cesEndpoint('huaweicloud', 'evil.example.com/')).toThrow(SinkError);
  });
});

describe('the Cloud Eye publisher against the local endpoint', () => {
  const publisher = (auth: Parameters<typeof createCesMetricPublisher>[0]['auth']) =>
    createCesMetricPublisher({
      endpoint: ces.url,
      projectId: PROJECT,
      auth,
      settings: SETTINGS,
      dimensions: DIMENSIONS,
      sleep: noSleep,
    });

  it('sends the count with the agency token', async () => {
    await publisher({ token: TOKEN }).publish(3, new Date());
    expect(ces.data).toMatchObject([
      { projectId: PROJECT, namespace: CES_DEFAULT_NAMESPACE, metricName: 'AuthorizationFailureCount', value: 3 },
    ]);
    expect(ces.data[0].headers['x-auth-token']).toBe(TOKEN);
  });

  it('sends 0 as a datum too, signed with temporary AK/SK and a signed security token', async () => {
    await publisher({ ...KEYS, securityToken: 'temporary-security-token' }).publish(0, new Date());
    expect(ces.data.map((d) => d.value)).toEqual([0]);
    expect(ces.data[0].headers.authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK12345, SignedHeaders=content-type;host;x-sdk-date;x-security-token, /,
    );
  });

  it('is refused by the endpoint with a wrong secret key, and does not retry a 401', async () => {
    const error = await rejection(
      publisher({ ...KEYS, secretKey: 'wrong', securityToken: 'temporary-security-token' }).publish(1, new Date()),
    );
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/HTTP 401 APIGW.0301/);
    expect(ces.requests).toHaveLength(1);
  });

  it('redacts the credentials the gateway echoes back, and nothing else', async () => {
    const error = (await rejection(
      publisher({
        accessKey: 'HPUAUNKNOWNKEY0001',
        secretKey: 'wrong-secret-key-for-test',
        securityToken: 'temporary-security-token',
      }).publish(1, new Date()),
    )) as SinkError;
    expect(error.message).toMatch(/ak \[redacted\] not exist/);
    expect(error.message).not.toContain('HPUAUNKNOWNKEY0001');
    expect(error.message).toContain('Incorrect IAM authentication information');
  });

  it('retries a 503 and a dropped connection, then succeeds', async () => {
    ces.setFault({ kind: 'status', status: 503, times: 1 });
    await publisher({ token: TOKEN }).publish(2, new Date());
    ces.setFault({ kind: 'destroy', times: 1 });
    await publisher({ token: TOKEN }).publish(2, new Date());
    expect(ces.requests.map((r) => r.status)).toEqual([503, 201, 0, 201]);
    expect(ces.data).toHaveLength(2);
  });

  it('gives up after 3 attempts with a retryable SinkError that never shows the token', async () => {
    ces.setFault({ kind: 'status', status: 500 });
    const error = (await rejection(publisher({ token: TOKEN }).publish(1, new Date()))) as SinkError;
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/after 3 attempts: HTTP 500/);
    expect(error.message).not.toContain(TOKEN);
    expect(ces.requests).toHaveLength(3);
  });

  it('refuses a namespace CES would refuse before sending anything', () => {
    expect(() =>
      createCesMetricPublisher({
        endpoint: ces.url,
        projectId: PROJECT,
        auth: { token: TOKEN },
        settings: { ...SETTINGS, namespace: 'CloudTrailMetrics' },
        dimensions: DIMENSIONS,
      }),
    ).toThrow(/service\.item/);
  });
});

describe('unauthorized-api on FunctionGraph sends its count to Cloud Eye', () => {
  const forbidden = { cts: fixture('huaweicloud/cts-api-call-forbidden.json') };
  const normal = {
    cts: { ...(fixture('huaweicloud/cts-api-call-forbidden.json') as object), code: 200, trace_rating: 'normal' },
  };

  function run(event: unknown, variables: Record<string, string> = {}, auth: 'token' | 'aksk' | 'none' = 'token') {
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
      auth,
    });
    // Temporary AK/SK from an agency always come with their security token.
    if (auth === 'aksk') context.getSecurityToken = () => 'temporary-security-token';
    return { result: handler(event, context), log };
  }

  it('one datum per invocation: 1 for a refused call, with the alert published', async () => {
    const { result } = run(forbidden);
    expect(await result).toMatchObject({ alerts: 1, delivered: 1, metric: { value: 1, published: true, via: 'api' } });
    expect(ces.data).toMatchObject([
      {
        namespace: 'TRAILGUARD.CloudTrailMetrics',
        metricName: 'AuthorizationFailureCount',
        dimensions: [{ name: 'function', value: 'unauthorized-api' }],
        value: 1,
        projectId: PROJECT,
      },
    ]);
    expect(smn.published).toHaveLength(1);
  });

  it('0 for an invocation without a refusal, so the alarm always has data', async () => {
    expect(await run(normal).result).toMatchObject({ alerts: 0, metric: { value: 0, published: true } });
    expect(ces.data.map((d) => d.value)).toEqual([0]);
  });

  it('each event once: the same refused trace twice in one trace list counts 2, not per rule', async () => {
    const trace = fixture('huaweicloud/cts-api-call-forbidden.json') as Record<string, unknown>;
    const event = { traces: [trace, { ...trace, trace_id: 'second-trace' }] };
    expect(await run(event).result).toMatchObject({ metric: { value: 2 } });
    expect(ces.data.map((d) => d.value)).toEqual([2]);
  });

  it('signs with the temporary AK/SK when the agency gives keys instead of a token', async () => {
    await expect(run(forbidden, {}, 'aksk').result).resolves.toMatchObject({ metric: { published: true } });
    expect(ces.data[0].headers.authorization).toMatch(/^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK12345, /);
  });

  it('a Cloud Eye that keeps failing does not fail the invocation: the count is logged as a structured line', async () => {
    ces.setFault({ kind: 'status', status: 503 });
    const { result, log } = run(forbidden);
    expect(await result).toMatchObject({ delivered: 1, metric: { value: 1, published: false, via: 'lost' } });
    const [line] = log.find('metric publish failed');
    expect(line).toMatchObject({ level: 'error', metric: 'AuthorizationFailureCount', value: 1 });
    expect(JSON.stringify(line)).toMatch(
      /Cloud Eye TRAILGUARD.CloudTrailMetrics\/AuthorizationFailureCount failed after 3 attempts/,
    );
    expect(log.text()).not.toContain(TOKEN);
  });

  it('a function without an agency still alerts nothing it cannot, and logs the count', async () => {
    const { result, log } = run(forbidden, {}, 'none');
    await expect(result).rejects.toThrow(/SMN needs credentials/);
    expect(log.find('metric publish failed')[0]).toMatchObject({ value: 1 });
  });

  it('METRIC_MODE=off sends nothing', async () => {
    expect(await run(forbidden, { METRIC_MODE: 'off' }).result).not.toHaveProperty('metric');
    expect(ces.requests).toHaveLength(0);
  });

  it('refuses at cold start a METRIC_NAMESPACE Cloud Eye would refuse, listed with the other problems', async () => {
    const error = await rejection(run(forbidden, { METRIC_NAMESPACE: 'SYS.ECS', RULE_SETS: 'nonsense' }).result);
    expect((error as Error).message).toMatch(/2 configuration problem/);
    expect((error as Error).message).toMatch(/namespace "SYS.ECS" is reserved/);
    expect((error as Error).message).toMatch(/nonsense/);
    expect(ces.requests).toHaveLength(0);
  });
});
