/**
 * Alert injection: whatever an attacker writes into a field that reaches an alert (user name, user
 * agent, error message, action, event id, resource names, addresses, …) cannot break the publish (SNS
 * subject rules, SMN's 512-byte subject, 256 KB messages) nor forge lines that look like our own
 * fields. Every registered function is exercised on every fixture that makes it fire, with each payload
 * appended to each string field in turn; the alerts are then published for real, through a proxy that
 * enforces SNS's documented limits in front of the fauxqs emulator and to the local SMN endpoint.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DETECTORS } from '../functions/registry';
import type { Alert } from '../shared/alert/alert';
import { isUnsafeCodePoint, MESSAGE_MAX_BYTES, SUBJECT_MAX_CHARS, TRUNCATION_MARKER } from '../shared/alert/alert-text';
import type { Detector, FindingGroup } from '../shared/detect/detector';
import { unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import type { RecordKind } from '../shared/intake/intake-item';
import { buildAlert, DetectionRun } from '../shared/pipeline';
import { createFunctionGraphHandler } from '../shared/platform/functiongraph-handler';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { createSmnSink, SMN_SUBJECT_MAX_BYTES } from '../shared/sinks/smn-sink';
import { createSnsSink, resetSnsClients, snsClientFor } from '../shared/sinks/sns-sink';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { EVENTS_DIR } from './support/fixtures';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { startSnsProxy, type SnsProxy } from './support/sns-proxy';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';
import { traceEvent } from './support/trace-events';

const ENV = { IP_WHITELIST: '203.0.113.0/24, 2001:db8:1::/48', ALERT_ON_FAILED_LOGIN: 'true', METRIC_MODE: 'off' };
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SMN_TOPIC = `urn:smn:eu-de:${PROJECT}:trailguard_alerts`;
const SMN_TOKEN = 'MIIZfake-token-for-hardening-tests';
const SNS_TOPIC = 'arn:aws:sns:us-east-1:000000000000:alerts';
const MARK = 'ZQX';
const ACCESS_KEY = 'AKIAIOSFODNN7HARDEN1';

/** What attackers write into fields. Each starts with the marker, so its line can be found. */
const PAYLOADS: [name: string, text: string][] = [
  ['forged field lines', `${MARK}\nRule: harmless\r\nSource: 203.0.113.10\n\nWho: nobody`],
  ['a forged headline', `${MARK}]\nIllegal operation[IP:203.0.113.10, Action:login]`],
  ['control characters and ANSI escapes', `${MARK}\u0000\u0007\u001b[31mred\u001b[0m\u0008\u007f\u0085\u009b`],
  ['bidi overrides and invisible characters', `${MARK}\u202egnp.exe\u2066x\u2069\u200f\u200b\u061c\ufeff`],
  ['Unicode line and paragraph separators', `${MARK}\u2028Rule: x\u2029Source: y`],
  ['tag characters (hidden text)', `${MARK}\u{e0001}\u{e0061}\u{e0064}\u{e006d}\u{e007f}`],
  [
    'Default_Ignorable fillers, joiners and selectors',
    `${MARK}\u00ad\u034f\u115f\u1160\u180e\u3164\uffa0\ufe0f\u{e0100}\u2064`,
  ],
  ['lone surrogates (SNS cannot encode them)', `${MARK}\ud800 x \udfff\ude00\ud83d`],
  ['non-ASCII text', `${MARK} 王磊 Zoë Ñandú Ελλάδα 🔥`],
  ['a very long ASCII value', MARK + 'A'.repeat(20_000)],
  ['a very long multi-byte value', MARK + '🔥é'.repeat(8_000)],
  ['an access key id', `${MARK} key ${ACCESS_KEY} used`],
  ['leading blanks and tabs', `${MARK}\t\t  spaced   out  `],
];

/** Characters that must never reach a message: controls (but \n), separators, every Default_Ignorable, lone surrogates. */
const unsafeIn = (message: string) =>
  [...message].filter((char) => char !== '\n' && isUnsafeCodePoint(char.codePointAt(0) as number));
const LABEL = /^([A-Z][A-Za-z ]{0,40}): /;

interface Trigger {
  detector: Detector<unknown>;
  config: unknown;
  kind: RecordKind;
  record: unknown;
  where: string;
}

function fixtureFiles(dir = EVENTS_DIR): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? fixtureFiles(path) : name.endsWith('.json') ? [path] : [];
  });
}

function alertsOf(trigger: Omit<Trigger, 'record'>, record: unknown): Alert[] {
  const run = new DetectionRun(trigger.detector, trigger.config);
  run.ingestRecord(trigger.kind, record, 'test');
  return run.alerts();
}

/** Every (function, record) pair in events/ where the function raises an alert. */
function findTriggers(): Trigger[] {
  const triggers: Trigger[] = [];
  for (const detector of Object.values(DETECTORS) as Detector<unknown>[]) {
    const config = detector.loadConfig(ENV);
    for (const file of fixtureFiles()) {
      for (const item of unwrapEnvelope(JSON.parse(readFileSync(file, 'utf8')), file.slice(EVENTS_DIR.length + 1))) {
        if (item.type !== 'record') continue;
        const trigger = { detector, config, kind: item.kind, record: item.record, where: item.position };
        // The same record turns up in several envelopes (log file, EventBridge, SNS, CloudWatch Logs): once is enough.
        const seen = triggers.some(
          (other) => other.detector === detector && JSON.stringify(other.record) === JSON.stringify(item.record),
        );
        if (!seen && alertsOf(trigger, item.record).length > 0) triggers.push(trigger);
      }
    }
  }
  return triggers;
}

type Path = (string | number)[];

function stringLeaves(value: unknown, path: Path = []): Path[] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((member, index) => stringLeaves(member, [...path, index]));
  if (value && typeof value === 'object')
    return Object.keys(value).flatMap((key) => stringLeaves((value as Record<string, unknown>)[key], [...path, key]));
  return [];
}

function appendAt(record: unknown, path: Path, suffix: string): unknown {
  const copy = structuredClone(record) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  node[last] = `${node[last] as string}${suffix}`;
  return copy;
}

const labels = (message: string) => message.split('\n').map((line) => LABEL.exec(line)?.[1] ?? null);

function expectSafe(alert: Alert, baseline: Alert | undefined): void {
  expect(alert.subject).toMatch(/^[A-Za-z0-9\p{P}\p{S}][\x20-\x7e]*$/u);
  expect(alert.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
  expect(Buffer.byteLength(alert.subject)).toBeLessThanOrEqual(SMN_SUBJECT_MAX_BYTES);
  expect(Buffer.byteLength(alert.message)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
  expect(unsafeIn(alert.message)).toEqual([]);
  expect(() => encodeURIComponent(alert.message)).not.toThrow();
  expect(alert.message).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  expect(`${alert.subject}\n${alert.message}\n${JSON.stringify(alert.event)}`).not.toContain(ACCESS_KEY);
  // Same rule, same lines, same labels in the same places: nothing was forged.
  expect(baseline).toBeDefined();
  expect(labels(alert.message)).toEqual(labels((baseline as Alert).message));
}

interface Injected {
  detector: string;
  payload: string;
  field: string;
  alert: Alert;
}

const triggers = findTriggers();
const injected: Injected[] = [];
const reached = new Map<string, Set<string>>();

describe('alert text under injection, for every registered function', () => {
  it('every registered function fires on some fixture', () => {
    expect(new Set(triggers.map((trigger) => trigger.detector.name))).toEqual(new Set(Object.keys(DETECTORS)));
  });

  it.each(Object.keys(DETECTORS))(
    '%s: every payload in every string field gives alerts that are safe and forge nothing',
    (name) => {
      let checked = 0;
      for (const trigger of triggers.filter((candidate) => candidate.detector.name === name)) {
        for (const path of stringLeaves(trigger.record)) {
          const baseline = alertsOf(trigger, appendAt(trigger.record, path, MARK));
          if (baseline.length === 0) continue;
          for (const [payloadName, payload] of PAYLOADS) {
            const alerts = alertsOf(trigger, appendAt(trigger.record, path, payload));
            expect(alerts.map((alert) => alert.rule).sort()).toEqual(baseline.map((alert) => alert.rule).sort());
            for (const alert of alerts) {
              expectSafe(
                alert,
                baseline.find((candidate) => candidate.rule === alert.rule),
              );
              checked += 1;
              const text = `${alert.subject}\n${alert.message}`;
              if (!text.includes(MARK)) continue;
              const field = path.filter((key) => typeof key === 'string').join('.');
              if (!reached.has(field)) reached.set(field, new Set());
              reached.get(field)?.add(payloadName);
              const line = alert.message.split('\n').find((candidate) => candidate.includes(MARK)) ?? '';
              if (payload.length > 1000) expect(line).toContain(TRUNCATION_MARKER);
              if (!injected.some((entry) => entry.detector === name && entry.payload === payloadName))
                injected.push({ detector: name, payload: payloadName, field, alert });
            }
          }
        }
      }
      expect(checked).toBeGreaterThan(50);
    },
  );

  it('the payloads really reached user names, user agents, error messages, actions, event ids and resource names', () => {
    const fields = [...reached.keys()];
    const reachedAny = (pattern: RegExp) =>
      fields.some((field) => pattern.test(field) && (reached.get(field)?.size ?? 0) === PAYLOADS.length);
    expect(reachedAny(/(^|\.)(userIdentity\.userName|user\.name)$/)).toBe(true);
    expect(reachedAny(/(^|\.)(userAgent|user_agent)$/)).toBe(true);
    expect(reachedAny(/(^|\.)(errorMessage|error_msg|message)$/)).toBe(true);
    expect(reachedAny(/(^|\.)(eventName|trace_name)$/)).toBe(true);
    expect(reachedAny(/(^|\.)(eventID|trace_id)$/)).toBe(true);
    expect(reachedAny(/resource/i)).toBe(true);
    expect(reachedAny(/(^|\.)(sourceIPAddress|source_ip)$/)).toBe(true);
  });

  it('an access key id in any field is shown masked to its last four characters', () => {
    const withKey = injected.filter((entry) => entry.payload === 'an access key id');
    expect(withKey.length).toBeGreaterThan(0);
    for (const { alert } of withKey)
      expect(`${alert.subject}\n${alert.message}`).toContain(
        `${'*'.repeat(ACCESS_KEY.length - 4)}${ACCESS_KEY.slice(-4)}`,
      );
  });
});

describe('the last safety net in buildAlert, whatever a function returns', () => {
  const group: FindingGroup = {
    rule: 'sloppy-rule',
    severity: 'high',
    groupKey: 'k',
    first: traceEvent({ actor: { type: 'IAMUser', accessKeyId: ACCESS_KEY } }),
    eventIds: ['evt-1'],
    count: 1,
  };
  const sloppy: Detector<null> = {
    name: 'unauthorized-api',
    loadConfig: () => null,
    detect: () => [],
    describe: () => ({
      subject: `\u202e\n  Ärger: ${ACCESS_KEY} ${'x'.repeat(500)}\r\n`,
      message: `${'héllo wörld, '.repeat(30_000)}\n`.repeat(3),
    }),
  };

  it('an unsafe subject is made safe and an oversized message is cut on a character boundary with a marker', () => {
    const alert = buildAlert(sloppy, null, group);
    expect(alert.subject).toMatch(/^[A-Za-z0-9\p{P}\p{S}][\x20-\x7e]*$/u);
    expect(alert.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(alert.subject).not.toContain(ACCESS_KEY);
    expect(Buffer.byteLength(alert.message)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    expect(alert.message.endsWith(`\n${TRUNCATION_MARKER}`)).toBe(true);
    expect(alert.message).not.toContain('\ufffd');
    expect(alert.event.actor.accessKeyId).toBe(`****************${ACCESS_KEY.slice(-4)}`);
  });
});

// --- for real: SNS (through a proxy enforcing SNS's limits, into fauxqs) and SMN -------------------

let emulator: Emulator;
let proxy: SnsProxy;
let smn: SmnServer;
const savedEnv = { ...process.env };

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  emulator = await startEmulator({
    topics: [{ name: 'alerts' }],
    queues: [{ name: 'inbox' }],
    subscriptions: [{ topic: 'alerts', queue: 'inbox' }],
  });
  proxy = await startSnsProxy(emulator.address);
  smn = await startSmnServer({ token: SMN_TOKEN });
}, 30_000);

afterAll(async () => {
  resetSnsClients();
  await Promise.all([emulator?.stop(), proxy?.close(), smn?.close()]);
  process.env = savedEnv;
});

beforeEach(async () => {
  smn.published.length = 0;
  proxy.publishes.length = 0;
  await drainQueue(emulator.address, 'inbox');
});

function received(): Promise<{ Subject?: string; Message: string }[]> {
  return drainQueue(emulator.address, 'inbox');
}

describe('injected alerts are published for real and arrive intact', () => {
  it('the SNS proxy really enforces the subject rules (a raw subject would be refused)', async () => {
    const sink = createSnsSink({
      client: snsClientFor('us-east-1', proxy.url, { maxAttempts: 1 }),
      topicArn: SNS_TOPIC,
    });
    const raw = { ...injected[0].alert, subject: 'line one\nline two' };
    await expect(sink.publish(raw)).rejects.toMatchObject({ name: 'SinkError', retryable: false });
  });

  it('to SNS: every function × payload alert is accepted and a subscriber receives it unchanged', async () => {
    expect(injected.length).toBeGreaterThanOrEqual(PAYLOADS.length);
    const sink = createSnsSink({ client: snsClientFor('us-east-1', proxy.url), topicArn: SNS_TOPIC });
    await Promise.all(injected.map(({ alert }) => sink.publish(alert)));
    const messages = await received();
    expect(messages.map((m) => `${m.Subject}\n${m.Message}`).sort()).toEqual(
      injected.map(({ alert }) => `${alert.subject}\n${alert.message}`).sort(),
    );
  });

  it('to SMN: every function × payload alert is accepted within 512 bytes of subject and 256 KB of message', async () => {
    const sink = createSmnSink({
      endpoint: smn.url,
      projectId: PROJECT,
      topicUrn: SMN_TOPIC,
      auth: { token: SMN_TOKEN },
    });
    await Promise.all(injected.map(({ alert }) => sink.publish(alert)));
    expect(smn.published.map((m) => `${m.subject}\n${m.message}`).sort()).toEqual(
      injected.map(({ alert }) => `${alert.subject}\n${alert.message}`).sort(),
    );
  });

  it('an oversized message from the safety net reaches both, ending with the marker', async () => {
    const huge = buildAlert(
      {
        name: 'login-whitelist',
        loadConfig: () => null,
        detect: () => [],
        describe: () => ({ subject: 'trailguard: big', message: 'Ünïcödé line\n'.repeat(40_000) }),
      },
      null,
      { rule: 'big', severity: 'low', groupKey: 'k', first: traceEvent(), eventIds: ['evt-big'], count: 1 },
    );
    await createSnsSink({ client: snsClientFor('us-east-1', proxy.url), topicArn: SNS_TOPIC }).publish(huge);
    await createSmnSink({
      endpoint: smn.url,
      projectId: PROJECT,
      topicUrn: SMN_TOPIC,
      auth: { token: SMN_TOKEN },
    }).publish(huge);
    const [viaSns] = await received();
    expect(viaSns.Message.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(smn.published[0].message.endsWith(TRUNCATION_MARKER)).toBe(true);
  });
});

describe('end to end through the handlers, for every registered function', () => {
  /** The trigger record with every field that keeps the alert carrying the nastiest combined payload. */
  function poisoned(trigger: Trigger): unknown {
    const payload = `${MARK}\nRule: forged\u202e\u0000 ${ACCESS_KEY} 王磊 ${'🔥'.repeat(300)}`;
    let record = trigger.record;
    for (const path of stringLeaves(trigger.record)) {
      const next = appendAt(record, path, payload);
      if (alertsOf(trigger, next).length > 0) record = next;
    }
    return record;
  }

  /** The simplest envelope of each record kind, as the platform would deliver it. */
  function envelope(kind: RecordKind, record: unknown): unknown {
    if (kind === 'cloudtrail') return { Records: [record] };
    if (kind === 'cts') return { cts: record };
    return record;
  }

  const firstTriggers = Object.keys(DETECTORS).map(
    (name) => [name, triggers.find((trigger) => trigger.detector.name === name) as Trigger] as const,
  );

  it.each(firstTriggers)('%s on Lambda publishes the poisoned alert to SNS and it arrives', async (name, trigger) => {
    const handler = createLambdaHandler(trigger.detector, {
      ...ENV,
      ALERT_TOPIC: SNS_TOPIC,
      ALERT_REGION: 'us-east-1',
      SINK_ENDPOINT: proxy.url,
      LOG_LEVEL: 'silent',
    });
    const result = await handler(envelope(trigger.kind, poisoned(trigger)), { awsRequestId: `req-${name}` });
    expect(result.alerts).toBeGreaterThan(0);
    expect(result.delivered).toBe(result.alerts);
    const messages = await received();
    expect(messages).toHaveLength(result.alerts);
    for (const message of messages) {
      expect(message.Message).toContain(MARK);
      expect(unsafeIn(message.Message)).toEqual([]);
      expect(`${message.Subject}${message.Message}`).not.toContain(ACCESS_KEY);
    }
  });

  it.each(firstTriggers)(
    '%s on FunctionGraph publishes the poisoned alert to SMN and it arrives',
    async (name, trigger) => {
      const { handler } = createFunctionGraphHandler(trigger.detector, {});
      const variables: Record<string, string> = {
        ...ENV,
        ALERT_TOPIC: SMN_TOPIC,
        SINK_ENDPOINT: smn.url,
        LOG_LEVEL: 'silent',
      };
      const result = await handler(envelope(trigger.kind, poisoned(trigger)), {
        getRequestID: () => `req-${name}`,
        getUserData: (key) => variables[key],
        getProjectID: () => PROJECT,
        getToken: () => SMN_TOKEN,
      });
      expect(result.alerts).toBeGreaterThan(0);
      expect(result.delivered).toBe(result.alerts);
      expect(smn.published).toHaveLength(result.alerts);
      for (const message of smn.published) {
        expect(message.message).toContain(MARK);
        expect(unsafeIn(message.message)).toEqual([]);
        expect(`${message.subject}${message.message}`).not.toContain(ACCESS_KEY);
      }
    },
  );
});
