/**
 * Sink errors say what happened and what to do, in one line, with the right retry decision: a retry of
 * the invocation is for failures a retry can fix, never for an encoding bug, missing credentials or an
 * endpoint that is not the service.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import type { Alert } from '../shared/alert/alert';
import { SinkError } from '../shared/errors';
import { createAlertSinks } from '../shared/sinks/create-sinks';
import { publishAlerts } from '../shared/sinks/publish-alerts';
import { loadSinkConfig, type Platform } from '../shared/sinks/sink-config';
import { createSmnSink } from '../shared/sinks/smn-sink';
import { classifySnsFailure, createSnsSink, snsSinkFor } from '../shared/sinks/sns-sink';
import { ConfigProblems } from '../shared/platform/env-config';
import { EVENTS_DIR } from './support/fixtures';
import { listenOnLoopback } from './support/loopback-server';
import { thrown } from './support/thrown';

const PROJECT = '0123456789abcdef0123456789abcdef';
const TOPIC_URN = `urn:smn:eu-de:${PROJECT}:alerts`;

function alert(): Alert {
  return {
    function: 'login-whitelist',
    rule: 'ip-not-whitelisted',
    severity: 'high',
    subject: 'trailguard: login',
    message: 'Illegal operation[IP:198.51.100.7, Action:login]',
    event: {} as Alert['event'],
    eventIds: ['evt-1'],
    count: 1,
    dedupId: 'd'.repeat(64),
  };
}

function sinkError(run: () => unknown): SinkError {
  const error = thrown(run);
  expect(error).toBeInstanceOf(SinkError);
  expect((error as Error).message).not.toMatch(/\n/);
  return error as SinkError;
}

function sinksFor(env: Record<string, string>, platform: Platform, facts: Parameters<typeof createAlertSinks>[1] = {}) {
  const problems = new ConfigProblems();
  const config = loadSinkConfig(env, platform, problems);
  expect(problems.problems).toEqual([]);
  return () => createAlertSinks(config, { snsSink: snsSinkFor, ...facts });
}

describe('sink errors name what to set', () => {
  it('SMN without credentials on the CLI names the variables, not an agency', () => {
    const error = sinkError(sinksFor({ ALERT_SINK: 'smn', ALERT_TOPIC: TOPIC_URN }, 'cli'));
    expect(error.message).toMatch(/SMN_AUTH_TOKEN/);
    expect(error.message).toMatch(/HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK/);
    expect(error.message).toMatch(/HUAWEICLOUD_SDK_SECURITY_TOKEN/);
    expect(error.message).not.toMatch(/agency/);
    expect(error).toMatchObject({ name: 'SinkError', retryable: false });
  });

  it('SMN without credentials on FunctionGraph keeps the agency hint', () => {
    const error = sinkError(sinksFor({ ALERT_TOPIC: TOPIC_URN }, 'functiongraph', { projectId: PROJECT }));
    expect(error.message).toMatch(/agency with smn:topic:publish/);
  });

  it('a bare SNS topic name with no account known says the account is missing and how to give it', () => {
    const cli = sinkError(sinksFor({ ALERT_SINK: 'sns', ALERT_TOPIC: 'alerts', ALERT_REGION: 'us-east-1' }, 'cli'));
    expect(cli.message).toMatch(/SNS topic alerts is a bare name and the AWS account is missing/);
    expect(cli.message).toContain('--topic arn:aws:sns:us-east-1:<account id>:alerts');
    const lambda = sinkError(sinksFor({ ALERT_TOPIC: 'alerts', ALERT_REGION: 'us-east-1' }, 'aws'));
    expect(lambda.message).toMatch(/account is missing \(it comes from the function's ARN\)/);
  });

  it('a bare SNS topic name with no region says the region is missing', () => {
    const error = sinkError(sinksFor({ ALERT_SINK: 'sns', ALERT_TOPIC: 'alerts' }, 'cli', { account: '111122223333' }));
    expect(error.message).toMatch(/the region is missing: set --region or ALERT_REGION/);
    expect(error.message).toContain('arn:aws:sns:<region>:111122223333:alerts');
  });

  it('a bare SMN topic name says which of region and project id is missing', () => {
    const error = sinkError(sinksFor({ ALERT_SINK: 'smn', ALERT_TOPIC: 'alerts' }, 'cli', { smnAuth: { token: 't' } }));
    expect(error.message).toMatch(/the region \(--region, ALERT_REGION or RegionName\) and the project id/);
    expect(error.message).toContain('urn:smn:<region>:<project id>:alerts');
  });

  describe('through the CLI', () => {
    function io(env: Record<string, string>): CliIo & { stderr: string[] } {
      const stderr: string[] = [];
      return {
        env: { IP_WHITELIST: '203.0.113.0/24', ...env },
        out: () => undefined,
        err: (line) => stderr.push(line),
        progress: () => undefined,
        errIsTty: false,
        stderr,
      };
    }
    const file = join(EVENTS_DIR, 'huaweicloud', 'cts-login-outside-ip.json');

    it('--sink smn without credentials exits 2 naming SMN_AUTH_TOKEN', async () => {
      const cli = io({});
      expect(await main(['replay', 'login-whitelist', file, '--sink', 'smn', '--topic', TOPIC_URN], cli)).toBe(2);
      expect(cli.stderr.join('\n')).toMatch(/SMN_AUTH_TOKEN/);
    });

    it('--sink sns --topic alerts --region us-east-1 exits 2 saying the account is missing', async () => {
      const cli = io({});
      const argv = ['replay', 'login-whitelist', file, '--sink', 'sns', '--topic', 'alerts', '--region', 'us-east-1'];
      expect(await main(argv, cli)).toBe(2);
      expect(cli.stderr.join('\n')).toMatch(/account is missing/);
    });

    it('prints a whitelist entry that allows everything as a warning on stderr', async () => {
      const cli = io({ IP_WHITELIST: '203.0.113.0/24, 0.0.0.0/0' });
      await main(['replay', 'login-whitelist', file], cli);
      expect(cli.stderr).toContainEqual(
        expect.stringMatching(/^warning: IP_WHITELIST: entry 0\.0\.0\.0\/0 allows every IPv4/),
      );
    });
  });
});

describe('what a retry can fix', () => {
  const sdkError = (name: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${name} happened`), { name, ...extra });

  it.each([
    ['a URIError from the form encoder (lone surrogate)', Object.assign(new URIError('URI malformed')), false],
    ['a TypeError while building the request', new TypeError('x is not a function'), false],
    ['missing AWS credentials', sdkError('CredentialsProviderError'), false],
    [
      'a 200 the SDK cannot read (not SNS)',
      sdkError('Error', { $metadata: { httpStatusCode: 200 }, $responseBodyText: '{"ok":true}' }),
      false,
    ],
    ['AccessDenied', sdkError('AuthorizationErrorException', { $metadata: { httpStatusCode: 403 } }), false],
    ['a missing topic', sdkError('NotFoundException', { $metadata: { httpStatusCode: 404 } }), false],
    ['throttling', sdkError('Throttling', { $metadata: { httpStatusCode: 400 } }), true],
    ['an internal error', sdkError('InternalErrorException', { $metadata: { httpStatusCode: 500 } }), true],
    ['a reset connection', sdkError('ECONNRESET'), true],
  ])('%s: retryable %s', (_name, error, retryable) => {
    const failure = classifySnsFailure(error);
    expect(failure.retryable).toBe(retryable);
    expect(failure.detail).not.toMatch(/\n/);
  });

  it('an encode error inside the SDK is a SinkError that is not retryable', async () => {
    const client = {
      send: async () => Promise.reject(new URIError('URI malformed')),
      config: {},
    } as unknown as SNSClient;
    const error = await createSnsSink({ client, topicArn: 'arn:aws:sns:us-east-1:111122223333:a' })
      .publish(alert())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SinkError', retryable: false });
    expect((error as Error).message).toMatch(/could not be built \(URIError: URI malformed\)/);
  });

  it('missing AWS credentials are a SinkError that is not retryable and says what to set', async () => {
    const client = new SNSClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      },
    });
    try {
      const error = await createSnsSink({ client, topicArn: 'arn:aws:sns:us-east-1:111122223333:a' })
        .publish(alert())
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'SinkError', retryable: false });
      expect((error as Error).message).toMatch(/no AWS credentials .*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    } finally {
      client.destroy();
    }
  });
});

describe('SMN error bodies are redacted before they are cut', () => {
  const TOKEN = 'MIIT-secret-token-value-0123456789';

  it.each([150, 180, 190, 195, 199, 200, 201, 210])(
    'a token starting at character %i of a plain-text body never shows, not even its first characters',
    async (offset) => {
      const body = `${'x'.repeat(offset)}${TOKEN} and more text after it`;
      const server = await listenOnLoopback(async (req: IncomingMessage, res: ServerResponse) => {
        for await (const _chunk of req);
        res.writeHead(403, { 'content-type': 'text/plain' }).end(body);
      }, new Set());
      try {
        const sink = createSmnSink({
          endpoint: server.url,
          projectId: PROJECT,
          topicUrn: TOPIC_URN,
          auth: { token: TOKEN },
        });
        const error = await sink.publish(alert()).catch((e: unknown) => e);
        expect(error).toMatchObject({ name: 'SinkError', retryable: false });
        expect((error as Error).message).not.toContain(TOKEN.slice(0, 6));
      } finally {
        await server.close();
      }
    },
  );
});

describe('publishAlerts and sinks that do not classify their failures', () => {
  const silent = { info: () => undefined, error: () => undefined } as unknown as Parameters<typeof publishAlerts>[2];
  const failing = (error: unknown) => ({ name: 'custom', publish: async () => Promise.reject(error) });

  it('an encoding error (URIError) fails the publish without asking for a retry', async () => {
    const error = await publishAlerts([alert()], [failing(new URIError('URI malformed'))], silent).catch((e) => e);
    expect(error).toMatchObject({ name: 'SinkError', retryable: false });
  });

  it('any other unclassified failure is retried: a lost alert is worse than a duplicate', async () => {
    const error = await publishAlerts([alert()], [failing(new Error('boom'))], silent).catch((e) => e);
    expect(error).toMatchObject({ name: 'SinkError', retryable: true });
  });
});
