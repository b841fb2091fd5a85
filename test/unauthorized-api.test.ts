import { ConfigError } from '../shared/errors';
import { normalizeRecord } from '../shared/normalize';
import { DetectionRun } from '../shared/pipeline';
import { BUILT_IN_RULES, RULE_SETS } from '../functions/unauthorized-api/rules';
import { compileFilterPattern } from '../shared/detect/filter-pattern';
import {
  CTS_RULE,
  detectUnauthorizedApi,
  loadUnauthorizedApiConfig,
  unauthorizedApi,
} from '../functions/unauthorized-api/unauthorized-api';
import { fixture } from './support/fixtures';

type Json = Record<string, unknown>;

function cloudTrail(path: string, overrides: Json = {}): Json {
  return { ...(fixture(`aws/${path}`) as Json), ...overrides };
}

function rulesFiring(record: Json, ruleSets = 'all'): string[] {
  const config = loadUnauthorizedApiConfig({ RULE_SETS: ruleSets });
  return detectUnauthorizedApi(normalizeRecord('cloudtrail', record), config).map((finding) => finding.rule);
}

/** A base API call (successful StopInstances by an assumed role) to build cases from. */
const call = (overrides: Json) => cloudTrail('cloudtrail-api-call-success.json', overrides);
const iamUserLogin = (overrides: Json = {}) => cloudTrail('cloudtrail-console-login-iam-user-no-mfa.json', overrides);

/** Every built-in rule: a record that fires it and a near miss that does not (Panther style). */
const RULE_CASES: Record<string, { fires: Json; quiet: Json }> = {
  'CloudWatch.1': {
    fires: cloudTrail('cloudtrail-console-login-root-mfa.json'),
    quiet: cloudTrail('cloudtrail-console-login-root-mfa.json', { eventType: 'AwsServiceEvent' }),
  },
  'CloudWatch.2': { fires: cloudTrail('cloudtrail-access-denied.json'), quiet: call({}) },
  'CIS.4.1': {
    fires: cloudTrail('cloudtrail-ec2-unauthorized-operation.json'),
    quiet: cloudTrail('cloudtrail-access-denied.json', { eventName: 'HeadBucket' }),
  },
  'CloudWatch.3': { fires: iamUserLogin(), quiet: iamUserLogin({ additionalEventData: { MFAUsed: 'Yes' } }) },
  'CIS.4.2': { fires: iamUserLogin(), quiet: iamUserLogin({ additionalEventData: { MFAUsed: 'Yes' } }) },
  'CloudWatch.4': {
    fires: call({ eventSource: 'iam.amazonaws.com', eventName: 'AttachRolePolicy' }),
    quiet: call({ eventSource: 'iam.amazonaws.com', eventName: 'GetRolePolicy' }),
  },
  'CloudWatch.5': {
    fires: call({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' }),
    quiet: call({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'LookupEvents' }),
  },
  'CloudWatch.6': {
    fires: cloudTrail('cloudtrail-console-login-failed-hidden-user.json', { errorMessage: 'Failed authentication' }),
    quiet: iamUserLogin(),
  },
  'CloudWatch.7': {
    fires: call({ eventSource: 'kms.amazonaws.com', eventName: 'ScheduleKeyDeletion' }),
    quiet: call({ eventSource: 'kms.amazonaws.com', eventName: 'Decrypt' }),
  },
  'CloudWatch.8': {
    fires: call({ eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy' }),
    quiet: call({ eventSource: 'sqs.amazonaws.com', eventName: 'PutBucketPolicy' }),
  },
  'CloudWatch.9': {
    fires: call({ eventSource: 'config.amazonaws.com', eventName: 'StopConfigurationRecorder' }),
    quiet: call({ eventSource: 'config.amazonaws.com', eventName: 'DescribeConfigRules' }),
  },
  'CloudWatch.10': {
    fires: call({ eventName: 'AuthorizeSecurityGroupIngress' }),
    quiet: call({ eventName: 'DescribeSecurityGroups' }),
  },
  'CloudWatch.11': {
    fires: call({ eventName: 'CreateNetworkAclEntry' }),
    quiet: call({ eventName: 'DescribeNetworkAcls' }),
  },
  'CloudWatch.12': {
    fires: call({ eventName: 'AttachInternetGateway' }),
    quiet: call({ eventName: 'DescribeInternetGateways' }),
  },
  'CloudWatch.13': { fires: call({ eventName: 'ReplaceRoute' }), quiet: call({ eventName: 'DescribeRouteTables' }) },
  'CloudWatch.14': {
    fires: call({ eventName: 'CreateVpcPeeringConnection' }),
    quiet: call({ eventName: 'DescribeVpcs' }),
  },
  'CIS.4.15': {
    fires: call({ eventSource: 'organizations.amazonaws.com', eventName: 'LeaveOrganization' }),
    quiet: call({ eventSource: 'ec2.amazonaws.com', eventName: 'LeaveOrganization' }),
  },
};

describe('unauthorized-api built-in rules', () => {
  it('has a firing and a quiet case for every built-in rule', () => {
    expect(Object.keys(RULE_CASES).sort()).toEqual(BUILT_IN_RULES.map((rule) => rule.id).sort());
  });

  it('compiles every built-in pattern (loadConfig defers them to the first match, so a broken one must fail here)', () => {
    for (const rule of BUILT_IN_RULES) expect(compileFilterPattern(rule.pattern).source).toBe(rule.pattern);
    const config = loadUnauthorizedApiConfig({ RULE_SETS: 'all' });
    expect(config.rules.map((rule) => [rule.pattern.source, rule.pattern.kind])).toEqual(
      config.rules.map((rule) => [rule.pattern.source, compileFilterPattern(rule.pattern.source).kind]),
    );
  });

  it.each(BUILT_IN_RULES.map((rule) => [rule.id, rule.name] as const))(
    '%s (%s) fires on its case and not on the near miss',
    (id, name) => {
      const { fires, quiet } = RULE_CASES[id];
      expect(rulesFiring(fires, id)).toEqual([name]);
      expect(rulesFiring(quiet, id)).toEqual([]);
    },
  );

  it('by default only refused calls fire: *UnauthorizedOperation and AccessDenied*', () => {
    const config = loadUnauthorizedApiConfig({});
    const fire = (record: Json) =>
      detectUnauthorizedApi(normalizeRecord('cloudtrail', record), config).map((finding) => finding.rule);
    expect(fire(cloudTrail('cloudtrail-access-denied.json'))).toEqual(['unauthorized-api-calls']);
    expect(fire(cloudTrail('cloudtrail-ec2-unauthorized-operation.json'))).toEqual(['unauthorized-api-calls']);
    expect(fire(call({ errorCode: 'AccessDeniedException' }))).toEqual(['unauthorized-api-calls']);
    expect(fire(call({ errorCode: 'NoSuchBucket' }))).toEqual([]);
    expect(fire(cloudTrail('cloudtrail-console-login-root-mfa.json'))).toEqual([]);
  });

  it('"MFAUsed": "YES" still fires the CIS sign-in-without-MFA rules, as AWS does (the match is case-sensitive)', () => {
    expect(rulesFiring(iamUserLogin({ additionalEventData: { MFAUsed: 'YES' } }), 'CloudWatch.3')).toEqual([
      'console-sign-in-without-mfa',
    ]);
  });

  it('a sign-in with no MFAUsed field does not fire them, as AWS does (!= never matches a missing field)', () => {
    expect(rulesFiring(iamUserLogin({ additionalEventData: {} }), 'CloudWatch.3')).toEqual([]);
    expect(rulesFiring(iamUserLogin({ additionalEventData: undefined }), 'CIS.4.2')).toEqual([]);
  });

  it('the CIS v1.4 text ignores refusals of delivery.logs.amazonaws.com on the AccessDenied branch only', () => {
    const delivery = cloudTrail('cloudtrail-access-denied.json', { sourceIPAddress: 'delivery.logs.amazonaws.com' });
    expect(rulesFiring(delivery, 'unauthorized-v1.4')).toEqual([]);
    expect(rulesFiring(delivery, 'unauthorized')).toEqual(['unauthorized-api-calls']);
    const ec2 = cloudTrail('cloudtrail-ec2-unauthorized-operation.json', {
      sourceIPAddress: 'delivery.logs.amazonaws.com',
    });
    expect(rulesFiring(ec2, 'unauthorized-v1.4')).toEqual(['unauthorized-api-calls-v1-4']);
  });

  it('every named set names only existing rules', () => {
    const ids = new Set(BUILT_IN_RULES.map((rule) => rule.id));
    for (const set of Object.values(RULE_SETS)) for (const id of set) expect(ids.has(id)).toBe(true);
  });
});

describe('unauthorized-api on Huawei CTS', () => {
  const config = loadUnauthorizedApiConfig({});
  const rules = (path: string, overrides: Json = {}) =>
    detectUnauthorizedApi(
      normalizeRecord('cts', { ...(fixture(`huaweicloud/${path}`) as Json), ...overrides }),
      config,
    ).map((finding) => finding.rule);

  it('a 403 trace fires the CTS rule', () => {
    expect(rules('cts-api-call-forbidden.json')).toEqual([CTS_RULE]);
  });

  it('a 401 given as a string fires too', () => {
    expect(rules('cts-api-call-forbidden.json', { code: '401' })).toEqual([CTS_RULE]);
  });

  it('a failed login is not an API refusal (login-whitelist covers it)', () => {
    expect(rules('cts-login-failed.json')).toEqual([]);
  });

  it('a successful call and a 404 do not fire', () => {
    expect(rules('cts-api-call-forbidden.json', { code: 200, trace_rating: 'normal', response: {} })).toEqual([]);
    expect(
      rules('cts-api-call-forbidden.json', { code: 404, response: { error_code: 'VPC.0002', error_msg: 'not found' } }),
    ).toEqual([]);
  });

  it('CTS_RULE=false turns it off', () => {
    const off = loadUnauthorizedApiConfig({ CTS_RULE: 'false' });
    expect(
      detectUnauthorizedApi(normalizeRecord('cts', fixture('huaweicloud/cts-api-call-forbidden.json')), off),
    ).toEqual([]);
  });
});

describe('unauthorized-api configuration', () => {
  it('adds custom rules from CUSTOM_RULES and FILTER_PATTERN with name and severity', () => {
    const config = loadUnauthorizedApiConfig({
      CUSTOM_RULES: JSON.stringify([
        {
          name: 'iam-deletes',
          pattern: '{ $.eventName = "Delete*" && $.eventSource = "iam.amazonaws.com" }',
          severity: 'critical',
        },
      ]),
      FILTER_PATTERN: '{ $.errorCode = "ThrottlingException" }',
      FILTER_RULE_NAME: 'throttled',
    });
    expect(config.rules.map((rule) => [rule.name, rule.severity])).toEqual([
      ['unauthorized-api-calls', 'high'],
      ['iam-deletes', 'critical'],
      ['throttled', 'medium'],
    ]);
    const deleteUser = call({ eventSource: 'iam.amazonaws.com', eventName: 'DeleteUser' });
    expect(
      detectUnauthorizedApi(normalizeRecord('cloudtrail', deleteUser), config).map((finding) => finding.rule),
    ).toEqual(['iam-deletes']);
  });

  it('rejects an invalid pattern at cold start with its column, as AWS does', () => {
    expect(() => loadUnauthorizedApiConfig({ FILTER_PATTERN: '{ $.errorCode IS NOT NULL }' })).toThrow(/column \d+/);
    expect(() => loadUnauthorizedApiConfig({ FILTER_PATTERN: '{ $.a == 1 }' })).toThrow(ConfigError);
  });

  it('lists every problem at once', () => {
    let message = '';
    try {
      loadUnauthorizedApiConfig({
        RULE_SETS: 'cis, nope',
        CUSTOM_RULES: '[{"name": "bad name!", "pattern": 3, "severity": "urgent"}]',
        METRIC_MODE: 'carrier',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const expected of ['nope', 'name', 'pattern', 'severity', 'METRIC_MODE']) expect(message).toContain(expected);
  });

  it('rejects CUSTOM_RULES that is not a JSON array', () => {
    expect(() => loadUnauthorizedApiConfig({ CUSTOM_RULES: '{"name": "x"}' })).toThrow(/JSON array/);
    expect(() => loadUnauthorizedApiConfig({ CUSTOM_RULES: '[{' })).toThrow(/not valid JSON/);
  });

  it('defaults the metric to AuthorizationFailureCount in CloudTrailMetrics, configurable', () => {
    expect(loadUnauthorizedApiConfig({}).metric).toEqual({
      mode: 'api',
      namespace: 'CloudTrailMetrics',
      name: 'AuthorizationFailureCount',
    });
    expect(
      loadUnauthorizedApiConfig({ METRIC_MODE: 'emf', METRIC_NAMESPACE: 'Security', METRIC_NAME: 'Refused' }).metric,
    ).toEqual({ mode: 'emf', namespace: 'Security', name: 'Refused' });
  });
});

describe('unauthorized-api alerts', () => {
  it('folds 5,000 refusals of one principal into one alert with a count and the first ids', async () => {
    const base = fixture('aws/cloudtrail-access-denied.json') as Json;
    const records = Array.from({ length: 5000 }, (_, i) => ({ ...base, eventID: `evt-${i}` }));
    const run = new DetectionRun(unauthorizedApi, loadUnauthorizedApiConfig({}));
    await run.ingest({ Records: records }, 'big.json');
    const alerts = run.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0].count).toBe(5000);
    expect(alerts[0].message).toContain('Events: 5000 (first ids: evt-0, evt-1, evt-2, evt-3, evt-4, and 4995 more)');
  });

  it('names the rule, principal, action, service, error, source, account, region, time and event id', async () => {
    const run = new DetectionRun(unauthorizedApi, loadUnauthorizedApiConfig({}));
    await run.ingest(fixture('aws/cloudtrail-ec2-unauthorized-operation.json'), 'x');
    const [alert] = run.alerts();
    const record = fixture('aws/cloudtrail-ec2-unauthorized-operation.json') as Json;
    expect(alert.message.split('\n')[0]).toMatch(/^Refused API call: \S+ on ec2\.amazonaws\.com by /);
    expect(alert.message).toContain(`Rule: unauthorized-api-calls`);
    expect(alert.message).toContain(`Error: ${String(record.errorCode)}`);
    expect(alert.message).toContain(`Action: ec2.amazonaws.com ${String(record.eventName)}`);
    expect(alert.message).toContain(`Source: ${String(record.sourceIPAddress)}`);
    expect(alert.message).toContain(`When: `);
    expect(alert.message).toContain(`Event id: ${String(record.eventID)}`);
    expect(alert.subject).toMatch(/^trailguard: refused /);
  });
});
