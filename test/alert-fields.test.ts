/**
 * Alert text that reads the same across clouds and functions: the classic first line, the provider's
 * raw source address beside the canonical one, the region, the SNS MessageId behind a synthetic id;
 * and the detector fixes behind them (CTS refusal wording, address lists, whitelist configuration).
 */
import { configCompliance, loadConfigComplianceConfig } from '../functions/config-compliance/config-compliance';
import {
  detectLoginOutsideWhitelist,
  describeLoginAlert,
  loadLoginWhitelistConfig,
  loginWhitelist,
  RULE_NON_IP_SOURCE,
  RULE_OUTSIDE_WHITELIST,
} from '../functions/login-whitelist/login-whitelist';
import {
  isRefusedCtsCall,
  loadUnauthorizedApiConfig,
  unauthorizedApi,
} from '../functions/unauthorized-api/unauthorized-api';
import { describeSourceAddress, describeWhere } from '../shared/alert/alert-fields';
import type { Detector, FindingGroup } from '../shared/detect/detector';
import { ConfigError } from '../shared/errors';
import { normalizeCloudTrail, normalizeCts } from '../shared/normalize';
import type { TraceEvent } from '../shared/normalize/trace-event';
import { DetectionRun } from '../shared/pipeline';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { fixture } from './support/fixtures';
import { thrown } from './support/thrown';
import { traceEvent } from './support/trace-events';

const WHITELIST = { IP_WHITELIST: '203.0.113.0/24' };

function groupOf(event: TraceEvent, rule = RULE_OUTSIDE_WHITELIST): FindingGroup {
  return { rule, severity: 'high', groupKey: 'k', first: event, eventIds: [event.id], count: 1 };
}

async function alertsOf<C>(detector: Detector<C>, env: Record<string, string>, input: unknown) {
  const run = new DetectionRun(detector, detector.loadConfig(env));
  await run.ingest(input, 'event');
  return run.alerts();
}

function ctsTrace(overrides: Record<string, unknown>): Record<string, unknown> {
  const base = fixture('huaweicloud/cts-api-call-forbidden.json') as Record<string, unknown>;
  const trace: Record<string, unknown> = { ...base, ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete trace[key];
  return trace;
}

describe('the classic first line is the same on every cloud', () => {
  it.each([
    ['a CloudTrail console sign-in', 'aws/envelope-eventbridge-console-signin.json', 'login', 'ConsoleLogin'],
    ['a CloudTrail sign-in in a log file', 'aws/cloudtrail-console-login-ipv6.json', 'login', 'ConsoleLogin'],
    ['a CTS login', 'huaweicloud/cts-login-outside-ip.json', 'login', 'login'],
    ['a CTS login trigger event', 'huaweicloud/envelope-functiongraph-cts-trigger-login.json', 'login', 'login'],
    ['a CTS logout trigger event', 'huaweicloud/envelope-functiongraph-cts-trigger-logout.json', 'logout', 'logout'],
  ])('%s (%s) says Action:%s, Provider action: %s', async (_name, file, action, provider) => {
    const [alert] = await alertsOf(loginWhitelist, { IP_WHITELIST: '192.0.2.0/24' }, fixture(file));
    expect(alert.message.split('\n')[0]).toMatch(new RegExp(`^Illegal operation\\[IP:[^,]+, Action:${action}\\]$`));
    expect(alert.message.split('\n')).toContain(`Provider action: ${provider}`);
  });

  it('a failed login says Action:loginFailed on both clouds', async () => {
    const env = { ...WHITELIST, ALERT_ON_FAILED_LOGIN: 'true' };
    for (const file of ['aws/cloudtrail-console-login-failed-hidden-user.json', 'huaweicloud/cts-login-failed.json']) {
      const [alert] = await alertsOf(loginWhitelist, env, fixture(file));
      expect(alert.message.split('\n')[0]).toMatch(/, Action:loginFailed\]$/);
    }
  });
});

describe("the provider's raw address beside the canonical one, in every function", () => {
  const leadingZero = { sourceAddress: '255.18.064.253', sourceIp: '255.18.64.253' };

  it('the shared helper shows both forms, a list, and non-IP sources', () => {
    expect(describeSourceAddress(traceEvent(leadingZero))).toBe(
      '255.18.64.253 (written by the provider as 255.18.064.253)',
    );
    expect(describeSourceAddress(traceEvent({ sourceAddress: '8.8.8.8, 10.0.0.1', sourceIp: '8.8.8.8' }))).toBe(
      '8.8.8.8 (first address of the list written by the provider: 8.8.8.8, 10.0.0.1)',
    );
    expect(
      describeSourceAddress(
        traceEvent({ sourceAddress: 'AWS Internal', sourceIp: undefined, sourceAddressKind: 'internal' }),
      ),
    ).toBe('AWS Internal (internal: not an IP address)');
    expect(
      describeSourceAddress(traceEvent({ sourceAddress: '', sourceIp: undefined, sourceAddressKind: 'empty' })),
    ).toBeUndefined();
  });

  it('login-whitelist', () => {
    const { message } = describeLoginAlert(groupOf(traceEvent(leadingZero)));
    expect(message).toContain('Source: 255.18.64.253 (written by the provider as 255.18.064.253)');
  });

  it('unauthorized-api', async () => {
    const record = { ...(fixture('aws/cloudtrail-access-denied.json') as object), sourceIPAddress: '255.18.064.253' };
    const [alert] = await alertsOf(unauthorizedApi, {}, record);
    expect(alert.message).toContain('Source: 255.18.64.253 (written by the provider as 255.18.064.253)');
  });

  it('unauthorized-api on CTS', async () => {
    const [alert] = await alertsOf(unauthorizedApi, {}, ctsTrace({ source_ip: '010.001.002.003' }));
    expect(alert.message).toContain('Source: 10.1.2.3 (written by the provider as 010.001.002.003)');
  });

  it('config-compliance, where the event has a source address (a PutEvaluations call)', async () => {
    const record = fixture('aws/config-cloudtrail-put-evaluations.json') as Record<string, unknown>;
    const alerts = await alertsOf(
      configCompliance,
      { ALERT_ON_PUT_EVALUATIONS: 'true' },
      { ...record, sourceIPAddress: '255.18.064.253' },
    );
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts)
      expect(alert.message).toContain('Source address: 255.18.64.253 (written by the provider as 255.18.064.253)');
  });

  it('config-compliance without a source address shows none', async () => {
    const [alert] = await alertsOf(configCompliance, {}, fixture('aws/config-compliance-change-noncompliant.json'));
    expect(alert.message).not.toContain('Source address:');
  });
});

describe('an SNS-wrapped AWS Config notification leads back to its SNS message', () => {
  it('the alert names the MessageId beside the synthetic event id', async () => {
    const [alert] = await alertsOf(configCompliance, {}, fixture('aws/envelope-config-compliance-change-sns.json'));
    expect(alert.message).toMatch(/^Event id: synthetic:[0-9a-f]{64}$/m);
    expect(alert.message).toMatch(/^SNS MessageId: 4d8a1e6c-9f27-5b3d-a0c5-e1b7f9d2c468$/m);
    expect(alert.event.deliveryId).toBe('4d8a1e6c-9f27-5b3d-a0c5-e1b7f9d2c468');
  });

  it('the same change by EventBridge has the same event id and no MessageId', async () => {
    const [bySns] = await alertsOf(configCompliance, {}, fixture('aws/envelope-config-compliance-change-sns.json'));
    const body = JSON.parse((fixture('aws/envelope-config-compliance-change-sns.json') as { Message: string }).Message);
    const [bare] = await alertsOf(configCompliance, {}, body);
    expect(bare.eventIds).toEqual(bySns.eventIds);
    expect(bare.message).not.toContain('SNS MessageId');
  });

  it('a re-delivered SNS message (same MessageId) is one event, alerted once', async () => {
    const message = fixture('aws/envelope-config-compliance-change-sns.json');
    const run = new DetectionRun(configCompliance, loadConfigComplianceConfig({}));
    await run.ingest({ Records: [{ Sns: message }, { Sns: message }] }, 'event');
    expect(run.alerts()).toHaveLength(1);
    expect(run.stats.duplicates).toBe(1);
  });
});

describe('the region: the trace names it, else the configured one', () => {
  const noRegion = traceEvent({ cloud: 'huaweicloud', source: 'cts', region: undefined, account: 'd1' });

  it.each([
    [{}, 'huaweicloud / unknown region / account d1'],
    [{ RegionName: 'eu-de' }, "huaweicloud / eu-de (the function's region; the event names none) / account d1"],
    [
      { ALERT_REGION: 'eu-nl', RegionName: 'eu-de' },
      "huaweicloud / eu-nl (the function's region; the event names none) / account d1",
    ],
  ])('with %j', (env, where) => {
    const config = loadLoginWhitelistConfig({ ...WHITELIST, ...env });
    expect(describeWhere(noRegion, config.region)).toBe(where);
    expect(describeLoginAlert(groupOf(noRegion), config).message).toContain(`Where: ${where}`);
  });

  it("the trace's own region wins", () => {
    expect(describeWhere(traceEvent({ region: 'ap-southeast-1' }), 'eu-de')).toContain(' / ap-southeast-1 / ');
  });

  it('every function uses it: a CTS login and a refused CTS call without region, RegionName=eu-de', async () => {
    const env = { ...WHITELIST, RegionName: 'eu-de' };
    const login = { ...(fixture('huaweicloud/cts-login-outside-ip.json') as object), region: undefined };
    const [loginAlert] = await alertsOf(loginWhitelist, env, JSON.parse(JSON.stringify(login)));
    expect(loginAlert.message).toContain("/ eu-de (the function's region; the event names none) /");
    const [refusal] = await alertsOf(unauthorizedApi, env, ctsTrace({ region: undefined }));
    expect(refusal.message).toContain("/ eu-de (the function's region; the event names none) /");
    expect(loadConfigComplianceConfig({ RegionName: 'eu-de' }).region).toBe('eu-de');
  });
});

describe('CTS refusals are recognised by their wording, whatever the shape', () => {
  const noCode = { code: undefined, trace_rating: undefined };
  it.each([
    [
      "IAM's policy refusal in the response, no code",
      {
        ...noCode,
        response:
          '{"error_msg":"Policy doesn\'t allow iam:credentials:create to be performed.","error_code":"IAM.0003"}',
      },
    ],
    [
      'the policy refusal without an error code',
      { ...noCode, response: '{"error_msg":"Policy doesn\'t allow ecs:servers:list to be performed."}' },
    ],
    [
      'the policy refusal in the nested error form',
      { ...noCode, response: { error: { message: "Policy doesn't allow vpc:ports:delete to be performed." } } },
    ],
    [
      'the policy refusal in the trace message',
      { ...noCode, response: undefined, message: "Policy doesn't allow obs:bucket:DeleteBucket to be performed." },
    ],
    [
      'the policy refusal with a rating warning',
      { code: undefined, response: undefined, message: 'Policy does not allow kms:cmk:create' },
    ],
    ['SMN.0001', { ...noCode, response: '{"code":"SMN.0001","message":"No permission to request resources"}' }],
    ['a Chinese refusal', { ...noCode, response: '{"error_code":"ECS.0101","error_msg":"没有操作权限"}' }],
    [
      '"do not have the required permission"',
      { ...noCode, response: '{"error_code":"X.1","error_msg":"You do not have the required permission"}' },
    ],
    ['HTTP 403 (as before)', { response: undefined }],
  ])('%s', (_name, overrides) => {
    const event = normalizeCts(ctsTrace(overrides));
    expect(isRefusedCtsCall(event)).toBe(true);
  });

  it.each([
    ['a failure for another reason', { ...noCode, response: '{"code":"VPC.0514","message":"Update port fail."}' }],
    [
      'a success whose message mentions a refusal',
      { code: 200, trace_rating: 'normal', response: undefined, message: "Policy doesn't allow x" },
    ],
  ])('not: %s', (_name, overrides) => {
    expect(isRefusedCtsCall(normalizeCts(ctsTrace(overrides)))).toBe(false);
  });

  it('unauthorized-api alerts on the reworded refusal', async () => {
    const trace = ctsTrace({
      ...noCode,
      response: '{"error_msg":"Policy doesn\'t allow iam:users:create to be performed."}',
    });
    const alerts = await alertsOf(unauthorizedApi, {}, trace);
    expect(alerts.map((alert) => alert.rule)).toEqual(['cts-unauthorized-api-call']);
    expect(loadUnauthorizedApiConfig({}).ctsRule).toBe(true);
  });
});

describe('NON_IP_SOURCE and address lists', () => {
  const login = (address: string) =>
    normalizeCloudTrail({
      ...(fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json') as object),
      sourceIPAddress: address,
    });

  it.each([
    ['8.8.8.8, 10.0.0.1', 'ignore', [RULE_OUTSIDE_WHITELIST]],
    ['8.8.8.8, 10.0.0.1', 'alert', [RULE_OUTSIDE_WHITELIST]],
    ['203.0.113.9, 8.8.8.8', 'ignore', []],
    ['203.0.113.9,8.8.8.8', 'alert', []],
    ['unknown, 8.8.8.8', 'alert', [RULE_NON_IP_SOURCE]],
    ['unknown, 8.8.8.8', 'ignore', []],
  ])('%j with NON_IP_SOURCE=%s: %j', (address, policy, rules) => {
    const config = loadLoginWhitelistConfig({ ...WHITELIST, NON_IP_SOURCE: policy });
    expect(detectLoginOutsideWhitelist(login(address), config).map((finding) => finding.rule)).toEqual(rules);
  });
});

describe('login-whitelist configuration', () => {
  function problems(env: Record<string, string | undefined>): string[] {
    const error = thrown(() => loadLoginWhitelistConfig(env));
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }

  it.each([
    [{ IP_WHITELIST: '' }, /^IP_WHITELIST is set but empty/],
    [{ IP_WHITELIST: '   ' }, /^IP_WHITELIST is set but empty/],
    [{ IP: '' }, /^IP is set but empty/],
    [{}, /^IP_WHITELIST is not set/],
  ])('%j: %s', (env, problem) => {
    expect(problems(env)).toEqual([expect.stringMatching(problem)]);
  });

  it('IP and IP_WHITELIST set to different lists is an error naming both', () => {
    expect(problems({ IP_WHITELIST: '203.0.113.0/24', IP: '198.51.100.0/24' })).toEqual([
      expect.stringMatching(/^IP_WHITELIST="203.0.113.0\/24" and IP="198.51.100.0\/24" are both set and differ/),
    ]);
    expect(problems({ IP_WHITELIST: '', IP: '198.51.100.0/24' })).toEqual([
      expect.stringMatching(/both set and differ/),
    ]);
  });

  it('IP and IP_WHITELIST set to the same list (spacing aside) is fine', () => {
    const config = loadLoginWhitelistConfig({
      IP_WHITELIST: '203.0.113.0/24, 10.0.0.1',
      IP: '203.0.113.0/24 10.0.0.1',
    });
    expect(config.whitelist.entries).toEqual(['203.0.113.0/24', '10.0.0.1']);
  });

  it.each([
    ['0.0.0.0/0', 'IPv4'],
    ['::/0', 'IPv6'],
    ['::ffff:0.0.0.0/96', 'IPv4'],
  ])('an entry %s that allows everything is a warning, not an error', (entry, family) => {
    const config = loadLoginWhitelistConfig({ IP_WHITELIST: `203.0.113.0/24, ${entry}` });
    expect(config.warnings).toEqual([expect.stringMatching(new RegExp(`allows every ${family} address`))]);
  });

  it('a normal whitelist has no warnings', () => {
    expect(loadLoginWhitelistConfig(WHITELIST).warnings).toEqual([]);
  });

  it('the Lambda handler logs the warning once, at cold start', async () => {
    const lines: string[] = [];
    const handler = createLambdaHandler(
      loginWhitelist,
      { IP_WHITELIST: '0.0.0.0/0', ALERT_TOPIC: 'arn:aws:sns:us-east-1:111122223333:a', LOG_LEVEL: 'warn' },
      { logDestination: { write: (line: string) => void lines.push(line) } },
    );
    await handler({ Records: [] }, {});
    await handler({ Records: [] }, {});
    const warnings = lines.filter((line) => line.includes('configuration warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('0.0.0.0/0 allows every IPv4 address');
  });
});

describe('no alert text ever throws on a lone surrogate', () => {
  it('a Config rule name with one still gives an alert (the console link used to throw URIError)', async () => {
    const record = fixture('aws/config-compliance-change-noncompliant.json') as { detail: Record<string, unknown> };
    const poisoned = { ...record, detail: { ...record.detail, configRuleName: 'rule-\ud800' } };
    const [alert] = await alertsOf(configCompliance, {}, poisoned);
    expect(alert.message).toContain('rule-\\ud800');
    expect(() => encodeURIComponent(alert.message)).not.toThrow();
  });
});
