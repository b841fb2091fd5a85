import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeInput } from '../shared/intake/decode-input';
import type { IntakeItem } from '../shared/intake/intake-item';
import { MAX_ENVELOPE_DEPTH, unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import { fixtureBytes } from './support/fixtures';

/** A fixture file through the whole intake, as the CLI and the S3 path run it. */
function intake(path: string): IntakeItem[] {
  const decoded = decodeInput(fixtureBytes(path), basename(path));
  expect(decoded.rejected).toEqual([]);
  return decoded.documents.flatMap((document) => unwrapEnvelope(document.value, document.position));
}

function awslogs(payload: unknown): unknown {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString('base64') } };
}

const TRAIL_BUCKET = 'trailguard-demo-trail';
const LOG_FILE_IPS = [
  '198.51.100.23',
  '203.0.113.10',
  '2001:db8:bad::17',
  '2001:db8:1::42',
  'cloudtrail.amazonaws.com',
];
const logFileRecords = (name: string): Partial<IntakeItem>[] =>
  LOG_FILE_IPS.map((sourceIPAddress, i) => ({
    type: 'record',
    kind: 'cloudtrail',
    position: `${name}#Records[${i}]`,
    record: { sourceIPAddress },
  }));
const CWL_GROUP = 'awslogs/aws-cloudtrail-logs-111122223333-5e7a9c1d';

describe('unwrapEnvelope on the fixtures', () => {
  test.each<[string, string, Partial<IntakeItem>[]]>([
    [
      'an EventBridge console sign-in yields its detail as one CloudTrail record',
      'aws/envelope-eventbridge-console-signin.json',
      [
        {
          type: 'record',
          kind: 'cloudtrail',
          position: 'envelope-eventbridge-console-signin.json.detail',
          record: { eventName: 'ConsoleLogin', sourceIPAddress: '198.51.100.77' },
        },
      ],
    ],
    [
      'the "AWS Console Signin via CloudTrail" spelling is a console sign-in too',
      'aws/envelope-eventbridge-console-signin-alt-spelling.json',
      [
        {
          type: 'record',
          kind: 'cloudtrail',
          position: 'envelope-eventbridge-console-signin-alt-spelling.json.detail',
          record: { eventName: 'ConsoleLogin', sourceIPAddress: '203.0.113.25' },
        },
      ],
    ],
    [
      'an EventBridge API call keeps its errorCode in the record',
      'aws/envelope-eventbridge-api-call-access-denied.json',
      [{ type: 'record', kind: 'cloudtrail', record: { eventName: 'PutBucketPolicy', errorCode: 'AccessDenied' } }],
    ],
    [
      'a CloudTrail log file yields one record per Records element, in order',
      'aws/envelope-cloudtrail-log-file.json',
      logFileRecords('envelope-cloudtrail-log-file.json'),
    ],
    [
      'a gzipped CloudTrail log file yields the same records',
      'aws/envelope-cloudtrail-log-file.json.gz',
      logFileRecords('envelope-cloudtrail-log-file.json.gz'),
    ],
    [
      'an S3 key with %3D and + is decoded before fetching',
      'aws/envelope-s3-object-created.json',
      [
        {
          type: 'fetch',
          bucket: TRAIL_BUCKET,
          key: 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/111122223333_CloudTrail_us-east-1_20261124T1200Z_AbCd=.json.gz',
          region: 'us-east-1',
          position: 'envelope-s3-object-created.json#Records[0]',
        },
        {
          type: 'fetch',
          bucket: TRAIL_BUCKET,
          key: 'audit archive/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/24/111122223333_CloudTrail_eu-west-1_20261124T1205Z_Ef+Gh7Jk.json.gz',
          position: 'envelope-s3-object-created.json#Records[1]',
        },
      ],
    ],
    [
      'a CloudTrail digest file is skipped, not fetched',
      'aws/envelope-s3-digest-created.json',
      [
        {
          type: 'skipped',
          reason: expect.stringMatching(/^CloudTrail digest file s3:\/\/trailguard-demo-trail\/AWSLogs\//),
        },
      ],
    ],
    [
      "CloudTrail's SNS delivery notification yields one fetch per s3ObjectKey",
      'aws/envelope-cloudtrail-sns-delivery.json',
      [0, 1].map((i) => ({
        type: 'fetch' as const,
        bucket: TRAIL_BUCKET,
        key: expect.stringMatching(/^AWSLogs\/111122223333\/CloudTrail\/[a-z0-9-]+\/2026\/11\/24\/.+\.json\.gz$/),
        position: `envelope-cloudtrail-sns-delivery.json#Records[0].Sns.Message.s3ObjectKey[${i}]`,
      })),
    ],
    [
      'an EventBridge event delivered through SNS to Lambda is unwrapped twice',
      'aws/envelope-sns-wrapped-eventbridge.json',
      [
        {
          type: 'record',
          kind: 'cloudtrail',
          position: 'envelope-sns-wrapped-eventbridge.json#Records[0].Sns.Message.detail',
          record: { errorCode: 'Client.UnauthorizedOperation' },
        },
      ],
    ],
    [
      'a CloudWatch Logs subscription batch yields one record per log event, positioned by log group and id',
      'aws/envelope-cloudwatch-logs-subscription.json',
      ['198.51.100.23', '2001:db8:bad::17', 'cloudtrail.amazonaws.com'].map((sourceIPAddress, i) => ({
        type: 'record' as const,
        kind: 'cloudtrail' as const,
        position: `${CWL_GROUP}#3889${'0'.repeat(40)}0${71234567890 + i}`,
        record: { sourceIPAddress },
      })),
    ],
    [
      'a CloudWatch Logs CONTROL_MESSAGE is skipped',
      'aws/envelope-cloudwatch-logs-control-message.json',
      [{ type: 'skipped', reason: 'CloudWatch Logs CONTROL_MESSAGE' }],
    ],
    [
      'a Config compliance change from EventBridge is passed on whole as an aws-config record',
      'aws/envelope-config-compliance-change-eventbridge.json',
      [
        {
          type: 'record',
          kind: 'aws-config',
          position: 'envelope-config-compliance-change-eventbridge.json',
          record: {
            'detail-type': 'Config Rules Compliance Change',
            detail: {
              newEvaluationResult: { complianceType: 'NON_COMPLIANT' },
              oldEvaluationResult: { complianceType: 'COMPLIANT' },
            },
          },
        },
      ],
    ],
    [
      'a Config ComplianceChangeNotification from SNS yields the parsed message',
      'aws/envelope-config-compliance-change-sns.json',
      [
        {
          type: 'record',
          kind: 'aws-config',
          position: 'envelope-config-compliance-change-sns.json.Message',
          record: { messageType: 'ComplianceChangeNotification', configRuleName: 'iam-user-mfa-enabled' },
        },
      ],
    ],
    [
      'a FunctionGraph CTS trigger yields the trace under cts',
      'huaweicloud/envelope-functiongraph-cts-trigger-login.json',
      [
        {
          type: 'record',
          kind: 'cts',
          position: 'envelope-functiongraph-cts-trigger-login.json.cts',
          record: { trace_name: 'login', source_ip: '10.65.56.139' },
        },
      ],
    ],
    [
      'a FunctionGraph CTS trigger for a logout is a cts record as well',
      'huaweicloud/envelope-functiongraph-cts-trigger-logout.json',
      [{ type: 'record', kind: 'cts', record: { trace_name: 'logout', source_ip: '203.0.113.40' } }],
    ],
    [
      'a CTS trace list yields one cts record per trace',
      'huaweicloud/envelope-cts-trace-list.json',
      ['login', 'loginFailed', 'deleteEip', 'createSingleServer'].map((trace_name, i) => ({
        type: 'record' as const,
        kind: 'cts' as const,
        position: `envelope-cts-trace-list.json.traces[${i}]`,
        record: { trace_name },
      })),
    ],
    [
      'a FunctionGraph SMN trigger whose message is a CTS trace yields that trace',
      'huaweicloud/envelope-functiongraph-smn-trigger-cts.json',
      [
        {
          type: 'record',
          kind: 'cts',
          position: 'envelope-functiongraph-smn-trigger-cts.json.record[0].smn.message',
          record: { trace_name: 'createUser', code: 403 },
        },
      ],
    ],
    [
      'a Huawei Config resource-change notification over SMN is skipped: it is not a compliance result',
      'huaweicloud/envelope-rms-resource-changed-smn.json',
      [{ type: 'skipped', reason: expect.stringContaining('"ResourceChanged"') }],
    ],
    [
      'a Huawei Config policy state is a huawei-config record',
      'huaweicloud/envelope-rms-policy-state-noncompliant.json',
      [{ type: 'record', kind: 'huawei-config', record: { compliance_state: 'NonCompliant' } }],
    ],
  ])('%s', (_name, path, expected) => {
    expect(intake(path)).toMatchObject(expected);
  });
});

describe('unwrapEnvelope on inline shapes', () => {
  const cloudTrailRecord = { eventVersion: '1.11', eventSource: 'iam.amazonaws.com', eventName: 'ListUsers' };
  const s3Event = (eventName: string, key: string) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventName,
    s3: { bucket: { name: TRAIL_BUCKET }, object: { key } },
  });

  test.each<[string, unknown, Partial<IntakeItem>[]]>([
    [
      'a bare CloudTrail record is one record at the given position',
      cloudTrailRecord,
      [{ type: 'record', kind: 'cloudtrail', position: 'in' }],
    ],
    [
      'a bare CTS trace is one cts record',
      { trace_id: 'b1', trace_name: 'login', service_type: 'IAM' },
      [{ type: 'record', kind: 'cts', position: 'in' }],
    ],
    [
      'a non-object element of a log file is rejected and its neighbours survive',
      { Records: [cloudTrailRecord, 42, cloudTrailRecord] },
      [
        { type: 'record', position: 'in#Records[0]' },
        { type: 'rejected', position: 'in#Records[1]', reason: 'expected an object, got a number' },
        { type: 'record', position: 'in#Records[2]' },
      ],
    ],
    ['an empty log file is skipped', { Records: [] }, [{ type: 'skipped', reason: 'empty Records list' }]],
    [
      'an SNS SubscriptionConfirmation is skipped',
      {
        Type: 'SubscriptionConfirmation',
        TopicArn: 'arn:aws:sns:us-east-1:111122223333:t',
        Message: 'You have chosen to subscribe…',
      },
      [{ type: 'skipped', reason: 'SNS SubscriptionConfirmation' }],
    ],
    [
      'an SNS Message that is already an object (as the AWS Config guide prints it) is unwrapped',
      { Type: 'Notification', Message: { messageType: 'ComplianceChangeNotification', configRuleName: 'r' } },
      [{ type: 'record', kind: 'aws-config', position: 'in.Message' }],
    ],
    [
      'an AWS Config configuration-item change is skipped with its messageType',
      {
        Type: 'Notification',
        Message: JSON.stringify({ messageType: 'ConfigurationItemChangeNotification', recordVersion: '1.3' }),
      },
      [{ type: 'skipped', reason: 'AWS Config "ConfigurationItemChangeNotification" is not a compliance change' }],
    ],
    [
      "Config's snapshot delivery (which names an s3Bucket) is skipped, not fetched",
      {
        messageType: 'ConfigurationSnapshotDeliveryCompleted',
        s3Bucket: 'config-bucket',
        s3ObjectKey: 'AWSLogs/111122223333/Config/snapshot.json.gz',
        notificationCreationTime: '2026-11-24T00:00:00Z',
      },
      [{ type: 'skipped' }],
    ],
    [
      'an S3 ObjectRemoved event is skipped',
      { Records: [s3Event('ObjectRemoved:Delete', 'AWSLogs/x.json.gz')] },
      [{ type: 'skipped', reason: 'S3 event "ObjectRemoved:Delete" is not an object creation' }],
    ],
    [
      'an S3 key with broken percent-encoding is rejected',
      { Records: [s3Event('ObjectCreated:Put', 'AWSLogs/%E0%A4%A.json.gz')] },
      [{ type: 'rejected', reason: expect.stringContaining('not valid URL encoding') }],
    ],
    [
      'an S3 digest key given as a bare S3 event record is skipped',
      s3Event(
        'ObjectCreated:Put',
        'org/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/us-east-1/2026/11/24/d.json.gz',
      ),
      [{ type: 'skipped' }],
    ],
    [
      'the S3 test event sent when notifications are configured is skipped',
      { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: TRAIL_BUCKET },
      [{ type: 'skipped', reason: 'S3 test event' }],
    ],
    [
      'an S3 notification queued in SQS is unwrapped to a fetch',
      {
        Records: [
          {
            messageId: 'm-1',
            eventSource: 'aws:sqs',
            body: JSON.stringify({ Records: [s3Event('ObjectCreated:Put', 'a+b.json.gz')] }),
          },
        ],
      },
      [{ type: 'fetch', key: 'a b.json.gz', position: 'in#Records[0].body#Records[0]' }],
    ],
    [
      'an EventBridge event of a type trailguard does not handle is skipped',
      { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} },
      [{ type: 'skipped', reason: 'EventBridge detail-type "Scheduled Event" is not handled' }],
    ],
    [
      'an EventBridge CloudTrail event without a detail object is rejected with the event id',
      { id: 'ev-1', 'detail-type': 'AWS API Call via CloudTrail', detail: null },
      [{ type: 'rejected', position: 'in.detail', recordId: 'ev-1' }],
    ],
    [
      'an SMN message that is not JSON is rejected with a clear reason',
      { record: [{ smn: { message_id: 'smn-1', message: 'this is smn message content' } }] },
      [
        {
          type: 'rejected',
          position: 'in.record[0].smn.message',
          reason: 'SMN message is not JSON: "this is smn message content"',
          recordId: 'smn-1',
        },
      ],
    ],
    [
      'a log event whose message is not JSON is rejected with its id, the others survive',
      awslogs({
        messageType: 'DATA_MESSAGE',
        logGroup: 'g',
        logEvents: [
          { id: '1', message: 'REPORT RequestId: x' },
          { id: '2', message: JSON.stringify(cloudTrailRecord) },
        ],
      }),
      [
        {
          type: 'rejected',
          position: 'awslogs/g#1',
          recordId: '1',
          reason: 'log event message is not JSON: "REPORT RequestId: x"',
        },
        { type: 'record', kind: 'cloudtrail', position: 'awslogs/g#2' },
      ],
    ],
    [
      'awslogs data that is not gzip is rejected',
      { awslogs: { data: Buffer.from('{"messageType":"DATA_MESSAGE"}').toString('base64') } },
      [
        {
          type: 'rejected',
          position: 'in.awslogs.data',
          reason: expect.stringMatching(/^awslogs\.data is not base64 gzip/),
        },
      ],
    ],
    [
      'a Cloud Eye RMS non-compliance event is a cloud-eye record',
      { event_name: 'configurationNoncomplianceNotification', event_source: 'SYS.RMS', detail: {} },
      [{ type: 'record', kind: 'cloud-eye' }],
    ],
    [
      'a Huawei Config custom-rule evaluation request is skipped',
      { domain_id: 'd', policy_assignment_id: 'p', invoking_event: {}, trigger_type: 'resource' },
      [{ type: 'skipped' }],
    ],
    [
      'an array of envelopes is unwrapped element by element',
      [cloudTrailRecord, { cts: { trace_name: 'login' } }],
      [
        { type: 'record', kind: 'cloudtrail', position: 'in[0]' },
        { type: 'record', kind: 'cts', position: 'in[1].cts' },
      ],
    ],
    ['an empty array is skipped', [], [{ type: 'skipped', reason: 'empty list' }]],
    ['null is rejected', null, [{ type: 'rejected', reason: 'unrecognized envelope: null' }]],
    ['a string is rejected', 'hello', [{ type: 'rejected', reason: 'unrecognized envelope: a string "hello"' }]],
    [
      'an unknown object is rejected naming its keys',
      { a: 1, b: 2, c: 3 },
      [{ type: 'rejected', position: 'in', reason: 'unrecognized envelope: object with keys a, b, c' }],
    ],
    [
      'the list of keys is capped',
      Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])),
      [
        {
          type: 'rejected',
          reason: 'unrecognized envelope: object with keys k0, k1, k2, k3, k4, k5, k6, k7, … (30 keys)',
        },
      ],
    ],
  ])('%s', (_name, input, expected) => {
    expect(unwrapEnvelope(input, 'in')).toMatchObject(expected);
  });
});

describe('unwrapEnvelope reads own properties only', () => {
  it('inherited CloudTrail fields do not make a record', () => {
    const inherited = Object.create({
      eventVersion: '1.08',
      eventSource: 'iam.amazonaws.com',
      eventName: 'x',
    }) as object;
    expect(unwrapEnvelope(inherited, 'in')).toMatchObject([
      { type: 'rejected', reason: 'unrecognized envelope: empty object' },
    ]);
  });

  it('a "__proto__" key from JSON is just a key', () => {
    const parsed: unknown = JSON.parse('{"__proto__": {"Records": [{"eventVersion": "1.08"}]}}');
    expect(unwrapEnvelope(parsed, 'in')).toMatchObject([
      { type: 'rejected', reason: 'unrecognized envelope: object with keys __proto__' },
    ]);
  });

  it('a "constructor" key does not reach Object', () => {
    const parsed: unknown = JSON.parse('{"constructor": {"name": "x"}, "cts": {"trace_name": "login"}}');
    expect(unwrapEnvelope(parsed, 'in')).toMatchObject([{ type: 'record', kind: 'cts' }]);
  });
});

describe('unwrapEnvelope on hostile nesting', () => {
  it(`envelopes nested deeper than ${MAX_ENVELOPE_DEPTH} levels are rejected, not followed`, () => {
    let message: unknown = { eventVersion: '1.08', eventSource: 'x', eventName: 'y' };
    for (let i = 0; i < 12; i++) message = { Type: 'Notification', Message: JSON.stringify(message) };
    expect(unwrapEnvelope(message, 'in')).toMatchObject([
      { type: 'rejected', reason: expect.stringMatching(/nested more than 8 levels/) },
    ]);
  });

  it('100 000 nested arrays end in one rejection', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(unwrapEnvelope(deep, 'in')).toHaveLength(1);
  });
});

const KEYS = [
  'Records',
  'Message',
  'detail',
  'data',
  'cts',
  'record',
  'message',
  'traces',
  'eventSource',
  'eventName',
  's3',
  'key',
  '__proto__',
  'constructor',
  'toString',
];
const VALUES = [
  'aws:s3',
  'aws:sns',
  'aws:sqs',
  'Notification',
  'ObjectCreated:Put',
  'CONTROL_MESSAGE',
  'AWSLogs/%zz',
  'a+b%3D',
  'CloudTrail-Digest/x',
];
const DETAIL_TYPES = [
  'AWS API Call via CloudTrail',
  'AWS Console Signin via CloudTrail',
  'Config Rules Compliance Change',
  'Other',
];
const CONFIG_MESSAGE_TYPES = ['ComplianceChangeNotification', 'ConfigurationItemChangeNotification'];
const optional = { requiredKeys: [] as [] };

/**
 * JSON shaped like the envelopes, with any field missing or replaced, nested in one another, sometimes as
 * JSON strings: random JSON alone almost never gets past the first detection step.
 */
const { envelope } = fc.letrec<{ envelope: unknown; embedded: unknown; leaf: unknown }>((tie) => ({
  leaf: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(...VALUES)),
  embedded: fc.oneof(
    tie('envelope'),
    tie('envelope').map((value) => JSON.stringify(value) ?? 'null'),
  ),
  envelope: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('envelope'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('envelope'), { maxKeys: 4 }),
    fc.record({ Records: fc.array(tie('envelope'), { maxLength: 3 }) }),
    fc.record(
      { Type: fc.constantFrom('Notification', 'SubscriptionConfirmation', 'Other'), Message: tie('embedded') },
      optional,
    ),
    fc.record({
      EventSource: fc.constant('aws:sns'),
      Sns: fc.record({ Type: tie('leaf'), Message: tie('embedded') }, optional),
    }),
    fc.record({ eventSource: fc.constant('aws:sqs'), messageId: tie('leaf'), body: tie('embedded') }, optional),
    fc.record({
      eventSource: fc.constant('aws:s3'),
      eventName: fc.constantFrom('ObjectCreated:Put', 'ObjectRemoved:Delete'),
      s3: fc.record(
        { bucket: fc.record({ name: tie('leaf') }), object: fc.record({ key: fc.oneof(fc.string(), tie('leaf')) }) },
        optional,
      ),
    }),
    fc.record({ s3Bucket: fc.string(), s3ObjectKey: fc.array(tie('leaf'), { maxLength: 3 }) }),
    fc.record(
      {
        'detail-type': fc.constantFrom(...DETAIL_TYPES),
        detail: tie('envelope'),
      },
      optional,
    ),
    fc.record({ messageType: fc.constantFrom(...CONFIG_MESSAGE_TYPES), recordVersion: fc.constant('1.0') }, optional),
    fc.record({ cts: tie('envelope') }),
    fc.record({ traces: fc.array(tie('envelope'), { maxLength: 3 }) }),
    fc.record({
      record: fc.array(
        fc.record({ smn: fc.record({ message_id: tie('leaf'), message: tie('embedded') }, optional) }, optional),
        {
          maxLength: 3,
        },
      ),
    }),
    fc
      .record(
        {
          messageType: fc.constantFrom('DATA_MESSAGE', 'CONTROL_MESSAGE'),
          logGroup: tie('leaf'),
          logEvents: fc.array(fc.record({ id: tie('leaf'), message: tie('embedded') }, optional), { maxLength: 3 }),
        },
        optional,
      )
      .map((payload) => ({ awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString('base64') } })),
  ),
}));

function expectWellFormed(items: IntakeItem[]): void {
  expect(items.length).toBeGreaterThanOrEqual(1);
  for (const item of items) {
    expect(['record', 'fetch', 'skipped', 'rejected']).toContain(item.type);
    expect(typeof item.position).toBe('string');
    // The last-resort catch in unwrapEnvelope is for exotic objects; plain JSON must never reach it.
    if (item.type === 'rejected') expect(item.reason).not.toMatch(/^could not unwrap/);
  }
}

describe('unwrapEnvelope properties', () => {
  it('never throws on arbitrary JSON and always says something', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectWellFormed(unwrapEnvelope(value, 'in'))),
      { numRuns: 500 },
    );
  });

  it('never throws on envelope-like JSON, including __proto__ and constructor keys', () => {
    fc.assert(
      fc.property(envelope, (value) => expectWellFormed(unwrapEnvelope(value, 'in'))),
      { numRuns: 2000 },
    );
  });

  it('never throws on random awslogs data', () => {
    const data = fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      envelope.map((payload) => gzipSync(Buffer.from(JSON.stringify(payload) ?? 'null')).toString('base64')),
    );
    fc.assert(fc.property(data, (value) => expectWellFormed(unwrapEnvelope({ awslogs: { data: value } }, 'in'))));
  });

  it('yields no more items than the input has characters', () => {
    fc.assert(
      fc.property(envelope, (value) => {
        expect(unwrapEnvelope(value, 'in').length).toBeLessThanOrEqual(Math.max(1, JSON.stringify(value)?.length ?? 0));
      }),
    );
  });
});
