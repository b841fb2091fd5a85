/**
 * The FunctionGraph handler, fed with CTS trigger samples, publishes to a local SMN endpoint that
 * checks the X-Auth-Token or recomputes the SDK-HMAC-SHA256 signature of every request.
 */
import { createFunctionGraphHandler, type FunctionGraphContext } from '../shared/platform/functiongraph-handler';
import { SinkError } from '../shared/errors';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { startSmnServer } from './support/smn-server';
import { EVENTS_DIR, fixture } from './support/fixtures';
import { main } from '../cli/main';
import { join } from 'node:path';
import { functionGraphContext, type AgencyAuth } from './support/functiongraph-context';

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOKEN = 'MIIZfake-token-for-tests';
const KEYS = { accessKey: 'HPUAEXAMPLEAK12345', secretKey: 'example-secret-key-for-tests' };

type Server = Awaited<ReturnType<typeof startSmnServer>>;
let server: Server;

beforeAll(async () => {
  server = await startSmnServer({ token: TOKEN, credentials: KEYS });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.published.length = 0;
});

/** A FunctionGraph-like context with this file's project and agency credentials. */
function context(userData: Record<string, string>, auth: AgencyAuth = 'token'): FunctionGraphContext {
  return functionGraphContext({ userData, projectId: PROJECT, token: TOKEN, keys: KEYS, auth, requestId: 'req-1' });
}

/** The variables of Huawei's published CTS sample, plus our endpoint override. */
function sampleVariables(): Record<string, string> {
  return {
    IP: '203.0.113.0/24',
    SMN_Topic: 'cts_test',
    RegionName: 'eu-de',
    SINK_ENDPOINT: server.url,
    LOG_LEVEL: 'silent',
  };
}

describe('login-whitelist on FunctionGraph with SMN', () => {
  it('a CTS login from outside the whitelist is published with the agency token', async () => {
    const { handler } = createFunctionGraphHandler(loginWhitelist, {});
    const result = await handler(
      fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'),
      context(sampleVariables()),
    );
    expect(result).toMatchObject({ alerts: 1, delivered: 1 });
    expect(server.published).toHaveLength(1);
    expect(server.published[0].topicUrn).toBe(`urn:smn:eu-de:${PROJECT}:cts_test`);
    expect(server.published[0].projectId).toBe(PROJECT);
    expect(server.published[0].message.split('\n')[0]).toBe('Illegal operation[IP:10.65.56.139, Action:login]');
  });

  it('publishes with AK/SK signing when the agency gives temporary keys, and the endpoint verifies the signature', async () => {
    const { handler } = createFunctionGraphHandler(loginWhitelist, {});
    await handler(
      fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'),
      context(sampleVariables(), 'aksk'),
    );
    expect(server.published).toHaveLength(1);
  });

  it("a logout from outside alerts too, unlike Huawei's published sample", async () => {
    const { handler } = createFunctionGraphHandler(loginWhitelist, {});
    const variables = { ...sampleVariables(), IP: '10.65.56.139' };
    const result = await handler(
      fixture('huaweicloud/envelope-functiongraph-cts-trigger-logout.json'),
      context(variables),
    );
    expect(result.alerts).toBe(1);
    expect(server.published[0].message).toMatch(/Action:logout\]/);
  });

  it('a whitelisted login is quiet', async () => {
    const { handler } = createFunctionGraphHandler(loginWhitelist, {});
    const variables = { ...sampleVariables(), IP: '10.65.56.139' };
    const result = await handler(
      fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'),
      context(variables),
    );
    expect(result.alerts).toBe(0);
    expect(server.published).toHaveLength(0);
  });

  it('without an agency the invocation fails with a clear, non-retryable error', async () => {
    const { handler } = createFunctionGraphHandler(loginWhitelist, {});
    const failure = handler(
      fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'),
      context(sampleVariables(), 'none'),
    );
    await expect(failure).rejects.toBeInstanceOf(SinkError);
    await expect(failure).rejects.toThrow(/agency/);
  });

  it('the initializer rejects a bad whitelist before any event arrives', () => {
    const { initializer } = createFunctionGraphHandler(loginWhitelist, {});
    const callback = jest.fn();
    initializer(context({ ...sampleVariables(), IP: '203.0.113.0/24;;10.0.0.999' }), callback);
    expect(callback.mock.calls[0][0]).toBeInstanceOf(Error);
    expect(String(callback.mock.calls[0][0].message)).toContain('10.0.0.999');
  });

  it('variables fall back to RUNTIME_USERDATA and then process.env', async () => {
    const { handler } = createFunctionGraphHandler(loginWhitelist, {
      RUNTIME_USERDATA: JSON.stringify(sampleVariables()),
    });
    const result = await handler(fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'), context({}));
    expect(result.delivered).toBe(1);
  });
});

describe('trailguard replay --sink smn', () => {
  it('signs with HUAWEICLOUD_SDK_AK/SK and publishes to the topic URN at --endpoint', async () => {
    const stderr: string[] = [];
    const io = {
      env: {
        IP: '203.0.113.0/24',
        HUAWEICLOUD_SDK_AK: KEYS.accessKey,
        HUAWEICLOUD_SDK_SK: KEYS.secretKey,
        PROJECT_ID: PROJECT,
        LOG_LEVEL: 'silent',
      },
      out: () => undefined,
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
        '--sink',
        'smn',
        '--endpoint',
        server.url,
        '--topic',
        `urn:smn:eu-de:${PROJECT}:cts_test`,
      ],
      io,
    );
    expect(stderr.join('\n')).toContain('published 1 alert(s) to smn');
    expect(code).toBe(0);
    expect(server.published).toHaveLength(1);
  });

  it('exits 2 when SMN has no credentials', async () => {
    const io = {
      env: { IP: '203.0.113.0/24', PROJECT_ID: PROJECT },
      out: () => undefined,
      err: () => undefined,
      progress: () => undefined,
      errIsTty: false,
    };
    const file = join(EVENTS_DIR, 'huaweicloud', 'cts-login-outside-ip.json');
    expect(
      await main(
        [
          'replay',
          'login-whitelist',
          file,
          '--sink',
          'smn',
          '--endpoint',
          server.url,
          '--topic',
          `urn:smn:eu-de:${PROJECT}:cts_test`,
        ],
        io,
      ),
    ).toBe(2);
  });
});
