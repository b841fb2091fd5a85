/**
 * Thresholds and suppressions through one invocation path (invokeDetector, as both handlers run it):
 * the brute-force rule `login-failed` alerts once, on the 5th failed login, per source and per
 * principal, on both clouds; suppressions mute and count, an expired one stops applying and is
 * reported at cold start; a deployed function without STATE_STORE says so once.
 */
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import { createMemoryStage } from '../shared/memory/create-memory-stage';
import { loadMemoryConfig } from '../shared/memory/memory-config';
import { ConfigProblems } from '../shared/platform/env-config';
import { invokeDetector } from '../shared/platform/invoke';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { createLogger } from '../shared/platform/logger';
import { captureLog } from './support/capture-log';
import { fixture } from './support/fixtures';
import { memorySink } from './support/memory-sink';

const log = createLogger({ level: 'silent' });

function stage(env: Record<string, string>) {
  const problems = new ConfigProblems();
  const config = loadMemoryConfig(env, problems);
  problems.throwIfAny('test');
  return createMemoryStage(config);
}

const FAILED = {
  cloudtrail: (i: number) => ({
    ...(fixture('aws/cloudtrail-console-login-failed-hidden-user.json') as object),
    eventID: `ct-failed-${i}`,
  }),
  cts: (i: number) => ({
    cts: { ...(fixture('huaweicloud/cts-login-failed.json') as object), trace_id: `cts-failed-${i}` },
  }),
};

describe.each(Object.entries(FAILED))('login-failed=5/10m on %s', (_source, failedLogin) => {
  it('one alert per source and one per principal, on the 5th failed login, none before or after', async () => {
    const env = { IP_WHITELIST: '203.0.113.0/24', THRESHOLDS: 'login-failed=5/10m' };
    const config = loginWhitelist.loadConfig(env);
    const memory = stage(env);
    const sink = memorySink();
    const sent: number[] = [];
    const t0 = Date.parse('2026-11-24T10:00:00Z');
    for (let i = 1; i <= 7; i++) {
      const before = sink.alerts.length;
      await invokeDetector(loginWhitelist, config, failedLogin(i), {
        log,
        sinks: () => [sink],
        memory,
        now: () => new Date(t0 + i * 10_000),
      });
      sent.push(sink.alerts.filter((alert) => alert.rule === 'login-failed').length - before);
    }
    expect(sent).toEqual([0, 0, 0, 0, 2, 0, 0]);
    const [bySource, byPrincipal] = sink.alerts.filter((alert) => alert.rule === 'login-failed');
    expect(bySource.subject).toMatch(/^trailguard: 5 failed logins from 198\.51\.100\.\d+$/);
    expect(byPrincipal.subject).toMatch(/^trailguard: 5 failed logins for /);
    expect(bySource.count).toBe(5);
    expect(bySource.eventIds).toHaveLength(5);
    expect(bySource.message).toMatch(
      /^Threshold: 5 events within 10m since 2026-11-24T10:00:10Z \(login-failed=5\/10m\)$/m,
    );
    expect(bySource.message).toMatch(/^Events: 5 \(first ids: /m);
  });

  it('without a threshold for it, the rule does not run', async () => {
    const config = loginWhitelist.loadConfig({ IP_WHITELIST: '203.0.113.0/24' });
    const sink = memorySink();
    await invokeDetector(loginWhitelist, config, failedLogin(1), { log, sinks: () => [sink], memory: stage({}) });
    expect(sink.alerts.filter((alert) => alert.rule === 'login-failed')).toEqual([]);
  });
});

describe('suppressions in an invocation', () => {
  const refusal = fixture('aws/envelope-eventbridge-api-call-access-denied.json');
  const entry = (expires: string) =>
    JSON.stringify([{ pattern: '{ $.userIdentity.arn = "*ci-deployer*" }', reason: 'CI probes permissions', expires }]);

  it('a suppression in force mutes the finding and counts it in the result', async () => {
    const sink = memorySink();
    const result = await invokeDetector(unauthorizedApi, unauthorizedApi.loadConfig({ METRIC_MODE: 'off' }), refusal, {
      log,
      sinks: () => [sink],
      memory: stage({ SUPPRESS: entry('2099-01-01') }),
    });
    expect(result).toMatchObject({ alerts: 0, suppressed: 1 });
    expect(sink.alerts).toEqual([]);
  });

  it('a suppression whose expiry date is past no longer applies', async () => {
    const sink = memorySink();
    const result = await invokeDetector(unauthorizedApi, unauthorizedApi.loadConfig({ METRIC_MODE: 'off' }), refusal, {
      log,
      sinks: () => [sink],
      memory: stage({ SUPPRESS: entry('2020-01-01') }),
    });
    expect(result).toMatchObject({ alerts: 1, suppressed: 0 });
    expect(sink.alerts).toHaveLength(1);
  });

  it('at cold start: an expired suppression is a warning, and no STATE_STORE is said once', () => {
    const captured = captureLog();
    createLambdaHandler(
      unauthorizedApi,
      {
        ALERT_TOPIC: 'arn:aws:sns:us-east-1:000000000000:t',
        AWS_REGION: 'us-east-1',
        SUPPRESS: entry('2020-01-01'),
      },
      { logDestination: captured.destination },
    );
    expect(captured.find('suppression expired: it no longer applies')).toEqual([
      expect.objectContaining({ suppression: 1, expires: '2020-01-01', reason: 'CI probes permissions' }),
    ]);
    expect(
      captured.find('STATE_STORE not set: alerts are remembered across warm invocations of this instance only'),
    ).toHaveLength(1);
  });

  it('a bad suppression pattern stops the function at cold start, with its column', () => {
    expect(() =>
      createLambdaHandler(unauthorizedApi, {
        ALERT_TOPIC: 'arn:aws:sns:us-east-1:000000000000:t',
        SUPPRESS: '[{"pattern": "{ $.eventName = ", "reason": "x"}]',
        DEDUP_WINDOW: 'soon',
      }),
    ).toThrow(/DEDUP_WINDOW: "soon" is not a duration[\s\S]*SUPPRESS entry #1: invalid filter pattern at column 17/);
  });
});

describe('the EventBridge → SQS → Lambda batching path', () => {
  it('an SQS batch of EventBridge events is processed and answered with an empty partial batch response', async () => {
    const refusal = fixture('aws/envelope-eventbridge-api-call-access-denied.json');
    const handler = createLambdaHandler(unauthorizedApi, {
      ALERT_TOPIC: 'arn:aws:sns:us-east-1:000000000000:t',
      AWS_REGION: 'us-east-1',
      METRIC_MODE: 'off',
      LOG_LEVEL: 'silent',
      // Suppressed, so nothing is published: the test is about the envelope and the answer.
      SUPPRESS: JSON.stringify([{ pattern: '{ $.eventSource = "s3.amazonaws.com" }', reason: 'test' }]),
    });
    const result = await handler({
      Records: [1, 2].map((i) => ({
        messageId: `m-${i}`,
        eventSource: 'aws:sqs',
        body: JSON.stringify({
          ...(refusal as object),
          detail: { ...(refusal as { detail: object }).detail, eventID: `b-${i}` },
        }),
      })),
    });
    expect(result).toMatchObject({ records: 2, suppressed: 2, batchItemFailures: [] });
  });
});
