import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { InvalidEventError } from '../shared/errors';
import { classifyAddress } from '../shared/normalize/ip';
import { normalizeCloudTrail, normalizeRecord, parseEventVersion } from '../shared/normalize';
import type { Actor, TraceEvent } from '../shared/normalize/trace-event';
import { validateTraceEvent } from '../shared/normalize/validate-trace-event';
import { thrown } from './support/thrown';

const EVENTS = join(__dirname, '..', 'events', 'aws');
const ACCOUNT = '444455556666';

type Json = Record<string, unknown>;
/** What a table row expects: any part of the event, any part of its actor. */
type Expected = Omit<Partial<TraceEvent>, 'actor'> & { actor?: Partial<Actor> };

function fixture(name: string): Json {
  return JSON.parse(readFileSync(join(EVENTS, `cloudtrail-${name}.json`), 'utf8')) as Json;
}

/** Normalizes and checks the result against the schema, as the pipeline does. */
function normalize(record: unknown): TraceEvent {
  const event = normalizeCloudTrail(record);
  validateTraceEvent(event);
  return event;
}

const ssoRole = 'AWSReservedSSO_PowerUserAccess_5c1e2f3a4b6d7e8f';

describe('normalizeCloudTrail on the fixtures', () => {
  test.each<[string, string, Expected]>([
    [
      'an IAM user console sign-in without MFA is a successful login with mfa false',
      'console-login-iam-user-no-mfa',
      {
        id: '7d0c9a52-3e4b-4f61-9a1d-2c85e4b07f13',
        time: '2024-06-03T07:41:09.000Z',
        cloud: 'aws',
        source: 'cloudtrail',
        service: 'signin.amazonaws.com',
        action: 'ConsoleLogin',
        category: 'login',
        outcome: 'success',
        actor: {
          type: 'IAMUser',
          id: 'AIDAWQ3EXAMPLEUSER01',
          name: 'mira.okafor',
          arn: `arn:aws:iam::${ACCOUNT}:user/mira.okafor`,
          account: ACCOUNT,
          mfa: false,
        },
        sourceAddress: '198.51.100.23',
        sourceAddressKind: 'ipv4',
        sourceIp: '198.51.100.23',
        region: 'us-east-1',
        account: ACCOUNT,
      },
    ],
    [
      'a root sign-in with MFAUsed YES counts as MFA',
      'console-login-root-mfa',
      {
        category: 'login',
        outcome: 'success',
        actor: { type: 'Root', name: 'root', account: ACCOUNT, mfa: true },
        sourceIp: '203.0.113.10',
      },
    ],
    [
      'a failed sign-in of an unknown user name is login-failed and keeps the hidden name',
      'console-login-failed-hidden-user',
      {
        category: 'login-failed',
        outcome: 'failure',
        error: { message: 'No username found in supplied account' },
        actor: { type: 'IAMUser', name: 'HIDDEN_DUE_TO_SECURITY_REASONS', account: ACCOUNT, mfa: false },
      },
    ],
    [
      'an Identity Center permission-set sign-in (AssumedRole, eventType AwsConsoleSignin) is a login named role/session',
      'console-login-assumed-role',
      {
        category: 'login',
        outcome: 'success',
        actor: { type: 'AssumedRole', name: `${ssoRole}/ines.duarte@example.com`, mfa: false },
      },
    ],
    [
      'a federated-user sign-in is named after the federated user and takes MFA from the session',
      'console-login-federated-user',
      {
        category: 'login',
        actor: { type: 'FederatedUser', name: 'ops-broker', id: `${ACCOUNT}:ops-broker`, mfa: false },
      },
    ],
    [
      'an Identity Center UserAuthentication is a sign-in step (other) whose actor is the onBehalfOf user',
      'identity-center-user-authentication',
      {
        category: 'other',
        outcome: 'success',
        actor: {
          type: 'IdentityCenterUser',
          id: '94a8d4c2-1071-70e3-5b6f-2c7d9e0a1b34',
          name: '94a8d4c2-1071-70e3-5b6f-2c7d9e0a1b34',
          account: ACCOUNT,
        },
      },
    ],
    [
      'a sign-in from IPv6 is an ipv6 address',
      'console-login-ipv6',
      {
        category: 'login',
        sourceAddress: '2001:db8:bad::17',
        sourceAddressKind: 'ipv6',
        sourceIp: '2001:db8:bad::17',
        actor: { type: 'IAMUser', mfa: true },
      },
    ],
    [
      'a CredentialChallenge from AWS Internal is an internal address, no sourceIp, category other',
      'aws-internal-source',
      {
        category: 'other',
        outcome: 'success',
        sourceAddress: 'AWS Internal',
        sourceAddressKind: 'internal',
        actor: { type: 'Unknown', id: ACCOUNT },
      },
    ],
    [
      'a call a service made shows the service name, invokedBy and the role it touched',
      'service-source',
      {
        category: 'api-call',
        action: 'AssumeRole',
        sourceAddress: 'lambda.amazonaws.com',
        sourceAddressKind: 'service',
        actor: { type: 'AWSService', name: 'lambda.amazonaws.com', invokedBy: 'lambda.amazonaws.com' },
        resource: { type: 'AWS::IAM::Role', id: `arn:aws:iam::${ACCOUNT}:role/service-role/report-builder-exec` },
        account: ACCOUNT,
        region: 'eu-central-1',
      },
    ],
    [
      'a leading-zero IPv4 address is kept exactly as written',
      'console-login-leading-zero-ipv4',
      {
        category: 'login',
        sourceAddress: '035.249.253.232',
        sourceAddressKind: classifyAddress('035.249.253.232').kind,
      },
    ],
    [
      'an eventVersion 1.02 record without recipientAccountId takes the account from userIdentity',
      'event-version-1-02',
      {
        time: '2015-03-11T10:04:21.000Z',
        category: 'api-call',
        outcome: 'success',
        account: ACCOUNT,
        actor: { type: 'Root', mfa: true, accessKeyId: 'ASIAWQ3EXAMPLEROOT01' },
        userAgent: '[S3Console/0.4]',
      },
    ],
    [
      'an AccessDenied call is a failed api-call with its error code and message',
      'access-denied',
      {
        category: 'api-call',
        outcome: 'failure',
        error: {
          code: 'AccessDenied',
          message: `User: arn:aws:iam::${ACCOUNT}:user/ci/build-bot is not authorized to perform: iam:CreateAccessKey on resource: user admin because no identity-based policy allows the iam:CreateAccessKey action`,
        },
        actor: { type: 'IAMUser', name: 'build-bot', accessKeyId: 'AKIAWQ3EXAMPLEBUILD1' },
      },
    ],
    [
      'an EC2 Client.UnauthorizedOperation call is a failed api-call of an assumed role without MFA',
      'ec2-unauthorized-operation',
      {
        category: 'api-call',
        outcome: 'failure',
        error: { code: 'Client.UnauthorizedOperation' },
        actor: { type: 'AssumedRole', name: 'batch-worker/i-0a1b2c3d4e5f60718', mfa: false, account: ACCOUNT },
      },
    ],
    [
      'an ordinary successful call is a successful api-call with no error',
      'api-call-success',
      {
        time: '2024-06-03T19:12:48.391Z',
        category: 'api-call',
        outcome: 'success',
        actor: { type: 'AssumedRole', name: 'ops-admin/mira.okafor', mfa: true },
        sourceIp: '203.0.113.45',
      },
    ],
  ])('%s', (_title, name, expected) => {
    const record = fixture(name);
    const event = normalize(record);
    expect(event).toMatchObject(expected);
    expect(event.raw).toBe(record);
    if (expected.outcome === 'success') expect(event.error).toBeUndefined();
  });

  test('every fixture normalizes to a schema-valid event with its eventID as id', () => {
    const names = readdirSync(EVENTS).filter((file) => file.startsWith('cloudtrail-'));
    expect(names.length).toBeGreaterThanOrEqual(13);
    for (const file of names) {
      const record = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as Json;
      expect(normalize(record).id).toBe(record['eventID']);
    }
  });

  test('empty access key ids of console sign-ins are left out', () => {
    expect(normalize(fixture('console-login-root-mfa')).actor.accessKeyId).toBeUndefined();
  });

  test('failed console sign-ins have no actor ARN', () => {
    expect(normalize(fixture('console-login-failed-hidden-user')).actor.arn).toBeUndefined();
  });

  test('sourceAddressKind and sourceIp come from classifyAddress', () => {
    const event = normalize(fixture('console-login-leading-zero-ipv4'));
    const classified = classifyAddress('035.249.253.232');
    expect(event.sourceAddressKind).toBe(classified.kind);
    expect(event.sourceIp).toBe(classified.ip);
  });
});

describe('normalizeCloudTrail rules', () => {
  const login = (): Json => fixture('console-login-iam-user-no-mfa');
  const call = (): Json => fixture('api-call-success');

  test.each([
    ['Yes', true],
    ['YES', true],
    ['yes', true],
    ['No', false],
    ['NO', false],
  ])('MFAUsed %s compares case-insensitively', (value, mfa) => {
    const record = login();
    record['additionalEventData'] = { MFAUsed: value };
    expect(normalize(record).actor.mfa).toBe(mfa);
  });

  test.each([
    ['"true"', 'true', true],
    ['"false"', 'false', false],
    ['boolean true', true, true],
    ['boolean false', false, false],
    ['"TRUE"', 'TRUE', true],
  ])('mfaAuthenticated %s is read as a boolean', (_name, value, mfa) => {
    const record = call();
    (record['userIdentity'] as { sessionContext: { attributes: Json } }).sessionContext.attributes['mfaAuthenticated'] =
      value;
    expect(normalize(record).actor.mfa).toBe(mfa);
  });

  test('an MFA flag that is neither yes nor no leaves mfa unknown', () => {
    const record = login();
    record['additionalEventData'] = { MFAUsed: 'maybe' };
    expect(normalize(record).actor).not.toHaveProperty('mfa');
  });

  test('a ConsoleLogin with an errorMessage but null responseElements is login-failed', () => {
    const record = login();
    record['responseElements'] = null;
    record['errorMessage'] = 'Failed authentication';
    expect(normalize(record)).toMatchObject({
      category: 'login-failed',
      outcome: 'failure',
      error: { message: 'Failed authentication' },
    });
  });

  test('a ConsoleLogin Failure without errorMessage is still a failure', () => {
    const record = login();
    record['responseElements'] = { ConsoleLogin: 'Failure' };
    expect(normalize(record)).toMatchObject({ category: 'login-failed', outcome: 'failure' });
  });

  test('a CheckMfa Failure is a failed sign-in step, category other', () => {
    const record = login();
    record['eventName'] = 'CheckMfa';
    record['responseElements'] = { CheckMfa: 'Failure' };
    expect(normalize(record)).toMatchObject({ category: 'other', outcome: 'failure' });
  });

  test.each(['AwsConsoleSignIn', 'AwsConsoleSignin', 'awsconsolesignin'])(
    'eventType %s marks a sign-in event whatever its casing',
    (eventType) => {
      const record = login();
      record['eventName'] = 'SwitchRole';
      record['eventSource'] = 'example.amazonaws.com';
      record['eventType'] = eventType;
      expect(normalize(record).category).toBe('other');
    },
  );

  test('no CloudTrail event becomes logout: the facts document no sign-out event', () => {
    for (const eventName of ['ConsoleLogout', 'SignOut', 'Logout']) {
      const record = login();
      record['eventName'] = eventName;
      expect(normalize(record).category).not.toBe('logout');
    }
  });

  test('an AwsServiceEvent outside sign-in is a service-event', () => {
    const record = call();
    record['eventType'] = 'AwsServiceEvent';
    expect(normalize(record).category).toBe('service-event');
  });

  test('an Insights record is other, not an api-call', () => {
    const record = call();
    record['eventType'] = 'AwsCloudTrailInsight';
    expect(normalize(record).category).toBe('other');
  });

  test('AwsConsoleAction and network-activity events are api-calls', () => {
    for (const eventType of ['AwsConsoleAction', 'AwsVpceEvents', undefined]) {
      const record = call();
      record['eventType'] = eventType;
      expect(normalize(record).category).toBe('api-call');
    }
  });

  test('numbers in string fields become strings and objects are dropped', () => {
    const record = call();
    record['recipientAccountId'] = 444455556666;
    record['userAgent'] = { agent: 'x' };
    record['awsRegion'] = ['eu-west-1'];
    record['errorCode'] = { code: 'AccessDenied' };
    const event = normalize(record);
    expect(event.account).toBe(ACCOUNT);
    expect(event).not.toHaveProperty('userAgent');
    expect(event).not.toHaveProperty('region');
    expect(event.outcome).toBe('success');
  });

  test('requestParameters and responseElements may be null', () => {
    const record = call();
    record['requestParameters'] = null;
    record['responseElements'] = null;
    expect(normalize(record).outcome).toBe('success');
  });

  test('a missing sourceIPAddress is an empty address', () => {
    const record = call();
    delete record['sourceIPAddress'];
    expect(normalize(record)).toMatchObject({ sourceAddress: '', sourceAddressKind: 'empty' });
    expect(normalize(record)).not.toHaveProperty('sourceIp');
  });

  test('a missing userIdentity gives an Unknown actor', () => {
    const record = call();
    delete record['userIdentity'];
    expect(normalize(record).actor).toEqual({ type: 'Unknown' });
  });

  test('an AssumedRole without sessionIssuer takes role and session from the ARN', () => {
    const record = call();
    const identity = record['userIdentity'] as Json;
    delete identity['sessionContext'];
    expect(normalize(record).actor.name).toBe('ops-admin/mira.okafor');
  });

  test('an empty resources list gives no resource', () => {
    const record = fixture('service-source');
    record['resources'] = [];
    expect(normalize(record)).not.toHaveProperty('resource');
  });

  test.each(['1.0', '1.01', '1.02', '1.03', '1.04', '1.05', '1.06', '1.07', '1.08', '1.09', '1.10', '1.11', '1.12'])(
    'eventVersion %s is accepted',
    (version) => {
      const record = call();
      record['eventVersion'] = version;
      expect(normalize(record).action).toBe('StopInstances');
    },
  );

  test('eventVersion compares as two integers: 1.10 is newer than 1.9', () => {
    const [ten, nine] = [parseEventVersion('1.10'), parseEventVersion('1.9')];
    expect(ten).toEqual({ major: 1, minor: 10 });
    expect(ten!.minor).toBeGreaterThan(nine!.minor);
    expect(parseEventVersion('one.two')).toBeUndefined();
  });

  test('a record without eventID gets a deterministic synthetic id, whatever the key order', () => {
    const record = call();
    delete record['eventID'];
    const reordered = Object.fromEntries(Object.entries(record).reverse());
    const id = normalize(record).id;
    expect(id).toMatch(/^synthetic:[0-9a-f]{64}$/);
    expect(normalize(reordered).id).toBe(id);
    expect(normalize({ ...record, eventName: 'StartInstances' }).id).not.toBe(id);
  });
});

describe('normalizeCloudTrail refuses what it cannot use', () => {
  const call = (): Json => fixture('api-call-success');

  test.each([
    ['null', null],
    ['an array', [fixture('api-call-success')]],
    ['a string', 'ConsoleLogin'],
    ['a number', 42],
  ])('%s is not a record', (_name, input) => {
    expect(thrown(() => normalizeCloudTrail(input))).toBeInstanceOf(InvalidEventError);
  });

  test.each([
    ['eventName is missing', (r: Json) => delete r['eventName']],
    ['eventName is blank', (r: Json) => (r['eventName'] = ' ')],
    ['eventSource is missing', (r: Json) => delete r['eventSource']],
    ['eventTime is missing', (r: Json) => delete r['eventTime']],
    ['eventTime is not a time', (r: Json) => (r['eventTime'] = 'last Tuesday')],
    ['eventVersion is an S3 notification version', (r: Json) => (r['eventVersion'] = '2.1')],
    ['eventVersion is not a version', (r: Json) => (r['eventVersion'] = 'latest')],
  ])('a record whose %s is rejected with its eventID', (_name, mutate) => {
    const record = call();
    mutate(record);
    const error = thrown(() => normalizeCloudTrail(record));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).recordId).toBe('1e3a5c7e-9b1d-4f3b-85d7-a9c1e3b5d7f9');
  });

  test.each([
    ['eventName', undefined, 'eventName missing'],
    ['eventName', ' ', 'eventName is blank'],
    ['eventName', ['ConsoleLogin'], 'eventName is an array, not a string'],
    ['eventSource', { name: 'iam.amazonaws.com' }, 'eventSource is an object, not a string'],
    ['eventSource', true, 'eventSource is a boolean, not a string'],
  ])('a record whose %s is %j says so: %s', (key, value, reason) => {
    const record = call();
    if (value === undefined) delete record[key];
    else record[key] = value;
    expect((thrown(() => normalizeCloudTrail(record)) as Error).message).toContain(reason);
  });

  test('fields inherited through the prototype chain are not read', () => {
    const inherited = Object.create(call()) as unknown;
    expect(thrown(() => normalizeCloudTrail(inherited))).toBeInstanceOf(InvalidEventError);
  });

  test('a __proto__ key in the JSON does not supply fields', () => {
    const record = JSON.parse(
      '{"__proto__": {"eventName": "ConsoleLogin"}, "eventSource": "signin.amazonaws.com", "eventTime": "2024-06-03T07:41:09Z"}',
    ) as unknown;
    expect(thrown(() => normalizeCloudTrail(record))).toBeInstanceOf(InvalidEventError);
  });
});

describe('normalizeRecord', () => {
  test('dispatches cloudtrail records to normalizeCloudTrail', () => {
    expect(normalizeRecord('cloudtrail', fixture('access-denied')).source).toBe('cloudtrail');
  });

  test.each(['aws-config', 'huawei-config', 'cloud-eye'] as const)(
    'refuses an empty %s record with a clear error',
    (kind) => {
      expect(thrown(() => normalizeRecord(kind, {}))).toBeInstanceOf(InvalidEventError);
    },
  );
});

describe('normalizeCloudTrail properties', () => {
  const fixtures = readdirSync(EVENTS)
    .filter((file) => file.startsWith('cloudtrail-'))
    .map((file) => JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as unknown);

  /** Either a schema-valid event or an InvalidEventError; anything else is a bug. */
  function normalizesOrRejects(record: unknown): void {
    try {
      validateTraceEvent(normalizeCloudTrail(record));
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
    }
  }

  test('arbitrary JSON values never throw anything but InvalidEventError', () => {
    fc.assert(fc.property(fc.jsonValue(), normalizesOrRejects), { numRuns: 500 });
  });

  test('records with CloudTrail keys and arbitrary values never throw anything but InvalidEventError', () => {
    const anyValue = fc.oneof(
      fc.jsonValue(),
      fc.string(),
      fc.constantFrom('1.08', '2024-06-03T07:41:09Z', 'ConsoleLogin', 'Failure', 'YES'),
    );
    const record = fc.record(
      {
        eventVersion: anyValue,
        eventName: anyValue,
        eventSource: anyValue,
        eventTime: anyValue,
        eventType: anyValue,
        eventID: anyValue,
        userIdentity: fc.oneof(
          anyValue,
          fc.record(
            { type: anyValue, userName: anyValue, arn: anyValue, sessionContext: anyValue },
            { requiredKeys: [] },
          ),
        ),
        sourceIPAddress: anyValue,
        responseElements: fc.oneof(anyValue, fc.record({ ConsoleLogin: anyValue })),
        additionalEventData: fc.oneof(anyValue, fc.record({ MFAUsed: anyValue })),
        errorCode: anyValue,
        resources: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(record, normalizesOrRejects), { numRuns: 500 });
  });

  test('fixtures with one field replaced or removed never throw anything but InvalidEventError', () => {
    fc.assert(fc.property(mutatedRecord(fixtures), normalizesOrRejects), { numRuns: 1000 });
  });
});

const REMOVE = Symbol('remove');

/** A fixture with one value, at any depth, replaced by arbitrary JSON or removed. */
function mutatedRecord(records: unknown[]): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.constantFrom(...records), fc.nat(), fc.oneof(fc.jsonValue(), fc.constant<typeof REMOVE>(REMOVE)))
    .map(([record, pick, value]) => {
      const copy = structuredClone(record);
      const paths = pathsOf(copy);
      const [parent, key] = paths[pick % paths.length]!;
      if (value === REMOVE) delete parent[key];
      else parent[key] = value;
      return copy;
    });
}

function pathsOf(value: unknown): [Record<string, unknown>, string][] {
  if (typeof value !== 'object' || value === null) return [];
  const container = value as Record<string, unknown>;
  return Object.keys(container).flatMap((key) => [
    [container, key] as [Record<string, unknown>, string],
    ...pathsOf(container[key]),
  ]);
}
