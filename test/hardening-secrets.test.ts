/**
 * Credentials never leak: the function's own AWS keys and session token, the FunctionGraph agency's
 * token and temporary AK/SK, and the CLI's SMN token appear in no log line (at trace level), no thrown
 * error (message, stack, cause) and no published alert, on the success paths and on the error paths
 * where the far end echoes them back (SNS SignatureDoesNotMatch quoting the canonical request, the SMN
 * gateway's 401 quoting the AK). Access key ids found inside records are shown in alerts masked to their
 * last four characters: enough for a responder to find the key, useless to anyone reading the e-mail.
 */
import { inspect } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { DETECTORS } from '../functions/registry';
import { maskAccessKey, maskAccessKeyIds } from '../shared/alert/alert-text';
import { createLogger, redactText } from '../shared/platform/logger';
import { createFunctionGraphHandler, type FunctionGraphContext } from '../shared/platform/functiongraph-handler';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { DetectionRun } from '../shared/pipeline';
import { resetSnsClients } from '../shared/sinks/sns-sink';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { captureLog } from './support/capture-log';
import { fixture } from './support/fixtures';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { startSnsProxy, type SnsProxy } from './support/sns-proxy';
import { drainQueue } from './support/sqs-inbox';

/** The function's own (temporary) AWS credentials, as Lambda puts them in the environment. */
const AWS_KEYS = {
  AWS_ACCESS_KEY_ID: 'ASIAHARDENTEST000042',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYHARDENTEST',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDhardeningSessionToken+test==',
};
/** The FunctionGraph agency's credentials, from the context. */
const AGENCY = {
  token: 'MIIZhardening-agency-token-0123456789',
  accessKey: 'HPUAHARDENAGENCYAK01',
  secretKey: 'hardening-agency-secret-key-0123456789',
  securityToken: 'gQpjbi1ub3J0aC00hardening-security-token',
};
/** Access key ids inside records: a responder needs to know which key, not the whole key. */
const RECORD_KEYS = { aws: 'AKIAIOSFODNN7RECORD1', temporary: 'ASIAIOSFODNN7RECORD2', huawei: 'HSTAHARDENRECORDKEY3' };

const ALL_SECRETS = [...Object.values(AWS_KEYS), ...Object.values(AGENCY)];
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SNS_TOPIC = 'arn:aws:sns:us-east-1:000000000000:alerts';
const ENV = { IP_WHITELIST: '203.0.113.0/24', ALERT_ON_FAILED_LOGIN: 'true', LOG_LEVEL: 'trace', METRIC_MODE: 'off' };

function expectNoSecrets(text: string, secrets: readonly string[] = ALL_SECRETS): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
  // Whole AWS access key ids never appear, wherever they come from.
  expect(text).not.toMatch(/(?:AKIA|ASIA)[A-Z0-9]{16}/);
}

/** Everything a platform could print about an error: message, stack, own fields, the cause chain. */
function errorText(error: unknown): string {
  return `${String(error)}\n${(error as Error)?.stack}\n${JSON.stringify(error)}\n${inspect(error, { depth: 10 })}`;
}

/** A CloudTrail console login (failed, so the error message is shown) carrying access key ids in its fields. */
function cloudTrailWithKeys(): Record<string, unknown> {
  const record = fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json') as Record<string, unknown>;
  return {
    ...record,
    eventID: 'secrets-aws-1',
    userIdentity: {
      ...(record.userIdentity as object),
      accessKeyId: RECORD_KEYS.temporary,
      userName: `mira ${RECORD_KEYS.aws}`,
    },
    userAgent: `aws-cli/2.15 key=${RECORD_KEYS.aws}`,
    errorMessage: `Failed authentication with ${RECORD_KEYS.temporary}`,
    responseElements: { ConsoleLogin: 'Failure' },
  };
}

function ctsWithKeys(): Record<string, unknown> {
  const trace = fixture('huaweicloud/cts-login-outside-ip.json') as Record<string, unknown>;
  return {
    ...trace,
    trace_id: 'secrets-cts-1',
    user: { ...(trace.user as object), access_key_id: RECORD_KEYS.huawei },
    user_agent: `sdk ${RECORD_KEYS.aws}`,
  };
}

let emulator: Emulator;
let proxy: SnsProxy;
const savedEnv = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, AWS_KEYS);
  emulator = await startEmulator({
    topics: [{ name: 'alerts' }],
    queues: [{ name: 'inbox' }],
    subscriptions: [{ topic: 'alerts', queue: 'inbox' }],
  });
  proxy = await startSnsProxy(emulator.address);
}, 30_000);

afterAll(async () => {
  resetSnsClients();
  await Promise.all([emulator?.stop(), proxy?.close()]);
  process.env = savedEnv;
});

beforeEach(async () => {
  proxy.setFault(undefined);
  await drainQueue(emulator.address, 'inbox');
});
afterEach(() => resetSnsClients());

describe("Lambda with the function's AWS credentials in the environment", () => {
  function lambda() {
    const log = captureLog();
    const handler = createLambdaHandler(
      loginWhitelist,
      { ...ENV, ...AWS_KEYS, ALERT_TOPIC: SNS_TOPIC, ALERT_REGION: 'us-east-1', SINK_ENDPOINT: proxy.url },
      { logDestination: log.destination },
    );
    return { handler, log };
  }

  it('a published alert about a record full of access key ids shows them masked, and logs hold no credential', async () => {
    const { handler, log } = lambda();
    const result = await handler({ Records: [cloudTrailWithKeys()] }, { awsRequestId: 'req-secrets-1' });
    expect(result).toMatchObject({ alerts: 1, delivered: 1 });
    const [received] = await drainQueue(emulator.address, 'inbox');
    expectNoSecrets(`${received.Subject}\n${received.Message}`);
    expect(received.Message).toContain(maskAccessKey(RECORD_KEYS.aws));
    expect(received.Message).toContain(maskAccessKey(RECORD_KEYS.temporary));
    expect(received.Message).toContain(`****************${RECORD_KEYS.aws.slice(-4)}`);
    expect(log.lines().length).toBeGreaterThan(1);
    expectNoSecrets(log.text());
  });

  it('SignatureDoesNotMatch echoing the key id and session token: the error, its cause and the logs hold neither', async () => {
    proxy.setFault({
      kind: 'error',
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
      echoRequest: true,
    });
    const { handler, log } = lambda();
    const error = await handler({ Records: [cloudTrailWithKeys()] }, { awsRequestId: 'req-secrets-2' }).catch(
      (e: unknown) => e,
    );
    // Bad credentials are permanent for this invocation: the error says so (the platform still retries it).
    expect(error).toMatchObject({ name: 'SinkError', retryable: false });
    // The echo really happened, and was redacted.
    expect(proxy.publishes.length).toBeGreaterThan(0);
    expect(errorText(error)).toMatch(/x-amz-security-token:\[REDACTED\]/);
    expectNoSecrets(errorText(error));
    expectNoSecrets(log.text());
    expect(log.find('alert publish failed').length).toBeGreaterThan(0);
  });

  it('rejected records quoting access key ids are logged with the keys masked', async () => {
    const { handler, log } = lambda();
    await handler({
      Records: [
        {
          EventSource: 'aws:sns',
          Sns: {
            Type: 'Notification',
            MessageId: RECORD_KEYS.aws,
            Message: `not json ${RECORD_KEYS.aws} ${RECORD_KEYS.temporary}`,
          },
        },
      ],
    });
    const [rejected] = log.find('record rejected');
    expect(rejected.reason).toContain('not json');
    expectNoSecrets(log.text());
  });
});

describe("FunctionGraph with the agency's credentials in the context", () => {
  let smn: SmnServer;
  afterEach(async () => smn?.close());

  function functionGraph(auth: 'token' | 'aksk') {
    const log = captureLog();
    const { handler } = createFunctionGraphHandler(loginWhitelist, {}, { logDestination: log.destination });
    const variables: Record<string, string> = {
      ...ENV,
      ALERT_TOPIC: 'trailguard_alerts',
      ALERT_REGION: 'eu-de',
      SINK_ENDPOINT: smn.url,
    };
    const context: FunctionGraphContext = {
      getRequestID: () => 'req-fg-secrets',
      getUserData: (key) => variables[key],
      getProjectID: () => PROJECT,
      getToken: () => (auth === 'token' ? AGENCY.token : ''),
      getSecurityAccessKey: () => AGENCY.accessKey,
      getSecuritySecretKey: () => AGENCY.secretKey,
      getSecurityToken: () => AGENCY.securityToken,
    };
    return { run: (event: unknown) => handler(event, context), log };
  }

  it("a published alert holds no agency credential; the Huawei AK of the record is masked in the alert's event", async () => {
    smn = await startSmnServer({ token: AGENCY.token });
    const { run, log } = functionGraph('token');
    expect(await run({ cts: ctsWithKeys() })).toMatchObject({ delivered: 1 });
    const [published] = smn.published;
    expectNoSecrets(`${published.subject}\n${published.message}`);
    expect(published.headers['x-auth-token']).toBe(AGENCY.token);
    expectNoSecrets(log.text(), [...ALL_SECRETS, RECORD_KEYS.huawei]);
  });

  it('a 401 whose body echoes the AK and the canonical request (with the security token): redacted in the error and the logs', async () => {
    smn = await startSmnServer({
      credentials: {
        accessKey: AGENCY.accessKey,
        secretKey: 'not-the-agency-secret-key',
        securityToken: AGENCY.securityToken,
      },
    });
    const { run, log } = functionGraph('aksk');
    const error = await run({ cts: ctsWithKeys() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SinkError', retryable: false });
    expect(String((error as Error).message)).toMatch(/401 APIGW\.0301: .*verify aksk signature fail, ak:\[redacted\]/);
    expectNoSecrets(errorText(error));
    expectNoSecrets(log.text());
    expect(log.find('invocation failed')).toEqual([expect.objectContaining({ retryable: false })]);
  });

  it('an unknown AK echoed by the gateway is redacted too', async () => {
    smn = await startSmnServer({ credentials: { accessKey: 'HPUAOTHERKEY00000001', secretKey: 'x'.repeat(30) } });
    const { run, log } = functionGraph('aksk');
    const error = await run({ cts: ctsWithKeys() }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/ak \[redacted\] not exist/);
    expectNoSecrets(errorText(error));
    expectNoSecrets(log.text());
  });
});

describe('the replay CLI with credentials in its environment', () => {
  function captureIo(env: Record<string, string>): CliIo & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return {
      env: { ...ENV, LOG_LEVEL: 'trace', ...env },
      out: (line) => stdout.push(line),
      err: (line) => stderr.push(line),
      progress: () => undefined,
      errIsTty: false,
      stdout,
      stderr,
    };
  }
  function inputFile(): string {
    const path = join(mkdtempSync(join(tmpdir(), 'trailguard-secrets-')), 'trail.json');
    writeFileSync(path, JSON.stringify({ Records: [cloudTrailWithKeys()] }));
    return path;
  }

  it('--json prints access key ids masked, in the text and in the event', async () => {
    const io = captureIo({});
    expect(await main(['replay', 'login-whitelist', inputFile(), '--json'], io)).toBe(0);
    const alert = JSON.parse(io.stdout[0]) as {
      message: string;
      event: { actor: { accessKeyId: string; name: string }; userAgent: string };
    };
    expect(alert.event.actor.accessKeyId).toBe(maskAccessKey(RECORD_KEYS.temporary));
    expect(alert.event.actor.name).toBe(`mira ${maskAccessKey(RECORD_KEYS.aws)}`);
    expectNoSecrets(io.stdout.join('\n'));
  });

  it('a token refused by SMN stays out of everything the CLI prints', async () => {
    const smn = await startSmnServer({ token: 'the-right-token-0123456789' });
    try {
      const io = captureIo({ SMN_AUTH_TOKEN: AGENCY.token, PROJECT_ID: PROJECT });
      const code = await main(
        [
          'replay',
          'login-whitelist',
          inputFile(),
          '--sink',
          'smn',
          '--endpoint',
          smn.url,
          '--topic',
          `urn:smn:eu-de:${PROJECT}:alerts`,
        ],
        io,
      );
      expect(code).toBe(1);
      expect(io.stderr.join('\n')).toMatch(/401/);
      expectNoSecrets([...io.stdout, ...io.stderr].join('\n'));
    } finally {
      await smn.close();
    }
  });

  it('an SNS error echoing the AWS credentials stays out of everything the CLI prints', async () => {
    proxy.setFault({
      kind: 'error',
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'signature mismatch',
      echoRequest: true,
    });
    const io = captureIo({ ...AWS_KEYS, AWS_ACCOUNT_ID: '000000000000' });
    const code = await main(
      [
        'replay',
        'login-whitelist',
        inputFile(),
        '--sink',
        'sns',
        '--endpoint',
        proxy.url,
        '--topic',
        SNS_TOPIC,
        '--region',
        'us-east-1',
      ],
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/SignatureDoesNotMatch|signature mismatch/);
    expectNoSecrets([...io.stdout, ...io.stderr].join('\n'));
  });
});

describe('masking and redaction rules', () => {
  it('alerts mask every AWS access key id to its last four characters, also inside URL-encoded text', () => {
    expect(maskAccessKeyIds(`key AKIAIOSFODNN7EXAMPLE, url ?q=%20ASIAIOSFODNN7EXAMPLF%20`)).toBe(
      'key ****************MPLE, url ?q=%20****************MPLF%20',
    );
    expect(maskAccessKeyIds('a Huawei AK HSTAHARDENRECORDKEY3 is masked when named', ['HSTAHARDENRECORDKEY3'])).toBe(
      'a Huawei AK ****************KEY3 is masked when named',
    );
    expect(maskAccessKeyIds('principal AIDAEXAMPLEALICE4821 stays: it is an id, not a key')).toContain(
      'AIDAEXAMPLEALICE4821',
    );
  });

  it('masks a text that is nothing but a key, at the shortest lengths a key has', () => {
    // An AWS key id is 20 characters at least; a named key may be as short as 8.
    expect(maskAccessKeyIds('AKIAIOSFODNN7EXAMPLE')).toBe('****************MPLE');
    expect(maskAccessKeyIds('AKIAIOSFODNN7EXAMPL')).toBe('AKIAIOSFODNN7EXAMPL');
    expect(maskAccessKeyIds('HSTA1234', ['HSTA1234'])).toBe('****1234');
    expect(maskAccessKeyIds('HSTA123', ['HSTA1234'])).toBe('HSTA123');
    expect(maskAccessKeyIds('x', [undefined, 'HSTA1234'])).toBe('x');
  });

  it('log lines scrub access key ids anywhere, and the exact credential values given to the logger', () => {
    const log = captureLog();
    const logger = createLogger(
      { level: 'trace', secrets: [AGENCY.token, AWS_KEYS.AWS_SESSION_TOKEN, 'short'] },
      log.destination,
    );
    const cause = new Error(`upstream said ${AWS_KEYS.AWS_SESSION_TOKEN}`);
    logger.info(
      {
        context: { nested: { value: `token ${AGENCY.token}` } },
        key: RECORD_KEYS.aws,
        list: [`x${RECORD_KEYS.temporary}`],
      },
      'something happened',
    );
    logger.error(
      { err: new Error(`failed with ${AWS_KEYS.AWS_SESSION_TOKEN} and ${RECORD_KEYS.aws}`, { cause }) },
      'failure',
    );
    logger.warn(`free text ${AGENCY.token}`);
    expectNoSecrets(log.text());
    expect(log.text()).toContain('[REDACTED]');
    expect(redactText(`id ${RECORD_KEYS.aws}`)).toBe('id AKIA…REDACTED');
  });

  it('the replay of every registered function masks access key ids in its alert events', async () => {
    for (const detector of Object.values(DETECTORS)) {
      const run = new DetectionRun(detector, detector.loadConfig(ENV));
      await run.ingest({ Records: [cloudTrailWithKeys()] }, 'event');
      await run.ingest({ cts: ctsWithKeys() }, 'event');
      for (const alert of run.alerts()) expectNoSecrets(JSON.stringify(alert), [RECORD_KEYS.huawei]);
    }
  });
});
