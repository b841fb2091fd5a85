import fc from 'fast-check';
import {
  configCompliance,
  consoleLink,
  describeComplianceAlert,
  detectComplianceChange,
  FINDING_RULES,
  loadConfigComplianceConfig as loadConfigWithDefaults,
  matchesGlob,
  type ConfigComplianceConfig,
} from '../functions/config-compliance/config-compliance';
import type { FindingGroup } from '../shared/detect/detector';

/** These cases cover PutEvaluations too, which is opt-in (ALERT_ON_PUT_EVALUATIONS defaults to false). */
const loadConfigComplianceConfig = (env: Record<string, string>) =>
  loadConfigWithDefaults({ ALERT_ON_PUT_EVALUATIONS: 'true', ...env });

test('PutEvaluations calls are ignored unless ALERT_ON_PUT_EVALUATIONS=true (no old state: every periodic run would re-alert)', () => {
  expect(loadConfigWithDefaults({}).putEvaluations).toBe(false);
});
import { ConfigError, InvalidEventError } from '../shared/errors';
import { unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import {
  normalizeAwsConfig,
  normalizeCloudEyeConfig,
  normalizeHuaweiConfig,
  normalizeRecord,
  toComplianceState,
  UNKNOWN_RULE,
} from '../shared/normalize';
import { DetectionRun } from '../shared/pipeline';
import type { Compliance, TraceEvent } from '../shared/normalize/trace-event';
import { validateTraceEvent } from '../shared/normalize/validate-trace-event';
import { fixture } from './support/fixtures';
import { traceEvent } from './support/trace-events';
import { thrown } from './support/thrown';

const defaults = loadConfigComplianceConfig({});

/** Every record a sample unwraps into, normalized and checked against the schema. */
function eventsOf(input: unknown): TraceEvent[] {
  return unwrapEnvelope(input, 'test').map((item) => {
    if (item.type !== 'record')
      throw new Error(`expected a record, got ${item.type}: ${'reason' in item ? item.reason : ''}`);
    const event = normalizeRecord(item.kind, item.record);
    validateTraceEvent(event);
    return event;
  });
}

function eventOf(path: string): TraceEvent {
  const events = eventsOf(fixture(path));
  expect(events).toHaveLength(1);
  return events[0];
}

function groupOf(event: TraceEvent, count = 1): FindingGroup {
  const [finding] = detectComplianceChange(event, everyState);
  return {
    rule: finding.rule,
    severity: finding.severity,
    groupKey: finding.groupKey,
    first: finding.event,
    eventIds: [finding.event.id],
    count,
  };
}

function messageOf(
  path: string,
  config: ConfigComplianceConfig = defaults,
): { subject: string; message: string; lines: string[] } {
  const [finding] = detectComplianceChange(eventOf(path), config);
  const text = describeComplianceAlert(
    {
      rule: finding.rule,
      severity: finding.severity,
      groupKey: finding.groupKey,
      first: finding.event,
      eventIds: [finding.event.id],
      count: 1,
    },
    config,
  );
  return { ...text, lines: text.message.split('\n') };
}

function complianceEvent(compliance: Partial<Compliance>, overrides: Partial<TraceEvent> = {}): TraceEvent {
  return traceEvent({
    id: 'cfg-0001',
    source: 'aws-config',
    service: 'config.amazonaws.com',
    action: 'ComplianceChangeNotification',
    category: 'compliance',
    actor: { type: 'AWSService', name: 'config.amazonaws.com' },
    sourceAddress: '',
    sourceAddressKind: 'empty',
    sourceIp: undefined,
    userAgent: undefined,
    compliance: {
      rule: 'restricted-ssh',
      resourceType: 'AWS::EC2::SecurityGroup',
      resourceId: 'sg-1',
      newState: 'NON_COMPLIANT',
      oldState: 'COMPLIANT',
      ...compliance,
    },
    ...overrides,
  });
}

const everyState = loadConfigComplianceConfig({
  NOTIFY_ON: 'COMPLIANT,NON_COMPLIANT,NOT_APPLICABLE,INSUFFICIENT_DATA',
});

describe('config-compliance normalizers', () => {
  const cases: Array<[string, string, Partial<TraceEvent>, Compliance]> = [
    [
      'an EventBridge change from COMPLIANT to NON_COMPLIANT',
      'aws/config-compliance-change-noncompliant.json',
      {
        id: '7e3b91c4-2d5a-4f08-b6e1-93ac5d7f2b10',
        cloud: 'aws',
        source: 'aws-config',
        account: '444455556666',
        region: 'eu-central-1',
        time: '2026-11-24T10:15:41.208Z',
      },
      {
        rule: 'restricted-ssh',
        resourceType: 'AWS::EC2::SecurityGroup',
        resourceId: 'sg-0c4f2a9d81e36b5a7',
        newState: 'NON_COMPLIANT',
        oldState: 'COMPLIANT',
      },
    ],
    [
      'a first evaluation has no old state',
      'aws/config-compliance-change-first-evaluation.json',
      { id: 'c51a0e7d-84f2-4b3c-9a6e-2d17f8b4c039', region: 'ap-southeast-2' },
      {
        rule: 'securityhub-rds-storage-encrypted-5c2e8a1f',
        resourceType: 'AWS::RDS::DBInstance',
        resourceId: 'db-7HQ2KX4MZP5TB3WNRA6VJYCDLE',
        newState: 'NON_COMPLIANT',
      },
    ],
    [
      'a re-evaluation that stayed COMPLIANT',
      'aws/config-compliance-change-unchanged.json',
      { region: 'us-west-2' },
      {
        rule: 'cloudtrail-enabled',
        resourceType: 'AWS::::Account',
        resourceId: '444455556666',
        newState: 'COMPLIANT',
        oldState: 'COMPLIANT',
      },
    ],
    [
      'a fixed resource, NON_COMPLIANT to COMPLIANT',
      'aws/config-compliance-change-fixed.json',
      { time: '2026-11-24T11:32:08.377Z' },
      {
        rule: 's3-bucket-versioning-enabled',
        resourceType: 'AWS::S3::Bucket',
        resourceId: 'tg-demo-billing-exports',
        newState: 'COMPLIANT',
        oldState: 'NON_COMPLIANT',
      },
    ],
    [
      'the SNS ComplianceChangeNotification of a Lambda SNS event, with its annotation',
      'aws/config-compliance-change-sns-lambda.json',
      { account: '444455556666', region: 'eu-central-1', time: '2026-11-24T09:14:27.690Z' },
      {
        rule: 'required-tags',
        resourceType: 'AWS::EC2::Instance',
        resourceId: 'i-0d72e5a1c94b38f06',
        newState: 'NON_COMPLIANT',
        oldState: 'COMPLIANT',
        annotation: 'Missing tags: CostCenter, Owner',
      },
    ],
    [
      'the SNS HTTP form, whose null annotation is no annotation',
      'aws/envelope-config-compliance-change-sns.json',
      { account: '111122223333', region: 'eu-west-1' },
      {
        rule: 'iam-user-mfa-enabled',
        resourceType: 'AWS::IAM::User',
        resourceId: 'AIDAEXAMPLEERIN55031',
        newState: 'NON_COMPLIANT',
        oldState: 'COMPLIANT',
      },
    ],
    [
      'a Huawei policy state, NonCompliant, sent directly',
      'huaweicloud/config-rms-policy-state-noncompliant.json',
      {
        cloud: 'huaweicloud',
        source: 'huawei-config',
        account: '0a6e2c9f4b7d41e3985c1f2a7d3b6e08',
        region: 'ap-southeast-1',
        time: '2026-11-24T11:22:18.412Z',
        resource: { type: 'vpc.securityGroups', id: '5b1f7c3e-92d4-4a68-b0e7-c3d9f1a6e824', name: 'sg-web-public' },
      },
      {
        rule: 'vpc-sg-restricted-ssh',
        resourceType: 'vpc.securityGroups',
        resourceId: '5b1f7c3e-92d4-4a68-b0e7-c3d9f1a6e824',
        newState: 'NON_COMPLIANT',
      },
    ],
    [
      'a Huawei policy state through a FunctionGraph SMN trigger',
      'huaweicloud/config-rms-policy-state-smn-trigger.json',
      { cloud: 'huaweicloud', source: 'huawei-config', time: '2026-11-24T12:05:04.877Z' },
      {
        rule: 'volumes-encrypted-check',
        resourceType: 'evs.volumes',
        resourceId: '9d3e6a1f-4c8b-47e2-a5f0-1b7d2c9e4f63',
        newState: 'NON_COMPLIANT',
      },
    ],
    [
      'a Compliant Huawei policy state of a global IAM user',
      'huaweicloud/config-rms-policy-state-compliant.json',
      { region: 'global' },
      {
        rule: 'iam-user-console-mfa',
        resourceType: 'iam.users',
        resourceId: '8c2f5a9e1d7b4e3f6a0c9d2b5e8f1a47',
        newState: 'COMPLIANT',
      },
    ],
    [
      'a Cloud Eye configurationNoncomplianceNotification with the RMS result in its content',
      'huaweicloud/config-cloud-eye-noncompliance.json',
      {
        id: 'evbb2c7e91d4a6f3058e1c',
        cloud: 'huaweicloud',
        source: 'cloud-eye',
        service: 'SYS.RMS',
        action: 'configurationNoncomplianceNotification',
        time: '2026-11-24T12:31:12.310Z',
      },
      {
        rule: 'vpc-sg-restricted-ssh',
        resourceType: 'vpc.securityGroups',
        resourceId: '2e7a4c9f-1b6d-43e8-a5c2-9f0d7b3e6a15',
        newState: 'NON_COMPLIANT',
      },
    ],
    [
      'a Cloud Eye configurationComplianceNotification with plain-text content and no rule name',
      'huaweicloud/config-cloud-eye-compliance.json',
      {
        source: 'cloud-eye',
        region: 'ap-southeast-1',
        resource: { id: '5b1f7c3e-92d4-4a68-b0e7-c3d9f1a6e824', name: 'sg-web-public' },
      },
      {
        rule: UNKNOWN_RULE,
        resourceId: '5b1f7c3e-92d4-4a68-b0e7-c3d9f1a6e824',
        newState: 'COMPLIANT',
        annotation: 'The evaluation result of rule vpc-sg-restricted-ssh changed to compliant.',
      },
    ],
  ];

  it.each(cases)('%s', (_name, path, fields, compliance) => {
    const event = eventOf(path);
    expect(event).toMatchObject({
      category: 'compliance',
      outcome: 'success',
      sourceAddress: '',
      sourceAddressKind: 'empty',
      ...fields,
    });
    expect(event.compliance).toEqual(compliance);
    expect(event.sourceIp).toBeUndefined();
  });

  it('AWS events are by the Config service, Huawei events by rms', () => {
    expect(eventOf('aws/config-compliance-change-noncompliant.json').actor).toEqual({
      type: 'AWSService',
      name: 'config.amazonaws.com',
    });
    expect(eventOf('huaweicloud/config-rms-policy-state-noncompliant.json').actor).toEqual({
      type: 'service',
      name: 'rms',
    });
  });

  it('keeps the record as received in raw', () => {
    const input = fixture('aws/config-compliance-change-noncompliant.json');
    expect(eventOf('aws/config-compliance-change-noncompliant.json').raw).toEqual(input);
  });

  const states: Array<[unknown, string | undefined]> = [
    ['NON_COMPLIANT', 'NON_COMPLIANT'],
    ['NonCompliant', 'NON_COMPLIANT'],
    ['Compliant', 'COMPLIANT'],
    ['COMPLIANT', 'COMPLIANT'],
    ['NotApplicable', 'NOT_APPLICABLE'],
    ['not-applicable', 'NOT_APPLICABLE'],
    ['INSUFFICIENT_DATA', 'INSUFFICIENT_DATA'],
    [' insufficient data ', 'INSUFFICIENT_DATA'],
    ['NON', undefined],
    ['', undefined],
    [null, undefined],
    [1, undefined],
    ['toString', undefined],
    ['__proto__', undefined],
  ];
  it.each(states)('reads the state %p as %p', (value, state) => {
    expect(toComplianceState(value)).toBe(state);
  });
});

describe('config-compliance event ids', () => {
  it('an SNS notification without an id gets a synthetic one that survives re-delivery in another key order', () => {
    const [first] = eventsOf(fixture('aws/config-compliance-change-sns-lambda.json'));
    expect(first.id).toMatch(/^synthetic:[0-9a-f]{64}$/);
    const message = JSON.parse(
      (fixture('aws/config-compliance-change-sns-lambda.json') as { Records: [{ Sns: { Message: string } }] })
        .Records[0].Sns.Message,
    ) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(message).reverse());
    expect(normalizeAwsConfig(reordered).id).toBe(first.id);
    expect(eventsOf({ Type: 'Notification', Message: message })[0].id).toBe(first.id);
  });

  it('the same change by EventBridge without an id and by SNS gets the same id', () => {
    const message = JSON.parse(
      (fixture('aws/config-compliance-change-sns-lambda.json') as { Records: [{ Sns: { Message: string } }] })
        .Records[0].Sns.Message,
    ) as unknown;
    const bridged = {
      version: '0',
      'detail-type': 'Config Rules Compliance Change',
      source: 'aws.config',
      time: '2026-11-24T09:14:28Z',
      detail: message,
    };
    expect(normalizeAwsConfig(bridged).id).toBe(normalizeAwsConfig(message).id);
  });

  it('a Huawei policy state gets the same id directly and through SMN', () => {
    const state = fixture('huaweicloud/config-rms-policy-state-noncompliant.json');
    const smn = { record: [{ event_source: 'smn', smn: { message_id: 'm-1', message: JSON.stringify(state) } }] };
    expect(eventsOf(smn)[0].id).toBe(eventsOf(state)[0].id);
  });

  it('different changes get different ids', () => {
    const ids = [
      'aws/config-compliance-change-sns-lambda.json',
      'aws/envelope-config-compliance-change-sns.json',
      'huaweicloud/config-rms-policy-state-noncompliant.json',
      'huaweicloud/config-rms-policy-state-smn-trigger.json',
    ].map((path) => eventOf(path).id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('config-compliance normalizers refuse what they cannot use', () => {
  const change = fixture('aws/config-compliance-change-noncompliant.json') as { detail: Record<string, unknown> };
  const detail = change.detail;
  const newResult = detail.newEvaluationResult as Record<string, unknown>;
  const aws: Array<[string, unknown, RegExp]> = [
    ['not an object', [], /not a JSON object/],
    [
      'another EventBridge detail-type',
      { ...change, 'detail-type': 'Config Configuration Item Change' },
      /detail-type is "Config Configuration Item Change"/,
    ],
    ['an EventBridge event without detail', { ...change, detail: 'x' }, /detail is not an object/],
    ['another messageType', { ...detail, messageType: 'ConfigurationItemChangeNotification' }, /messageType/],
    ['no newEvaluationResult', { ...detail, newEvaluationResult: undefined }, /newEvaluationResult missing/],
    [
      'an unknown complianceType',
      { ...detail, newEvaluationResult: { ...newResult, complianceType: 'MOSTLY_FINE' } },
      /"MOSTLY_FINE"/,
    ],
    [
      'no rule name anywhere',
      { ...detail, configRuleName: undefined, newEvaluationResult: { ...newResult, evaluationResultIdentifier: {} } },
      /configRuleName missing/,
    ],
    [
      'no time anywhere',
      {
        ...detail,
        notificationCreationTime: 'soon',
        newEvaluationResult: { ...newResult, resultRecordedTime: null, configRuleInvokedTime: 7e20 },
      },
      /no resultRecordedTime/,
    ],
    [
      'fields that only the prototype has',
      JSON.parse(`{"__proto__": ${JSON.stringify(detail)}}`),
      /newEvaluationResult missing/,
    ],
  ];
  it.each(aws)('AWS Config: %s', (_name, record, reason) => {
    const error = thrown(() => normalizeAwsConfig(record));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toMatch(reason);
  });

  it('names the EventBridge id of a refused event', () => {
    expect(thrown(() => normalizeAwsConfig({ ...change, detail: {} }))).toMatchObject({
      recordId: '7e3b91c4-2d5a-4f08-b6e1-93ac5d7f2b10',
    });
  });

  const state = fixture('huaweicloud/config-rms-policy-state-noncompliant.json') as Record<string, unknown>;
  const huawei: Array<[string, unknown, RegExp]> = [
    ['not an object', 'NonCompliant', /not a JSON object/],
    ['no compliance_state', { ...state, compliance_state: undefined }, /compliance_state is missing/],
    ['an unknown compliance_state', { ...state, compliance_state: 'Pending' }, /"Pending"/],
    [
      'no policy assignment',
      { ...state, policy_assignment_name: undefined, policy_assignment_id: undefined },
      /policy_assignment_name/,
    ],
    ['no evaluation_time', { ...state, evaluation_time: undefined }, /evaluation_time/],
    [
      'fields that only the prototype has',
      JSON.parse(`{"__proto__": ${JSON.stringify(state)}}`),
      /compliance_state is missing/,
    ],
  ];
  it.each(huawei)('Huawei policy state: %s', (_name, record, reason) => {
    const error = thrown(() => normalizeHuaweiConfig(record));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toMatch(reason);
  });

  const cloudEye = fixture('huaweicloud/config-cloud-eye-noncompliance.json') as Record<string, unknown>;
  const eye: Array<[string, unknown, RegExp]> = [
    [
      'an event of another name that says nothing about compliance',
      { event_source: 'SYS.RMS', event_name: 'somethingElse', time: 1795523472310, detail: {} },
      /"somethingElse"/,
    ],
    ['no time', { ...cloudEye, time: undefined, detail: { content: 'x' } }, /time missing/],
    [
      'an event named after a prototype member',
      { event_source: 'SYS.RMS', event_name: 'constructor', time: 1795523472310 },
      /"constructor" says nothing/,
    ],
    [
      'an event named __proto__',
      JSON.parse('{"event_source": "SYS.RMS", "event_name": "__proto__", "time": 1795523472310}'),
      /"__proto__" says nothing/,
    ],
  ];
  it.each(eye)('Cloud Eye: %s', (_name, record, reason) => {
    const error = thrown(() => normalizeCloudEyeConfig(record));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toMatch(reason);
  });

  it('a refused record is reported by the pipeline, and the rest of the batch goes on', () => {
    const run = new DetectionRun(configCompliance, defaults);
    run.ingestRecord('aws-config', { ...detail, newEvaluationResult: undefined }, 'bad');
    run.ingestRecord('aws-config', change, 'good');
    expect(run.stats.rejections).toEqual([expect.objectContaining({ position: 'bad' })]);
    expect(run.alerts()).toHaveLength(1);
  });
});

describe('config-compliance detection', () => {
  const NC = FINDING_RULES.NON_COMPLIANT;
  const cases: Array<[string, string, string[]]> = [
    ['COMPLIANT to NON_COMPLIANT alerts', 'aws/config-compliance-change-noncompliant.json', [NC]],
    ['a first evaluation that is NON_COMPLIANT alerts', 'aws/config-compliance-change-first-evaluation.json', [NC]],
    ['COMPLIANT to COMPLIANT is quiet', 'aws/config-compliance-change-unchanged.json', []],
    ['a fixed resource is quiet by default', 'aws/config-compliance-change-fixed.json', []],
    ['the SNS notification alerts', 'aws/config-compliance-change-sns-lambda.json', [NC]],
    [
      'a PutEvaluations call alerts for its NON_COMPLIANT evaluation only',
      'aws/config-cloudtrail-put-evaluations.json',
      [NC],
    ],
    ['a NonCompliant Huawei policy state alerts', 'huaweicloud/config-rms-policy-state-noncompliant.json', [NC]],
    [
      'a NonCompliant Huawei policy state from SMN alerts',
      'huaweicloud/config-rms-policy-state-smn-trigger.json',
      [NC],
    ],
    ['a Compliant Huawei policy state is quiet', 'huaweicloud/config-rms-policy-state-compliant.json', []],
    ['a Cloud Eye non-compliance event alerts', 'huaweicloud/config-cloud-eye-noncompliance.json', [NC]],
    ['a Cloud Eye compliance event is quiet', 'huaweicloud/config-cloud-eye-compliance.json', []],
    ['an ordinary API call is not a compliance change', 'aws/cloudtrail-api-call-success.json', []],
    ['a console login is not a compliance change', 'aws/cloudtrail-console-login-iam-user-no-mfa.json', []],
  ];
  it.each(cases)('%s', (_name, path, rules) => {
    expect(detectComplianceChange(eventOf(path), defaults).map((finding) => finding.rule)).toEqual(rules);
  });

  const transitions: Array<[string, Partial<Compliance>, boolean]> = [
    ['NOT_APPLICABLE to NON_COMPLIANT alerts', { oldState: 'NOT_APPLICABLE' }, true],
    ['INSUFFICIENT_DATA to NON_COMPLIANT alerts', { oldState: 'INSUFFICIENT_DATA' }, true],
    ['NON_COMPLIANT to NON_COMPLIANT is quiet', { oldState: 'NON_COMPLIANT' }, false],
    [
      'NON_COMPLIANT to NOT_APPLICABLE is quiet by default',
      { oldState: 'NON_COMPLIANT', newState: 'NOT_APPLICABLE' },
      false,
    ],
    ['unknown to NON_COMPLIANT alerts', { oldState: undefined }, true],
  ];
  it.each(transitions)('%s', (_name, compliance, alerts) => {
    expect(detectComplianceChange(complianceEvent(compliance), defaults)).toHaveLength(alerts ? 1 : 0);
  });

  it('rates NON_COMPLIANT medium and other states low', () => {
    expect(detectComplianceChange(complianceEvent({}), everyState)[0].severity).toBe('medium');
    expect(
      detectComplianceChange(complianceEvent({ newState: 'COMPLIANT', oldState: 'NON_COMPLIANT' }), everyState)[0]
        .severity,
    ).toBe('low');
  });

  it('groups by rule, resource and new state', () => {
    const key = (compliance: Partial<Compliance>, id = 'x') =>
      detectComplianceChange(complianceEvent(compliance, { id }), everyState)[0].groupKey;
    expect(key({}, 'a')).toBe(key({}, 'b'));
    expect(key({})).toBe(key({ oldState: undefined }));
    expect(key({})).not.toBe(key({ resourceId: 'sg-2' }));
    expect(key({})).not.toBe(key({ rule: 'other-rule' }));
    expect(key({})).not.toBe(key({ newState: 'NOT_APPLICABLE' }));
  });
});

describe('config-compliance NOTIFY_ON', () => {
  it('defaults to NON_COMPLIANT', () => {
    expect(defaults.notifyOn).toEqual(['NON_COMPLIANT']);
  });

  it('selects more states, in any case, and still ignores unchanged states', () => {
    const config = loadConfigComplianceConfig({ NOTIFY_ON: ' non_compliant , Compliant ' });
    expect(config.notifyOn).toEqual(['NON_COMPLIANT', 'COMPLIANT']);
    expect(
      detectComplianceChange(eventOf('aws/config-compliance-change-fixed.json'), config).map((f) => f.rule),
    ).toEqual([FINDING_RULES.COMPLIANT]);
    expect(detectComplianceChange(eventOf('aws/config-compliance-change-unchanged.json'), config)).toEqual([]);
    expect(detectComplianceChange(eventOf('huaweicloud/config-cloud-eye-compliance.json'), config)).toHaveLength(1);
  });

  const states: Array<[string, Partial<Compliance>]> = [
    ['NOT_APPLICABLE', { newState: 'NOT_APPLICABLE', oldState: 'NON_COMPLIANT' }],
    ['INSUFFICIENT_DATA', { newState: 'INSUFFICIENT_DATA', oldState: 'COMPLIANT' }],
  ];
  it.each(states)('%s alerts only when listed', (state, compliance) => {
    expect(detectComplianceChange(complianceEvent(compliance), defaults)).toEqual([]);
    expect(
      detectComplianceChange(complianceEvent(compliance), loadConfigComplianceConfig({ NOTIFY_ON: state })),
    ).toHaveLength(1);
  });

  it('a NON_COMPLIANT change is quiet when NOTIFY_ON leaves it out', () => {
    expect(
      detectComplianceChange(
        eventOf('aws/config-compliance-change-noncompliant.json'),
        loadConfigComplianceConfig({ NOTIFY_ON: 'COMPLIANT' }),
      ),
    ).toEqual([]);
  });

  it('lists every configuration problem in one error', () => {
    const error = thrown(() =>
      loadConfigComplianceConfig({
        NOTIFY_ON: 'NON_COMPLIANT, BROKEN, maybe',
        RULE_INCLUDE: ' , ',
        RULE_EXCLUDE: 'ok, bad\u0007name',
        ALERT_ON_PUT_EVALUATIONS: 'sometimes',
        HUAWEI_CONSOLE_URL: 'http://console.example.com',
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(6);
    const text = (error as Error).message;
    for (const part of [
      '"BROKEN"',
      '"maybe"',
      'RULE_INCLUDE',
      'RULE_EXCLUDE',
      'ALERT_ON_PUT_EVALUATIONS',
      'HUAWEI_CONSOLE_URL',
    ])
      expect(text).toContain(part);
  });

  it('refuses a NOTIFY_ON that names no state, rather than alerting on nothing', () => {
    expect(() => loadConfigComplianceConfig({ NOTIFY_ON: ',' })).toThrow(/NOTIFY_ON.*names no state/);
  });

  it('refuses absurdly long rule patterns', () => {
    expect(() => loadConfigComplianceConfig({ RULE_INCLUDE: 'x'.repeat(300) })).toThrow(/longer than 256/);
  });
});

describe('config-compliance rule patterns', () => {
  const globs: Array<[string, string, boolean]> = [
    ['restricted-ssh', 'restricted-ssh', true],
    ['restricted-ssh', 'restricted-ssh-v2', false],
    ['restricted-*', 'restricted-ssh', true],
    ['*-ssh', 'restricted-ssh', true],
    ['s3-*-prohibited', 's3-bucket-public-read-prohibited', true],
    ['s3-*-prohibited', 's3-prohibited', false],
    ['a*a', 'a', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['*b*b*', 'abab', true],
    ['*', '', true],
    ['**', 'anything', true],
    ['Restricted-ssh', 'restricted-ssh', false],
    ['a.*', 'abc', false],
    ['a?c', 'abc', false],
    ['securityhub-*', 'securityhub-rds-storage-encrypted-5c2e8a1f', true],
  ];
  it.each(globs)('%p matches %p: %p', (pattern, text, expected) => {
    expect(matchesGlob(pattern, text)).toBe(expected);
  });

  it('agrees with a reference regular expression on random patterns', () => {
    const unit = fc.constantFrom('a', 'b', '*', '.', '(');
    fc.assert(
      fc.property(
        fc.string({ unit, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '.', '('), maxLength: 10 }),
        (pattern, text) => {
          const reference = new RegExp(
            `^${pattern
              .split('*')
              .map((piece) => piece.replace(/[.(]/g, '\\$&'))
              .join('[^]*')}$`,
          );
          expect(matchesGlob(pattern, text)).toBe(reference.test(text));
        },
      ),
    );
  });

  // A backtracking matcher would not finish this within the test timeout; this one scans once.
  it('answers patterns that make backtracking matchers run for ever', () => {
    expect(matchesGlob(`${'*a'.repeat(100)}*b`, 'a'.repeat(100_000))).toBe(false);
    expect(matchesGlob(`${'*a'.repeat(100)}*`, 'a'.repeat(100_000))).toBe(true);
  });

  const rules: Array<[string, Record<string, string>, string[]]> = [
    [
      'RULE_INCLUDE keeps only the named rules',
      { RULE_INCLUDE: 'securityhub-*' },
      ['securityhub-rds-storage-encrypted-5c2e8a1f'],
    ],
    [
      'RULE_INCLUDE takes exact names and patterns',
      { RULE_INCLUDE: 'restricted-ssh, required-*' },
      ['restricted-ssh', 'required-tags'],
    ],
    [
      'RULE_EXCLUDE drops the named rules',
      { RULE_EXCLUDE: 'securityhub-*,required-tags' },
      ['restricted-ssh', UNKNOWN_RULE, 'vpc-sg-restricted-ssh', 'volumes-encrypted-check'],
    ],
    [
      'RULE_EXCLUDE wins over RULE_INCLUDE',
      { RULE_INCLUDE: '*restricted-ssh', RULE_EXCLUDE: 'vpc-*' },
      ['restricted-ssh'],
    ],
    [
      'an unnamed rule passes an include list only through *',
      { RULE_INCLUDE: '*' },
      [
        'restricted-ssh',
        'securityhub-rds-storage-encrypted-5c2e8a1f',
        'required-tags',
        UNKNOWN_RULE,
        'vpc-sg-restricted-ssh',
        'volumes-encrypted-check',
      ],
    ],
  ];
  const alerting = [
    'aws/config-compliance-change-noncompliant.json',
    'aws/config-compliance-change-first-evaluation.json',
    'aws/config-compliance-change-sns-lambda.json',
    'aws/config-cloudtrail-put-evaluations.json',
    'huaweicloud/config-rms-policy-state-noncompliant.json',
    'huaweicloud/config-rms-policy-state-smn-trigger.json',
  ];
  it.each(rules)('%s', (_name, env, expected) => {
    const config = loadConfigComplianceConfig(env);
    const fired = alerting
      .flatMap((path) => detectComplianceChange(eventOf(path), config))
      .map((finding) => finding.event.compliance?.rule);
    expect(fired).toEqual(expected);
  });
});

describe('config-compliance and CloudTrail PutEvaluations', () => {
  const record = fixture('aws/config-cloudtrail-put-evaluations.json') as Record<string, unknown> & {
    requestParameters: Record<string, unknown>;
  };
  const evaluation = (complianceType: string, id: string) => ({
    complianceResourceType: 'AWS::EC2::Instance',
    complianceResourceId: id,
    complianceType,
    orderingTimestamp: '2026-11-24T09:14:03.118Z',
  });
  const withEvaluations = (evaluations: unknown[], extra: Record<string, unknown> = {}) => ({
    ...record,
    requestParameters: { ...record.requestParameters, evaluations, ...extra },
  });

  it('makes one finding per NON_COMPLIANT evaluation, each with its own id and compliance', () => {
    const input = withEvaluations([
      evaluation('NON_COMPLIANT', 'i-1'),
      evaluation('COMPLIANT', 'i-2'),
      evaluation('NON_COMPLIANT', 'i-3'),
    ]);
    const findings = detectComplianceChange(eventsOf(input)[0], defaults);
    expect(findings.map((finding) => finding.event.id)).toEqual([
      'e8c3a5f1-7b2d-4e96-a1c4-5d8f3b7e9a20#evaluations[0]',
      'e8c3a5f1-7b2d-4e96-a1c4-5d8f3b7e9a20#evaluations[2]',
    ]);
    expect(findings.map((finding) => finding.event.compliance)).toEqual([
      { rule: UNKNOWN_RULE, resourceType: 'AWS::EC2::Instance', resourceId: 'i-1', newState: 'NON_COMPLIANT' },
      { rule: UNKNOWN_RULE, resourceType: 'AWS::EC2::Instance', resourceId: 'i-3', newState: 'NON_COMPLIANT' },
    ]);
    expect(new Set(findings.map((finding) => finding.groupKey)).size).toBe(2);
    for (const finding of findings) validateTraceEvent(finding.event);
  });

  it('gives each evaluation its own alert and de-duplication id', () => {
    const run = new DetectionRun(configCompliance, defaults);
    run.ingestRecord(
      'cloudtrail',
      withEvaluations([evaluation('NON_COMPLIANT', 'i-1'), evaluation('NON_COMPLIANT', 'i-3')]),
      'test',
    );
    const alerts = run.alerts();
    expect(alerts).toHaveLength(2);
    expect(alerts[0].dedupId).not.toBe(alerts[1].dedupId);
    expect(alerts[0].event.compliance?.resourceId).toBe('i-1');
  });

  it("reads the API's PascalCase names too", () => {
    const input = withEvaluations([
      {
        ComplianceResourceType: 'AWS::S3::Bucket',
        ComplianceResourceId: 'b',
        ComplianceType: 'NON_COMPLIANT',
        Annotation: 'public',
      },
    ]);
    expect(detectComplianceChange(eventsOf(input)[0], defaults)[0].event.compliance).toEqual({
      rule: UNKNOWN_RULE,
      resourceType: 'AWS::S3::Bucket',
      resourceId: 'b',
      newState: 'NON_COMPLIANT',
      annotation: 'public',
    });
  });

  const quiet: Array<[string, unknown, Record<string, string>]> = [
    [
      'a call in test mode recorded nothing',
      withEvaluations([evaluation('NON_COMPLIANT', 'i-1')], { testMode: true }),
      {},
    ],
    ['a refused call recorded nothing', { ...record, errorCode: 'AccessDenied', errorMessage: 'not allowed' }, {}],
    ['evaluations that are not a list', withEvaluations('NON_COMPLIANT' as unknown as unknown[]), {}],
    ['unreadable evaluations are skipped', withEvaluations([null, 'x', evaluation('MAYBE', 'i-1')]), {}],
    ['another Config API call', { ...record, eventName: 'PutConfigRule' }, {}],
    ['ALERT_ON_PUT_EVALUATIONS=false', record, { ALERT_ON_PUT_EVALUATIONS: 'false' }],
  ];
  it.each(quiet)('is quiet for %s', (_name, input, env) => {
    expect(detectComplianceChange(eventsOf(input)[0], loadConfigComplianceConfig(env))).toEqual([]);
  });

  it('alerts on the COMPLIANT evaluation too when NOTIFY_ON says so', () => {
    expect(
      detectComplianceChange(eventOf('aws/config-cloudtrail-put-evaluations.json'), everyState).map(
        (f) => f.event.compliance?.newState,
      ),
    ).toEqual(['NON_COMPLIANT', 'COMPLIANT']);
  });
});

describe('config-compliance alert text', () => {
  it('starts with the resource, its state and the rule, then the details and a console link', () => {
    const { lines, subject } = messageOf('aws/config-compliance-change-noncompliant.json');
    expect(lines).toEqual([
      'Resource AWS::EC2::SecurityGroup sg-0c4f2a9d81e36b5a7 is NON_COMPLIANT with rule restricted-ssh',
      '',
      'Rule: restricted-ssh',
      'Resource: AWS::EC2::SecurityGroup sg-0c4f2a9d81e36b5a7',
      'State: COMPLIANT → NON_COMPLIANT',
      'Annotation: -',
      'Account: 444455556666',
      'Region: eu-central-1',
      'When: 2026-11-24T10:15:41.208Z',
      'Console: https://eu-central-1.console.aws.amazon.com/config/home?region=eu-central-1#/rules/details?configRuleName=restricted-ssh',
      'Source: aws-config ComplianceChangeNotification',
      'Event id: 7e3b91c4-2d5a-4f08-b6e1-93ac5d7f2b10',
    ]);
    expect(subject).toBe('trailguard: NON_COMPLIANT: restricted-ssh on sg-0c4f2a9d81e36b5a7');
  });

  it('says when there was no earlier evaluation', () => {
    expect(messageOf('aws/config-compliance-change-first-evaluation.json').lines).toContain(
      'State: (first evaluation) → NON_COMPLIANT',
    );
  });

  it('shows the annotation', () => {
    expect(messageOf('aws/config-compliance-change-sns-lambda.json').lines).toContain(
      'Annotation: Missing tags: CostCenter, Owner',
    );
  });

  it('for PutEvaluations: unknown rule and old state, who reported it, and the rule list in the console', () => {
    const { lines } = messageOf('aws/config-cloudtrail-put-evaluations.json');
    expect(lines[0]).toBe('Resource AWS::EC2::Instance i-0d72e5a1c94b38f06 is NON_COMPLIANT with rule (unknown rule)');
    expect(lines).toContain('State: (previous state not reported) → NON_COMPLIANT');
    expect(lines).toContain(
      'Reported by: tg-config-rule-lambda/tg-required-tags-check (AssumedRole, arn:aws:sts::444455556666:assumed-role/tg-config-rule-lambda/tg-required-tags-check)',
    );
    expect(lines).toContain(
      'Console: https://eu-central-1.console.aws.amazon.com/config/home?region=eu-central-1#/rules',
    );
    expect(lines).toContain('Event id: e8c3a5f1-7b2d-4e96-a1c4-5d8f3b7e9a20#evaluations[0]');
  });

  it('for Huawei: the resource name, no old state, and the Config console of the region', () => {
    const { lines, subject } = messageOf('huaweicloud/config-rms-policy-state-noncompliant.json');
    expect(lines[0]).toBe(
      'Resource vpc.securityGroups 5b1f7c3e-92d4-4a68-b0e7-c3d9f1a6e824 (sg-web-public) is NON_COMPLIANT with rule vpc-sg-restricted-ssh',
    );
    expect(lines).toContain('State: (previous state not reported) → NON_COMPLIANT');
    expect(lines).toContain('Console: https://console-intl.huaweicloud.com/rms/?region=ap-southeast-1');
    expect(lines).toContain('Source: huawei-config PolicyState');
    expect(subject).toBe('trailguard: NON_COMPLIANT: vpc-sg-restricted-ssh on 5b1f7c3e-92d4-4a68-b0e7-c3d9f1a6e824');
  });

  it('uses HUAWEI_CONSOLE_URL, and leaves the global pseudo-region out of the link', () => {
    const config = loadConfigComplianceConfig({
      HUAWEI_CONSOLE_URL: 'https://console.otc.t-systems.com/',
      NOTIFY_ON: 'COMPLIANT',
    });
    expect(
      messageOf(
        'huaweicloud/config-rms-policy-state-smn-trigger.json',
        loadConfigComplianceConfig({ HUAWEI_CONSOLE_URL: 'https://console.otc.t-systems.com/' }),
      ).lines,
    ).toContain('Console: https://console.otc.t-systems.com/rms/?region=ap-southeast-1');
    expect(messageOf('huaweicloud/config-rms-policy-state-compliant.json', config).lines).toContain(
      'Console: https://console.otc.t-systems.com/rms/',
    );
  });

  const links: Array<[string, Partial<Compliance>, Partial<TraceEvent>, string | undefined]> = [
    [
      'encodes the rule name',
      { rule: 'team rule&x=1#frag/ü' },
      {},
      'https://us-east-1.console.aws.amazon.com/config/home?region=us-east-1#/rules/details?configRuleName=team%20rule%26x%3D1%23frag%2F%C3%BC',
    ],
    ['gives no link for a region that is not one', {}, { region: 'evil.example.com/x?' }, undefined],
    ['gives no link without a region', {}, { region: undefined }, undefined],
    [
      'links GovCloud rules in the same form',
      {},
      { region: 'us-gov-west-1' },
      'https://us-gov-west-1.console.aws.amazon.com/config/home?region=us-gov-west-1#/rules/details?configRuleName=restricted-ssh',
    ],
    [
      'leaves a Huawei region that is not one out',
      {},
      { cloud: 'huaweicloud', region: 'x/../../evil' },
      'https://console-intl.huaweicloud.com/rms/',
    ],
  ];
  it.each(links)('console link: %s', (_name, compliance, overrides, link) => {
    expect(consoleLink(complianceEvent(compliance, overrides), defaults)).toBe(link);
  });

  it('an aggregated alert gives the count and the first event ids', () => {
    const group = { ...groupOf(complianceEvent({})), count: 3, eventIds: ['a', 'b', 'c'] };
    expect(describeComplianceAlert(group, defaults).message).toContain('Events: 3 (first ids: a, b, c)');
  });

  it('attacker-chosen names, ids and annotations cannot forge lines or break the subject', () => {
    const event = complianceEvent({
      rule: 'rule\nRule: none\u202E',
      resourceType: 'AWS::S3::Bucket\r\nState: COMPLIANT → COMPLIANT',
      resourceId: 'bucket\u2028Event id: forged',
      annotation: `${'x'.repeat(5000)}\nConsole: https://evil.example.com`,
    });
    const { subject, message } = describeComplianceAlert(groupOf(event), defaults);
    expect(subject).toMatch(/^[\x21-\x7e][\x20-\x7e]{0,98}$/);
    const lines = message.split('\n');
    for (const label of ['Rule:', 'State:', 'Console:', 'Event id:', 'Annotation:'])
      expect(lines.filter((line) => line.startsWith(label))).toHaveLength(1);
    expect(lines.find((line) => line.startsWith('Console:'))).toContain(
      'configRuleName=rule%0ARule%3A%20none%E2%80%AE',
    );
    expect(lines[0]).toBe(
      'Resource AWS::S3::Bucket\\r\\nState: COMPLIANT → COMPLIANT bucket\\u2028Event id: forged is NON_COMPLIANT with rule rule\\nRule: none\\u202e',
    );
    expect(message).not.toMatch(/[\u2028\u202e\r]/);
    expect(lines.find((line) => line.startsWith('Annotation:'))?.length).toBeLessThanOrEqual(600);
  });
});
