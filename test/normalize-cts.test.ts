import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { InvalidEventError } from '../shared/errors';
import { normalizeCts, normalizeRecord } from '../shared/normalize';
import type { Actor, TraceEvent } from '../shared/normalize/trace-event';
import { validateTraceEvent } from '../shared/normalize/validate-trace-event';
import { thrown } from './support/thrown';

const EVENTS = join(__dirname, '..', 'events', 'huaweicloud');
const DOMAIN_ID = '5f2c8a1e9b3d4c6f8a0e2b4d6f8a0c1e';

type Json = Record<string, unknown>;
/** What a table row expects: any part of the event, any part of its actor. */
type Expected = Omit<Partial<TraceEvent>, 'actor'> & { actor?: Partial<Actor> };

function fixture(name: string): Json {
  return JSON.parse(readFileSync(join(EVENTS, `cts-${name}.json`), 'utf8')) as Json;
}

function normalize(trace: unknown): TraceEvent {
  const event = normalizeCts(trace);
  validateTraceEvent(event);
  return event;
}

describe('normalizeCts on the fixtures', () => {
  test.each<[string, string, Expected]>([
    [
      'an IAM login from a non-whitelisted address (10.65.56.139) is a successful login',
      'login-outside-ip',
      {
        id: '3d8e1f52-2161-11ef-9c4a-0242ac120007',
        time: '2024-06-03T07:53:54.567Z',
        cloud: 'huaweicloud',
        source: 'cts',
        service: 'IAM',
        action: 'login',
        category: 'login',
        outcome: 'success',
        actor: {
          type: 'user',
          name: 'dev-lin',
          id: '8b2e4d6f0a1c3e5b7d9f1a3c5e7b9d0f',
          account: DOMAIN_ID,
          accountName: 'acme-cloud',
        },
        sourceAddress: '10.65.56.139',
        sourceAddressKind: 'ipv4',
        sourceIp: '10.65.56.139',
        account: DOMAIN_ID,
        resource: { type: 'user', name: 'dev-lin', id: '8b2e4d6f0a1c3e5b7d9f1a3c5e7b9d0f' },
      },
    ],
    [
      'a login from the office address with code 200 and only the deprecated trace_status is a success',
      'login-whitelisted-ip',
      {
        category: 'login',
        outcome: 'success',
        sourceIp: '203.0.113.10',
        time: '2024-06-03T08:04:35.002Z',
        actor: { name: 'ops-wang' },
      },
    ],
    [
      'a logout from an IPv6 address is a logout',
      'logout',
      { category: 'logout', outcome: 'success', sourceAddressKind: 'ipv6', sourceIp: '2001:db8:1::25' },
    ],
    [
      'loginFailed is login-failed and a failure',
      'login-failed',
      {
        category: 'login-failed',
        outcome: 'failure',
        sourceIp: '198.51.100.9',
        error: { message: 'password verification failed' },
      },
    ],
    [
      'a 403 call with a JSON-text error body fails with the HTTP code and the service code in the message',
      'api-call-forbidden',
      {
        category: 'api-call',
        outcome: 'failure',
        error: { code: '403', message: 'IAM.0002: You do not have permission to perform this action.' },
        actor: { type: 'user', name: 'build-bot', accessKeyId: 'HPUAEXAMPLE0BUILDBOT1' },
        userAgent: 'huaweicloud-usdk-python/3.0',
      },
    ],
    [
      'a system action with a null user and an empty address is done by system, from an empty address',
      'system-action',
      {
        category: 'api-call',
        outcome: 'success',
        actor: { type: 'system' },
        sourceAddress: '',
        sourceAddressKind: 'empty',
        account: DOMAIN_ID,
      },
    ],
    [
      'a trace with epoch-millisecond text as time is read as milliseconds',
      'time-string',
      { time: '2024-06-03T13:00:00.123Z', outcome: 'success', resource: { type: 'vpc', name: 'vpc-analytics' } },
    ],
    [
      'a trace with the console date-string time is converted to UTC and takes the account from the user domain',
      'console-date-time',
      { time: '2024-06-03T08:20:45.000Z', account: DOMAIN_ID, actor: { account: DOMAIN_ID } },
    ],
    [
      'user, request and response as JSON text are parsed; code "200" is a success',
      'json-string-request-response',
      {
        outcome: 'success',
        actor: {
          type: 'user',
          name: 'deploy-bot',
          mfa: false,
          invokedBy: 'service.console',
          accountName: 'acme-cloud',
        },
        sourceAddressKind: 'ipv6',
        sourceIp: '2001:db8:1::40',
      },
    ],
  ])('%s', (_title, name, expected) => {
    const trace = fixture(name);
    const event = normalize(trace);
    expect(event).toMatchObject(expected);
    expect(event.raw).toBe(trace);
    if (expected.outcome === 'success') expect(event.error).toBeUndefined();
  });

  test('every fixture normalizes to a schema-valid event with its trace_id as id', () => {
    const names = readdirSync(EVENTS).filter((file) => file.startsWith('cts-'));
    expect(names.length).toBeGreaterThanOrEqual(9);
    for (const file of names) {
      const trace = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as Json;
      expect(normalize(trace).id).toBe(trace['trace_id']);
    }
  });

  test('a system action has no sourceIp and no actor details', () => {
    const event = normalize(fixture('system-action'));
    expect(event).not.toHaveProperty('sourceIp');
    expect(event.actor).toEqual({ type: 'system' });
  });
});

describe('normalizeCts rules', () => {
  const login = (): Json => fixture('login-outside-ip');
  const call = (): Json => fixture('time-string');

  test.each([
    ['login', 'login'],
    ['logout', 'logout'],
    ['loginFailed', 'login-failed'],
    ['loginfailed', 'login-failed'],
    ['LOGINFAILED', 'login-failed'],
    ['iamUserSsoLoginSuccess', 'login'],
    ['oidcLoginFailed', 'login-failed'],
    ['scanQRCodeLogin', 'login'],
    ['switchRole', 'api-call'],
    ['createCredential', 'api-call'],
  ])('trace name %s is %s', (traceName, category) => {
    const trace = login();
    trace['trace_name'] = traceName;
    expect(normalize(trace).category).toBe(category);
  });

  test.each<[string, Json, string, TraceEvent['error']]>([
    [
      'code 200 with rating warning and a VPC error body (the official example) is a failure',
      { code: 200, trace_rating: 'warning', response: { code: 'VPC.0514', message: 'Update port fail.' } },
      'failure',
      { code: 'VPC.0514', message: 'Update port fail.' },
    ],
    [
      'code 0 with rating normal (the real FunctionGraph trace) is a success',
      { code: 0, trace_rating: 'normal' },
      'success',
      undefined,
    ],
    ['code 0 alone is unknown', { code: 0 }, 'unknown', undefined],
    ['no code and no rating is unknown', {}, 'unknown', undefined],
    ['code 302 is a success', { code: 302 }, 'success', undefined],
    ['code "401" as text is a failure with code 401', { code: '401' }, 'failure', { code: '401' }],
    [
      'code 500 with a non-JSON response keeps the remark as message',
      { code: 500, response: 'upstream timeout', message: 'create vpc failed' },
      'failure',
      { code: '500', message: 'create vpc failed' },
    ],
    ['rating incident is a failure', { trace_rating: 'incident' }, 'failure', undefined],
    ['trace_status warning alone is a failure', { trace_status: 'warning' }, 'failure', undefined],
    ['rating normal but code 403 is a failure', { trace_rating: 'normal', code: 403 }, 'failure', { code: '403' }],
    [
      'an {error: {code, message}} body as JSON text',
      { code: 401, response: '{"error":{"code":"APIGW.0301","message":"Incorrect IAM authentication information"}}' },
      'failure',
      { code: '401', message: 'APIGW.0301: Incorrect IAM authentication information' },
    ],
    [
      'an {error_code, error_msg} body without HTTP code gives the service code',
      { response: { error_code: 'SMN.0001', error_msg: 'No permission to request resources' } },
      'failure',
      { code: 'SMN.0001', message: 'No permission to request resources' },
    ],
    [
      'a success body with an ordinary code field stays a success',
      { code: 200, trace_rating: 'normal', response: { code: 'ok', message: 'created' } },
      'success',
      undefined,
    ],
  ])('%s', (_title, fields, outcome, error) => {
    const trace = call();
    for (const key of ['code', 'trace_rating', 'trace_status', 'response', 'message']) delete trace[key];
    Object.assign(trace, fields);
    const event = normalize(trace);
    expect(event.outcome).toBe(outcome);
    expect(event.error).toEqual(error);
  });

  test.each(['login', 'logout'])(
    'a %s trace without code or rating counts as a success: failed sign-ins have their own trace name',
    (traceName) => {
      const trace = login();
      trace['trace_name'] = traceName;
      delete trace['trace_rating'];
      delete trace['code'];
      expect(normalize(trace).outcome).toBe('success');
    },
  );

  test('a loginFailed trace with rating normal is still a failure', () => {
    const trace = login();
    trace['trace_name'] = 'loginFailed';
    expect(normalize(trace).outcome).toBe('failure');
  });

  test.each<[string, unknown, Partial<TraceEvent['actor']>]>([
    ['a bare name', 'ops-wang', { type: 'user', name: 'ops-wang' }],
    [
      'JSON text',
      '{"name":"ops-wang","id":"u1","domain":{"name":"acme","id":"d1"}}',
      { type: 'user', name: 'ops-wang', id: 'u1', account: 'd1', accountName: 'acme' },
    ],
    ['text that is not JSON', '{broken', { type: 'user', name: '{broken' }],
    [
      'the newer user_name, account_id and principal_urn fields',
      { user_name: 'ops-wang', account_id: 'd1', principal_urn: 'iam::d1:user:ops-wang', principal_id: 'p1' },
      { name: 'ops-wang', account: 'd1', arn: 'iam::d1:user:ops-wang', id: 'p1' },
    ],
    [
      'an MFA flag as a boolean',
      { name: 'ops-wang', session_context: { attributes: { mfa_authenticated: true } } },
      { mfa: true },
    ],
    ['an empty object on a console action', {}, { type: 'user' }],
  ])('user given as %s is read', (_name, user, actor) => {
    const trace = login();
    trace['user'] = user;
    expect(normalize(trace).actor).toMatchObject(actor);
  });

  test('a system action with an empty user object is done by system', () => {
    const trace = fixture('system-action');
    trace['user'] = {};
    expect(normalize(trace).actor).toEqual({ type: 'system' });
  });

  test('a system action with a named user is done by that user', () => {
    const trace = fixture('system-action');
    trace['user'] = { name: 'op_service', id: 'svc1' };
    expect(normalize(trace).actor).toMatchObject({ type: 'user', name: 'op_service' });
  });

  test('resource_id given as {} (FunctionGraph console template) is dropped', () => {
    const trace = login();
    trace['resource_id'] = {};
    expect(normalize(trace).resource).toEqual({ type: 'user', name: 'dev-lin' });
  });

  test('record_time stands in when time is missing or not a time', () => {
    const trace = login();
    trace['time'] = 'soon';
    expect(normalize(trace).time).toBe('2024-06-03T07:53:54.979Z');
  });

  test('epoch seconds as in the OTC community sample are read as seconds', () => {
    const trace = login();
    trace['time'] = 1529996047;
    expect(normalize(trace).time).toBe('2018-06-26T06:54:07.000Z');
  });

  test('region is taken when the trace has one', () => {
    const trace = login();
    trace['region'] = 'eu-de';
    expect(normalize(trace).region).toBe('eu-de');
  });

  test('a missing source_ip is an empty address', () => {
    const trace = login();
    trace['source_ip'] = null;
    expect(normalize(trace)).toMatchObject({ sourceAddress: '', sourceAddressKind: 'empty' });
  });

  test('a trace without trace_id gets a deterministic synthetic id', () => {
    const trace = login();
    delete trace['trace_id'];
    const id = normalize(trace).id;
    expect(id).toMatch(/^synthetic:[0-9a-f]{64}$/);
    expect(normalize(Object.fromEntries(Object.entries(trace).reverse())).id).toBe(id);
  });

  test('normalizeRecord dispatches cts traces to normalizeCts', () => {
    expect(normalizeRecord('cts', login()).source).toBe('cts');
  });
});

describe('normalizeCts refuses what it cannot use', () => {
  test.each([
    ['null', null],
    ['an array', []],
    ['a string', 'login'],
  ])('%s is not a trace', (_name, input) => {
    expect(thrown(() => normalizeCts(input))).toBeInstanceOf(InvalidEventError);
  });

  test.each([
    ['trace_name is missing', (t: Json) => delete t['trace_name']],
    ['service_type is missing', (t: Json) => delete t['service_type']],
    ['neither time nor record_time is a time', (t: Json) => Object.assign(t, { time: 'soon', record_time: -5 })],
  ])('a trace whose %s is rejected with its trace_id', (_name, mutate) => {
    const trace = fixture('login-outside-ip');
    mutate(trace);
    const error = thrown(() => normalizeCts(trace));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).recordId).toBe('3d8e1f52-2161-11ef-9c4a-0242ac120007');
  });

  test('a whole FunctionGraph trigger event is refused with a hint to pass its cts member', () => {
    const error = thrown(() => normalizeCts({ cts: fixture('login-outside-ip') }));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toMatch(/cts/);
  });

  test('fields inherited through the prototype chain are not read', () => {
    expect(thrown(() => normalizeCts(Object.create(fixture('login-outside-ip')) as unknown))).toBeInstanceOf(
      InvalidEventError,
    );
  });
});

describe('normalizeCts properties', () => {
  const fixtures = readdirSync(EVENTS)
    .filter((file) => file.startsWith('cts-'))
    .map((file) => JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as unknown);

  function normalizesOrRejects(trace: unknown): void {
    try {
      validateTraceEvent(normalizeCts(trace));
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
    }
  }

  test('arbitrary JSON values never throw anything but InvalidEventError', () => {
    fc.assert(fc.property(fc.jsonValue(), normalizesOrRejects), { numRuns: 500 });
  });

  test('traces with CTS keys and arbitrary values never throw anything but InvalidEventError', () => {
    const anyValue = fc.oneof(
      fc.jsonValue(),
      fc.string(),
      fc.constantFrom(
        'login',
        'loginFailed',
        'IAM',
        1717401234567,
        '2016/12/08 11:07:28 GMT+08:00',
        'warning',
        '{"error_code":"IAM.0002"}',
        403,
      ),
    );
    const trace = fc.record(
      {
        trace_id: anyValue,
        trace_name: anyValue,
        service_type: anyValue,
        time: anyValue,
        record_time: anyValue,
        trace_type: anyValue,
        trace_rating: anyValue,
        code: anyValue,
        user: fc.oneof(
          anyValue,
          fc.record({ name: anyValue, id: anyValue, domain: anyValue, invoked_by: anyValue }, { requiredKeys: [] }),
        ),
        source_ip: anyValue,
        request: anyValue,
        response: fc.oneof(
          anyValue,
          fc.record({ error: anyValue, error_code: anyValue, code: anyValue, message: anyValue }, { requiredKeys: [] }),
        ),
        resource_id: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(trace, normalizesOrRejects), { numRuns: 500 });
  });

  test('fixtures with one field replaced or removed never throw anything but InvalidEventError', () => {
    const mutated = fc
      .tuple(fc.constantFrom(...fixtures), fc.nat(), fc.option(fc.jsonValue(), { nil: undefined }))
      .map(([trace, pick, value]) => {
        const copy = structuredClone(trace) as Json;
        const keys = Object.keys(copy);
        const key = keys[pick % keys.length]!;
        if (value === undefined) delete copy[key];
        else copy[key] = value;
        return copy;
      });
    fc.assert(fc.property(mutated, normalizesOrRejects), { numRuns: 1000 });
  });
});
