/**
 * Bad input loses nothing: over every intake path of both clouds, each bad record is reported (a
 * `record rejected` warn line with the reason and where it was, and the invocation's `rejected`
 * counter), the good outsider login mixed into the same batch is still alerted, and nothing crashes
 * or hangs. Lenient cases (odd addresses, every time format) are processed and alerted as they should.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import {
  loginWhitelist,
  RULE_NON_IP_SOURCE,
  RULE_OUTSIDE_WHITELIST,
} from '../functions/login-whitelist/login-whitelist';
import { FIELD_MAX_CHARS, MESSAGE_MAX_BYTES, TRUNCATION_MARKER } from '../shared/alert/alert-text';
import { FetchError } from '../shared/errors';
import { createLogger } from '../shared/platform/logger';
import { invokeDetector } from '../shared/platform/invoke';
import { captureLog } from './support/capture-log';
import { gzipBomb } from './support/gzip-bomb';
import {
  BUCKET,
  FIELDS,
  goodLogin,
  INTAKE_PATHS,
  outsiderLogin,
  type Batch,
  type Cloud,
  type IntakePath,
} from './support/intake-paths';
import { memorySink } from './support/memory-sink';

const WHITELIST = '203.0.113.0/24, 2001:db8:1::/48';
const config = loginWhitelist.loadConfig({ IP_WHITELIST: WHITELIST });
/** Small, so the bomb stays light; the production default follows the function's memory. */
const TEST_DECOMPRESSED_CAP = 32 * 1024 * 1024;
/** No log line may carry a megabyte of attacker text. */
const MAX_LOG_LINE = 10_000;

afterEach(() => {
  // `__proto__`/`constructor` keys anywhere in any input must never reach Object.prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('isAdmin');
});

async function invoke(batch: Batch) {
  const log = captureLog();
  const sink = memorySink();
  const result = await invokeDetector(loginWhitelist, config, batch.event, {
    log: createLogger({ level: 'debug', name: 'login-whitelist' }, log.destination),
    sinks: () => [sink],
    fetchObject: async (bucket, key) => {
      const object = bucket === BUCKET ? batch.objects.get(key) : undefined;
      if (!object) throw new FetchError(`NoSuchKey: ${key}`, false);
      return object;
    },
    maxDecompressedBytes: TEST_DECOMPRESSED_CAP,
  });
  for (const line of log.raw) expect(line.length).toBeLessThan(MAX_LOG_LINE);
  return { result, log, alerts: sink.alerts };
}

// --- the case table ----------------------------------------------------------------------------------

type Expectation =
  | { kind: 'rejected'; reason?: RegExp }
  | { kind: 'alert'; rule: string; sourceIp?: string; time?: string }
  | { kind: 'quiet' };

interface RecordCase {
  name: string;
  /** JSON text of the record (not JSON at all for `textOnly`); undefined when the case is not for this cloud. */
  text(cloud: Cloud): string | undefined;
  /** Only for envelopes that carry records as text: it cannot be put inside a JSON envelope. */
  textOnly?: boolean;
  expect: Expectation;
}

const CASE_ADDRESS = '192.0.2.44';
const caseId = (cloud: Cloud) => `case-${cloud}-record`;

/** The case's login: its own id and address, so its alert never folds into the good login's. */
function caseRecord(
  cloud: Cloud,
  overrides: Record<string, unknown> = {},
  drop: readonly string[] = [],
): Record<string, unknown> {
  const record = outsiderLogin(cloud, {
    [FIELDS[cloud].id]: caseId(cloud),
    [FIELDS[cloud].address]: CASE_ADDRESS,
    ...overrides,
  });
  for (const field of drop) delete record[field];
  return record;
}

const caseText = (cloud: Cloud, overrides: Record<string, unknown> = {}, drop: readonly string[] = []) =>
  JSON.stringify(caseRecord(cloud, overrides, drop));

/** The record with `field` set to raw JSON text: values JS cannot build or stringify (deep nesting, `__proto__`). */
function withRawField(cloud: Cloud, field: string, json: string, drop: readonly string[] = []): string {
  const rest = JSON.stringify(caseRecord(cloud, {}, [field, ...drop]));
  return `{${JSON.stringify(field)}:${json},${rest.slice(1)}`;
}

/** CTS falls back to record_time when time is unusable; to test a time, take record_time away. */
const timeDrop = (cloud: Cloud) => (cloud === 'huaweicloud' ? ['record_time'] : []);
const deep = (depth: number, leaf = '1') => '['.repeat(depth) + leaf + ']'.repeat(depth);
const rejected = (reason?: RegExp): Expectation => ({ kind: 'rejected', reason });
const outside = (sourceIp?: string, time?: string): Expectation => ({
  kind: 'alert',
  rule: RULE_OUTSIDE_WHITELIST,
  sourceIp,
  time,
});
const notAnIp: Expectation = { kind: 'alert', rule: RULE_NON_IP_SOURCE };
/** Case texts are made once per cloud: some are megabytes, and every path uses them. */
function memo(make: (cloud: Cloud) => string | undefined): (cloud: Cloud) => string | undefined {
  const made = new Map<Cloud, string | undefined>();
  return (cloud) => {
    if (!made.has(cloud)) made.set(cloud, make(cloud));
    return made.get(cloud);
  };
}
const both = (make: (cloud: Cloud) => string) => memo(make);
const awsOnly = (make: (cloud: Cloud) => string) => memo((cloud) => (cloud === 'aws' ? make(cloud) : undefined));

const BAD_RECORDS: RecordCase[] = [
  { name: 'a record missing its action', text: both((c) => caseText(c, {}, [FIELDS[c].name])), expect: rejected() },
  { name: 'a record missing its service', text: both((c) => caseText(c, {}, [FIELDS[c].service])), expect: rejected() },
  {
    name: 'a record missing its time',
    text: both((c) => caseText(c, {}, [FIELDS[c].time, ...timeDrop(c)])),
    expect: rejected(/time/),
  },
  { name: 'an empty object', text: both(() => '{}'), expect: rejected() },
  { name: 'a number instead of a record', text: both(() => '42'), expect: rejected() },
  { name: 'a string instead of a record', text: both(() => '"ConsoleLogin from 198.51.100.7"'), expect: rejected() },
  { name: 'null instead of a record', text: both(() => 'null'), expect: rejected() },
  {
    name: 'an action that is an object',
    text: both((c) => caseText(c, { [FIELDS[c].name]: { login: true } })),
    expect: rejected(),
  },
  {
    name: 'an action that is a list',
    text: both((c) => caseText(c, { [FIELDS[c].name]: ['ConsoleLogin', 'login'] })),
    expect: rejected(),
  },
  { name: 'a service that is null', text: both((c) => caseText(c, { [FIELDS[c].service]: null })), expect: rejected() },
  {
    name: 'a time that is a boolean',
    text: both((c) => caseText(c, { [FIELDS[c].time]: true }, timeDrop(c))),
    expect: rejected(/time/),
  },
  {
    name: 'a time that is an object',
    text: both((c) => caseText(c, { [FIELDS[c].time]: { $date: '2026-11-24T09:14:22Z' } }, timeDrop(c))),
    expect: rejected(/time/),
  },
  {
    name: 'a one-megabyte time',
    text: both((c) => caseText(c, { [FIELDS[c].time]: '2'.repeat(1_000_000) }, timeDrop(c))),
    expect: rejected(/time/),
  },
  {
    name: 'a time nested 100,000 levels deep',
    text: both((c) => withRawField(c, FIELDS[c].time, deep(100_000), timeDrop(c))),
    expect: rejected(/time/),
  },
  {
    name: 'required fields only inherited through a __proto__ key',
    text: both((c) => {
      const inherited = JSON.stringify({
        [FIELDS[c].name]: c === 'aws' ? 'ConsoleLogin' : 'login',
        [FIELDS[c].service]: c === 'aws' ? 'signin.amazonaws.com' : 'IAM',
        polluted: true,
      });
      return withRawField(c, '__proto__', inherited, [FIELDS[c].name, FIELDS[c].service]);
    }),
    expect: rejected(),
  },
  {
    name: 'an unknown event shape',
    text: both(() => '{"hello":"world","nested":{"a":[1,2,3]},"Records":"not a list"}'),
    expect: rejected(),
  },
  {
    name: 'an unknown shape holding a megabyte of text',
    text: both(() => JSON.stringify({ data: 'x'.repeat(1_000_000) })),
    expect: rejected(),
  },
  {
    name: 'an unsupported eventVersion',
    text: awsOnly((c) => caseText(c, { eventVersion: '2.0' })),
    expect: rejected(/eventVersion/),
  },
  {
    name: 'a one-megabyte eventVersion',
    text: awsOnly((c) => caseText(c, { eventVersion: '1.'.padEnd(1_000_000, '9') })),
    expect: rejected(/eventVersion/),
  },
  {
    name: 'an eventVersion nested 100,000 levels deep',
    text: awsOnly((c) => withRawField(c, 'eventVersion', deep(100_000, '"1.08"'))),
    expect: rejected(/eventVersion/),
  },

  // Not JSON: only envelopes that carry records as text can hold these.
  { name: 'truncated JSON', textOnly: true, text: both((c) => caseText(c).slice(0, 120)), expect: rejected(/JSON/) },
  {
    name: 'JSON with trailing garbage',
    textOnly: true,
    text: both((c) => `${caseText(c)}}garbage`),
    expect: rejected(/JSON/),
  },
  {
    name: 'single-quoted pseudo-JSON',
    textOnly: true,
    text: both(() => "{'eventName': 'ConsoleLogin', 'trace_name': 'login'}"),
    expect: rejected(/JSON/),
  },
  {
    name: 'NaN and undefined literals',
    textOnly: true,
    text: both((c) => `{"${FIELDS[c].time}": NaN, "x": undefined}`),
    expect: rejected(/JSON/),
  },
  {
    name: 'a raw control character inside a string',
    textOnly: true,
    text: both((c) => caseText(c, { [FIELDS[c].agent]: 'agent\u0001' }).replace('\\u0001', '\u0001')),
    expect: rejected(/JSON/),
  },
  {
    name: 'plain text',
    textOnly: true,
    text: both(() => 'ConsoleLogin from 198.51.100.7 by alice'),
    expect: rejected(/JSON/),
  },
];

const LENIENT_RECORDS: RecordCase[] = [
  {
    name: 'a login without an event id (a synthetic id is made)',
    text: both((c) => caseText(c, {}, [FIELDS[c].id])),
    expect: outside(CASE_ADDRESS),
  },
  {
    name: 'a login without an id whose request is nested 100,000 levels deep',
    // 20,000 levels: far past what a recursive walk survives (a few thousand frames).
    text: both((c) => withRawField(c, c === 'aws' ? 'requestParameters' : 'request', deep(20_000), [FIELDS[c].id])),
    expect: outside(CASE_ADDRESS),
  },
  {
    name: 'a login with __proto__ and constructor keys',
    text: both((c) =>
      withRawField(c, '__proto__', '{"polluted":true,"isAdmin":true}').replace(
        /^\{/,
        '{"constructor":{"prototype":{"polluted":true}},',
      ),
    ),
    expect: outside(CASE_ADDRESS),
  },
  {
    name: 'a login whose identity is a bare string',
    text: both((c) => caseText(c, { [c === 'aws' ? 'userIdentity' : 'user']: 'root' })),
    expect: outside(CASE_ADDRESS),
  },
  {
    name: 'a login whose user name is nested 10,000 levels deep',
    text: both((c) => caseText(c).replace(/"userName":"[^"]*"|"name":"dev-lin"/, `"userName":${deep(10_000)}`)),
    expect: outside(CASE_ADDRESS),
  },
  {
    name: 'a login with a two-megabyte user agent',
    text: both((c) => caseText(c, { [FIELDS[c].agent]: 'Mozilla/5.0 '.repeat(180_000) })),
    expect: outside(CASE_ADDRESS),
  },
  {
    name: 'a login with 100,000 extra keys',
    text: both(
      (c) => `{${Array.from({ length: 100_000 }, (_, i) => `"extra${i}":${i}`).join(',')},${caseText(c).slice(1)}`,
    ),
    expect: outside(CASE_ADDRESS),
  },
  {
    name: 'a login with a lone surrogate escape in the user agent',
    text: both((c) => caseText(c, { [FIELDS[c].agent]: 'PLACEHOLDER' }).replace('PLACEHOLDER', '\\ud800x')),
    expect: outside(CASE_ADDRESS),
  },
  {
    name: 'a login whose eventVersion is a number',
    text: awsOnly((c) => caseText(c, { eventVersion: 1.08 })),
    expect: outside(CASE_ADDRESS),
  },
];

/** Source addresses: what is an IP is matched exactly; what is not is alerted as such, never let through. */
const ADDRESSES: [label: string, address: unknown, expectation: Expectation][] = [
  ['AWS Internal', 'AWS Internal', notAnIp],
  ['a service host name', 'signin.amazonaws.com', notAnIp],
  ['an empty address', '', notAnIp],
  ['free text', 'not an address', notAnIp],
  ['an address with a port', '198.51.100.7:443', notAnIp],
  ['an out-of-range IPv4', '300.1.1.1', notAnIp],
  ['a three-part IPv4', '1.2.3', notAnIp],
  ['a hexadecimal IPv4', '0x7f.0.0.1', notAnIp],
  ['a whitelisted IPv4 with a zone id (not an address)', '203.0.113.5%eth0', notAnIp],
  ['a whitelisted IPv4 in brackets (not an address)', '[203.0.113.5]', notAnIp],
  ['a whitelisted IPv4 behind a bidi override', '\u202e203.0.113.5', notAnIp],
  ['a number', 42, notAnIp],
  ['an object', { ip: '203.0.113.5' }, notAnIp],
  ['a list holding a whitelisted address', ['203.0.113.5'], notAnIp],
  ['IPv6 with a zone id outside the whitelist', 'fe80::1%eth0', outside('fe80::1')],
  ['IPv6 with a zone id inside the whitelist', '2001:db8:1::5%eth0', { kind: 'quiet' }],
  ['bracketed IPv6 inside the whitelist', '[2001:db8:1::5]', { kind: 'quiet' }],
  ['upper-case uncompressed IPv6', '2001:DB8:BAD:0:0:0:0:1', outside('2001:db8:bad::1')],
  ['leading-zero IPv4 outside the whitelist (read as decimal)', '035.249.253.232', outside('35.249.253.232')],
  ['leading-zero IPv4 inside the whitelist (read as decimal)', '203.000.113.005', { kind: 'quiet' }],
  ['IPv4-mapped IPv6 inside the whitelist', '::ffff:203.0.113.5', { kind: 'quiet' }],
  ['IPv4-mapped IPv6 outside the whitelist', '::ffff:198.51.100.9', outside('198.51.100.9')],
  ['an address with surrounding spaces', ` ${CASE_ADDRESS} `, outside(CASE_ADDRESS)],
];

const MS = Date.UTC(2026, 10, 24, 9, 14, 22);
/** Every time format the providers write, and what it means. */
const TIMES: [label: string, value: unknown, iso: string][] = [
  ['ISO-8601 with Z', '2026-11-24T09:14:22Z', '2026-11-24T09:14:22.000Z'],
  ['ISO-8601 with microseconds', '2026-11-24T09:14:22.123456Z', '2026-11-24T09:14:22.123Z'],
  ['ISO-8601 with a comma fraction', '2026-11-24T09:14:22,5Z', '2026-11-24T09:14:22.500Z'],
  ['ISO-8601 with +01:00', '2026-11-24T10:14:22+01:00', '2026-11-24T09:14:22.000Z'],
  ['ISO-8601 with +0100', '2026-11-24T10:14:22+0100', '2026-11-24T09:14:22.000Z'],
  ['ISO-8601 with -05', '2026-11-24T04:14:22-05', '2026-11-24T09:14:22.000Z'],
  ['date and time without a zone (UTC)', '2026-11-24 09:14:22', '2026-11-24T09:14:22.000Z'],
  ['the CTS console form', '2026/11/24 17:14:22 GMT+08:00', '2026-11-24T09:14:22.000Z'],
  ['epoch milliseconds', MS, '2026-11-24T09:14:22.000Z'],
  ['epoch milliseconds as text', String(MS), '2026-11-24T09:14:22.000Z'],
  ['epoch seconds', MS / 1000, '2026-11-24T09:14:22.000Z'],
  ['epoch seconds with a fraction', MS / 1000 + 0.25, '2026-11-24T09:14:22.250Z'],
];
const BAD_TIMES: [label: string, value: unknown][] = [
  ['a word', 'yesterday'],
  ['February 30th', '2026-02-30T00:00:00Z'],
  ['month 13', '2026-13-01T00:00:00Z'],
  ['hour 24', '2026-11-24T24:00:00Z'],
  ['minute 60', '2026-11-24T09:60:00Z'],
  ['an empty string', ''],
  ['blanks', '   '],
  ['a negative epoch', -1],
  ['an epoch past year 9999', 1e20],
  ['NaN as text', 'NaN'],
  ['Infinity as text', 'Infinity'],
  ['trailing text', '2026-11-24T09:14:22Z and then some'],
  ['day-first', '24/11/2026 09:14'],
  ['65 digits', '1'.repeat(65)],
];

const RECORD_CASES: RecordCase[] = [
  ...BAD_RECORDS,
  ...LENIENT_RECORDS,
  ...ADDRESSES.map(
    ([label, address, expectation]): RecordCase => ({
      name: `source address: ${label}`,
      text: both((c) => caseText(c, { [FIELDS[c].address]: address })),
      expect: expectation,
    }),
  ),
  ...TIMES.map(
    ([label, value, iso]): RecordCase => ({
      name: `time: ${label}`,
      text: both((c) => caseText(c, { [FIELDS[c].time]: value }, timeDrop(c))),
      expect: outside(CASE_ADDRESS, iso),
    }),
  ),
  ...BAD_TIMES.map(
    ([label, value]): RecordCase => ({
      name: `invalid time: ${label}`,
      text: both((c) => caseText(c, { [FIELDS[c].time]: value }, timeDrop(c))),
      expect: rejected(/time/),
    }),
  ),
];

function casesFor(path: IntakePath): [string, RecordCase][] {
  return RECORD_CASES.filter((c) => c.text(path.cloud) !== undefined && (path.carriesText || !c.textOnly)).map((c) => [
    c.name,
    c,
  ]);
}

async function expectOutcome(path: IntakePath, text: string, expectation: Expectation): Promise<void> {
  const good = goodLogin(path.cloud);
  const { result, log, alerts } = await invoke(path.build([text, good.text]));

  // Whatever happened to the case record, the good login in the same batch is alerted.
  expect(alerts.filter((alert) => alert.eventIds.includes(good.id))).toEqual([
    expect.objectContaining({ rule: RULE_OUTSIDE_WHITELIST, event: expect.objectContaining({ sourceIp: good.ip }) }),
  ]);
  const others = alerts.filter((alert) => !alert.eventIds.includes(good.id));
  for (const alert of alerts) expect(Buffer.byteLength(alert.message)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
  const [done] = log.find('invocation done');

  if (expectation.kind === 'rejected') {
    expect(result).toMatchObject({ records: 1, rejected: 1, alerts: 1, delivered: 1 });
    const reports = log.find('record rejected');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ level: 'warn', position: expect.any(String), reason: expect.any(String) });
    expect((reports[0].position as string).startsWith(path.positionOf(0))).toBe(true);
    expect((reports[0].reason as string).length).toBeGreaterThan(5);
    if (expectation.reason) expect(reports[0].reason).toMatch(expectation.reason);
    expect(done).toMatchObject({ rejected: 1, records: 1 });
    expect(others).toEqual([]);
  } else {
    expect(log.find('record rejected')).toEqual([]);
    expect(result).toMatchObject({ records: 2, rejected: 0 });
    expect(done).toMatchObject({ rejected: 0, records: 2 });
    if (expectation.kind === 'quiet') {
      expect(others).toEqual([]);
    } else {
      expect(others).toHaveLength(1);
      expect(others[0].rule).toBe(expectation.rule);
      if (expectation.sourceIp) expect(others[0].event.sourceIp).toBe(expectation.sourceIp);
      if (expectation.time) expect(others[0].event.time).toBe(expectation.time);
      for (const line of others[0].message.split('\n')) expect(line.length).toBeLessThanOrEqual(FIELD_MAX_CHARS + 100);
    }
  }
}

describe.each(INTAKE_PATHS.map((path) => [path.name, path] as const))('bad input through %s', (_name, path) => {
  it.each(casesFor(path))('%s', async (_case, c) => {
    await expectOutcome(path, c.text(path.cloud) as string, c.expect);
  });
});

describe('limits hold on the two-megabyte user agent', () => {
  it('the alert shows it cut, with the marker, on one line', async () => {
    const path = INTAKE_PATHS[0];
    const good = goodLogin('aws');
    const { alerts } = await invoke(
      path.build([caseText('aws', { userAgent: 'Mozilla/5.0 '.repeat(180_000) }), good.text]),
    );
    const alert = alerts.find((candidate) => !candidate.eventIds.includes(good.id));
    const agentLine = alert?.message.split('\n').find((line) => line.startsWith('User agent: '));
    expect(agentLine).toMatch(new RegExp(`${TRUNCATION_MARKER.replace(/[[\]]/g, '\\$&')}$`));
    expect(agentLine?.length).toBeLessThanOrEqual('User agent: '.length + FIELD_MAX_CHARS);
  });
});

// --- broken envelopes ----------------------------------------------------------------------------------

describe('broken envelopes are reported and the rest of the batch goes on', () => {
  const good = goodLogin('aws');
  const goodCts = goodLogin('huaweicloud');
  const snsRecord = (Sns: unknown) => ({ EventSource: 'aws:sns', Sns });
  const smnRecord = (smn: unknown) => ({ event_version: '1.0', smn });
  const eventBridge = JSON.stringify({
    'detail-type': 'AWS Console Sign In via CloudTrail',
    id: 'eb',
    detail: JSON.parse(good.text),
  });

  const cases: [name: string, event: unknown, position: string][] = [
    [
      'an SNS record whose Message is a number',
      {
        Records: [
          snsRecord({ Type: 'Notification', MessageId: 'm-1', Message: 42 }),
          snsRecord({ Type: 'Notification', Message: eventBridge }),
        ],
      },
      'event#Records[0].Sns.Message',
    ],
    [
      'an SNS record of an unknown Type',
      {
        Records: [
          snsRecord({ Type: 'Bogus', MessageId: 'm-1', Message: '{}' }),
          snsRecord({ Type: 'Notification', Message: eventBridge }),
        ],
      },
      'event#Records[0].Sns',
    ],
    [
      'a Records element that is not an object',
      { Records: ['AWSLogs/x.json.gz', JSON.parse(good.text)] },
      'event#Records[0]',
    ],
    [
      'an EventBridge sign-in without detail',
      [{ 'detail-type': 'AWS Console Sign In via CloudTrail', id: 'eb-1' }, JSON.parse(eventBridge)],
      'event[0].detail',
    ],
    [
      'CloudWatch Logs data that is not base64 gzip',
      [{ awslogs: { data: 'bm90IGd6aXA=' } }, JSON.parse(good.text)],
      'event[0].awslogs.data',
    ],
    [
      'CloudWatch Logs data that is a number',
      [{ awslogs: { data: 7 } }, JSON.parse(good.text)],
      'event[0].awslogs.data',
    ],
    [
      'a CloudWatch Logs log event without a message',
      [
        {
          awslogs: {
            data: gzipSync(
              JSON.stringify({ messageType: 'DATA_MESSAGE', logGroup: 'g', logEvents: [{ id: 'e1' }] }),
            ).toString('base64'),
          },
        },
        JSON.parse(good.text),
      ],
      'awslogs/g#e1',
    ],
    [
      'an S3 event without a bucket',
      { Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: {} }, JSON.parse(good.text)] },
      'event#Records[0]',
    ],
    [
      'an S3 key that is not valid URL encoding',
      {
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: BUCKET }, object: { key: '%E0%A4%A' } },
          },
          JSON.parse(good.text),
        ],
      },
      'event#Records[0]',
    ],
    [
      'an S3 object that does not exist',
      {
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: BUCKET }, object: { key: 'missing.json.gz' } },
          },
          JSON.parse(good.text),
        ],
      },
      'event#Records[0]',
    ],
    ['envelopes nested twelve deep', [deepEnvelope(12), JSON.parse(good.text)], 'event[0]'],
    ['a CTS trigger whose cts is a string', [{ cts: 'login' }, { cts: JSON.parse(goodCts.text) }], 'event[0].cts'],
    [
      'an SMN record without smn',
      { record: [{ event_version: '1.0' }, smnRecord({ message: goodCts.text })] },
      'event.record[0].smn',
    ],
    [
      'an SMN message that is an empty string',
      { record: [smnRecord({ message_id: 'm-1', message: '' }), smnRecord({ message: goodCts.text })] },
      'event.record[0].smn.message',
    ],
    ['a trace list element that is a list', { traces: [[1, 2], JSON.parse(goodCts.text)] }, 'event.traces[0]'],
  ];

  it.each(cases)('%s', async (_name, event, position) => {
    const { result, log, alerts } = await invoke({ event, objects: new Map() });
    expect(result.rejected).toBe(1);
    expect(log.find('record rejected')).toEqual([
      expect.objectContaining({
        level: 'warn',
        position: expect.stringMatching(new RegExp(`^${position.replace(/[[\].#]/g, '\\$&')}`)),
        reason: expect.any(String),
      }),
    ]);
    expect(
      alerts.filter((alert) => alert.eventIds.includes(good.id) || alert.eventIds.includes(goodCts.id)),
    ).toHaveLength(1);
  });

  it('a byte-order mark inside an SNS or SMN message is tolerated', async () => {
    const sns = await invoke({
      event: { Records: [snsRecord({ Type: 'Notification', Message: `\ufeff${eventBridge}` })] },
      objects: new Map(),
    });
    const smn = await invoke({
      event: { record: [smnRecord({ message: `\ufeff${goodCts.text}` })] },
      objects: new Map(),
    });
    expect([sns.result, smn.result]).toEqual([
      expect.objectContaining({ rejected: 0, alerts: 1 }),
      expect.objectContaining({ rejected: 0, alerts: 1 }),
    ]);
  });
});

function deepEnvelope(depth: number): unknown {
  let event: unknown = JSON.parse(goodLogin('aws').text);
  for (let i = 0; i < depth; i++)
    event = { Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:111122223333:t', Message: JSON.stringify(event) };
  return event;
}

// --- whole files ------------------------------------------------------------------------------------

interface FileCase {
  name: string;
  bytes(cloud: Cloud): Promise<Buffer> | Buffer;
  expect: 'rejected' | 'alert' | 'skipped';
  reason?: RegExp;
  /** How many records the file holds that are normalized (beyond the case login). */
  records?: number;
}

/** A whole file in the cloud's usual form: a CloudTrail log file or a CTS trace list. */
const fileOf = (cloud: Cloud, records: readonly string[]) =>
  cloud === 'aws' ? `{"Records":[${records.join(',')}]}` : `{"traces":[${records.join(',')}]}`;
const utf16be = (text: string) => Buffer.from(Buffer.from(text, 'utf16le')).swap16();

let bomb: Buffer;
beforeAll(async () => {
  // 256 MiB of "JSON so far" inflated from about 256 KiB: eight times the test cap.
  bomb = await gzipBomb(256 * 1024 * 1024, '{"Records":[');
  expect(bomb.length).toBeLessThan(1024 * 1024);
});

const FILES: FileCase[] = [
  {
    name: 'a file that is not JSON',
    bytes: () => Buffer.from('{"Records": ['),
    expect: 'rejected',
    reason: /invalid JSON/,
  },
  {
    name: 'a truncated gzip file',
    bytes: (c) => gzipSync(fileOf(c, [caseText(c)])).subarray(0, 40),
    expect: 'rejected',
    reason: /truncated gzip/,
  },
  {
    name: 'gzip magic followed by garbage',
    bytes: () => Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('garbage garbage garbage')]),
    expect: 'rejected',
    reason: /gzip/,
  },
  { name: 'a gzip bomb', bytes: () => bomb, expect: 'rejected', reason: /decompressed size exceeds 33554432 bytes/ },
  { name: 'an empty file', bytes: () => Buffer.alloc(0), expect: 'rejected', reason: /empty input/ },
  { name: 'a file of blank lines', bytes: () => Buffer.from('\n \r\n\t\n'), expect: 'rejected', reason: /empty input/ },
  { name: 'an empty gzip file', bytes: () => gzipSync(''), expect: 'rejected', reason: /empty input/ },
  {
    name: 'random bytes',
    bytes: () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)),
    expect: 'rejected',
  },
  {
    name: 'a UTF-8 byte-order mark before the JSON',
    bytes: (c) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fileOf(c, [caseText(c)]))]),
    expect: 'alert',
  },
  {
    name: 'UTF-16LE with a byte-order mark (PowerShell redirection)',
    bytes: (c) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fileOf(c, [caseText(c)]), 'utf16le')]),
    expect: 'alert',
  },
  {
    name: 'UTF-16BE with a byte-order mark',
    bytes: (c) => Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(fileOf(c, [caseText(c)]))]),
    expect: 'alert',
  },
  {
    name: 'gzip of a UTF-8 byte-order mark and JSON',
    bytes: (c) => gzipSync(`\ufeff${fileOf(c, [caseText(c)])}`),
    expect: 'alert',
  },
  { name: 'an empty record list', bytes: (c) => Buffer.from(fileOf(c, [])), expect: 'skipped' },
  {
    name: 'NDJSON with blank lines, CRLF and one broken line',
    bytes: (c) =>
      Buffer.from(
        `\r\n${caseText(c)}\r\n\r\n{"broken": \r\n${JSON.stringify(outsiderLogin(c, { [FIELDS[c].id]: 'ndjson-2', [FIELDS[c].address]: CASE_ADDRESS }))}\r\n`,
      ),
    expect: 'rejected',
    reason: /invalid JSON/,
    records: 2,
  },
  {
    // JSON.parse does not skip these; the NDJSON splitter once took the line as blank and rejected the whole file.
    name: 'a good record and a line of non-JSON whitespace (vertical tab, no-break space, U+2028)',
    bytes: (c) => Buffer.from(`${caseText(c)}\n\u000b\u00a0\u2028\n`),
    expect: 'rejected',
    reason: /invalid JSON/,
    records: 1,
  },
  {
    name: 'a huge log file: 20,000 records with one outsider login among them',
    bytes: (c) => {
      const filler = JSON.stringify(
        outsiderLogin(c, {
          [FIELDS[c].name]: c === 'aws' ? 'DescribeInstances' : 'listServers',
          [FIELDS[c].service]: c === 'aws' ? 'ec2.amazonaws.com' : 'ECS',
        }),
      );
      const records = Array.from({ length: 20_000 }, (_, i) =>
        filler.replace(/"(eventID|trace_id)":"[^"]+"/, `"$1":"filler-${i}"`),
      );
      records.splice(10_000, 0, caseText(c));
      return gzipSync(fileOf(c, records));
    },
    expect: 'alert',
    records: 20_001,
  },
];

function checkFileLines(stderr: string[]): void {
  for (const line of stderr) expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
}

describe.each([['aws'], ['huaweicloud']] as const)('whole files (%s)', (cloud) => {
  const good = goodLogin(cloud);
  const goodFile = Buffer.from(fileOf(cloud, [good.text]));

  if (cloud === 'aws') {
    it.each(FILES.map((file) => [file.name, file] as const))(
      'S3 objects of one notification, on Lambda: %s',
      async (_name, file) => {
        const objects = new Map([
          ['bad-object.json.gz', await file.bytes(cloud)],
          ['good-object.json.gz', goodFile],
        ]);
        const event = {
          Records: [...objects.keys()].map((key) => ({
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            awsRegion: 'us-east-1',
            s3: { bucket: { name: BUCKET }, object: { key } },
          })),
        };
        const { result, log, alerts } = await invoke({ event, objects });
        expect(alerts.filter((alert) => alert.eventIds.includes(good.id))).toHaveLength(1);
        const rejections = log.find('record rejected');
        if (file.expect === 'rejected') {
          expect(rejections).toEqual([
            expect.objectContaining({
              position: expect.stringMatching(/^s3:\/\/trail-bucket\/bad-object\.json\.gz/),
              reason: expect.stringMatching(file.reason ?? /./),
            }),
          ]);
          expect(result.rejected).toBe(1);
        } else {
          expect(rejections).toEqual([]);
        }
        if (file.expect === 'alert') expect(alerts.map((alert) => alert.eventIds[0])).toContain(caseId(cloud));
        if (file.expect === 'skipped') expect(result.skipped).toBe(1);
        expect(result.records).toBe(1 + (file.records ?? (file.expect === 'alert' ? 1 : 0)));
      },
    );
  }

  it.each(FILES.map((file) => [file.name, file] as const))('files replayed by the CLI: %s', async (_name, file) => {
    const dir = mkdtempSync(join(tmpdir(), 'trailguard-hardening-'));
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'a-bad.json.gz'), await file.bytes(cloud));
    writeFileSync(join(dir, 'in', 'b-good.json'), goodFile);
    const io = captureIo({ MAX_DECOMPRESSED_MB: '32' });
    const code = await main(['replay', 'login-whitelist', join(dir, 'in'), '--json'], io);
    const alerts = io.stdout.map((line) => JSON.parse(line) as { eventIds: string[] });
    expect(alerts.filter((alert) => alert.eventIds.includes(good.id))).toHaveLength(1);
    checkFileLines(io.stderr);
    const rejectedLines = io.stderr.filter((line) => line.startsWith('rejected: '));
    if (file.expect === 'rejected') {
      expect(code).toBe(1);
      expect(rejectedLines).toHaveLength(1);
      expect(rejectedLines[0]).toContain('a-bad.json.gz');
      if (file.reason) expect(rejectedLines[0]).toMatch(file.reason);
      expect(io.stderr.at(-1)).toMatch(/, 1 rejected,/);
    } else {
      expect(code).toBe(0);
      expect(rejectedLines).toEqual([]);
      expect(io.stderr.at(-1)).toMatch(/, 0 rejected,/);
    }
    if (file.expect === 'alert') expect(alerts.map((alert) => alert.eventIds[0])).toContain(caseId(cloud));
    if (file.records !== undefined) expect(io.stderr.at(-1)).toContain(`, ${1 + file.records} record(s),`);
  });
});

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env: { IP_WHITELIST: WHITELIST, ...env },
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
  };
}

describe('the decompression cap', () => {
  it('is configurable with MAX_DECOMPRESSED_MB, and follows the Lambda memory size by default', () => {
    const { maxDecompressedBytesFromEnv } =
      require('../shared/intake/decode-input') as typeof import('../shared/intake/decode-input');
    const { ConfigProblems } =
      require('../shared/platform/env-config') as typeof import('../shared/platform/env-config');
    const problems = new ConfigProblems();
    expect(maxDecompressedBytesFromEnv({ MAX_DECOMPRESSED_MB: '64' }, problems)).toBe(64 * 1024 * 1024);
    expect(maxDecompressedBytesFromEnv({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' }, problems)).toBe(256 * 1024 * 1024);
    expect(maxDecompressedBytesFromEnv({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' }, problems)).toBe(32 * 1024 * 1024);
    expect(maxDecompressedBytesFromEnv({}, problems)).toBe(512 * 1024 * 1024);
    expect(problems.problems).toEqual([]);
    maxDecompressedBytesFromEnv({ MAX_DECOMPRESSED_MB: 'lots' }, problems);
    expect(problems.problems).toEqual([expect.stringContaining('MAX_DECOMPRESSED_MB')]);
  });

  it('a bad MAX_DECOMPRESSED_MB is a usage error of the CLI (exit 2)', async () => {
    const io = captureIo({ MAX_DECOMPRESSED_MB: '-1' });
    expect(await main(['replay', 'login-whitelist', '-'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('MAX_DECOMPRESSED_MB');
  });
});
