/**
 * Fuzzing with generated events: mutations of the valid samples in events/ (fields dropped, replaced,
 * type-swapped, made huge or deep, `__proto__` keys added) through the normalizers, the envelopes and
 * every registered function. Then a replay of a few thousand generated malformed records mixed with good
 * ones, through `main` and through the built CLI in a child process: exit code 1, and exactly as many
 * rejected records as were injected, while every good outsider login is still alerted.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { DETECTORS } from '../functions/registry';
import { loginWhitelist, RULE_OUTSIDE_WHITELIST } from '../functions/login-whitelist/login-whitelist';
import type { Alert } from '../shared/alert/alert';
import {
  DEFAULT_IGNORABLE_RANGES,
  isUnsafeCodePoint,
  MESSAGE_MAX_BYTES,
  SUBJECT_MAX_CHARS,
} from '../shared/alert/alert-text';
import { alertJsonLine } from '../shared/sinks/stdout-sink';
import type { Detector } from '../shared/detect/detector';
import { InvalidEventError } from '../shared/errors';
import type { RecordKind } from '../shared/intake/intake-item';
import { unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import { normalizeRecord, normalizeTime } from '../shared/normalize';
import { DetectionRun, REPORTED_IN_FULL } from '../shared/pipeline';
import { validateTraceEvent } from '../shared/normalize/validate-trace-event';
import { EVENTS_DIR, fixture } from './support/fixtures';
import { goodLogin, INTAKE_PATHS, type Cloud } from './support/intake-paths';
import { awslogsEnvelope } from './support/hostile-inputs';
import { collectInputFiles } from '../cli/read-inputs';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const ENV = { IP_WHITELIST: '203.0.113.0/24, 2001:db8:1::/48', ALERT_ON_FAILED_LOGIN: 'true', METRIC_MODE: 'off' };
/** A fixed seed keeps CI stable; FUZZ_SEED and FUZZ_RUNS explore further (`FUZZ_SEED=$RANDOM FUZZ_RUNS=5000 npx jest test/hardening-fuzz`). */
const RUNS = { numRuns: Number(process.env.FUZZ_RUNS ?? 150), seed: Number(process.env.FUZZ_SEED ?? 20261124) };

afterEach(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

// --- mutations of valid samples ------------------------------------------------------------------------

type Json = unknown;
type Path = (string | number)[];

const SAMPLES: Record<Cloud, Json[]> = {
  aws: readdirSync(join(EVENTS_DIR, 'aws'))
    .filter((name) => name.startsWith('cloudtrail-'))
    .map((name) => fixture(`aws/${name}`)),
  huaweicloud: readdirSync(join(EVENTS_DIR, 'huaweicloud'))
    .filter((name) => name.startsWith('cts-'))
    .map((name) => fixture(`huaweicloud/${name}`)),
};

/** Every provider record in events/, of every kind (CloudTrail, CTS, AWS Config, Huawei Config, Cloud Eye), once. */
const RECORD_SAMPLES: { kind: RecordKind; record: Json }[] = [];
for (const file of [
  ...readdirSync(join(EVENTS_DIR, 'aws')).map((name) => `aws/${name}`),
  ...readdirSync(join(EVENTS_DIR, 'huaweicloud')).map((name) => `huaweicloud/${name}`),
]) {
  if (!file.endsWith('.json')) continue;
  for (const item of unwrapEnvelope(fixture(file), file)) {
    if (
      item.type === 'record' &&
      !RECORD_SAMPLES.some((sample) => JSON.stringify(sample.record) === JSON.stringify(item.record))
    )
      RECORD_SAMPLES.push({ kind: item.kind, record: item.record });
  }
}

/** Every path in a value, containers included, root excluded; not below 12 levels (a deep mutation is one place). */
function paths(value: Json, path: Path = []): Path[] {
  if (path.length >= 12) return [];
  const children: [string | number, Json][] = Array.isArray(value)
    ? value.map((member, index) => [index, member])
    : value && typeof value === 'object'
      ? Object.entries(value)
      : [];
  return children.flatMap(([key, member]) => [[...path, key], ...paths(member, [...path, key])]);
}

/** A lone high or low surrogate: JSON `"\ud800"` parses into one, and it cannot be encoded as UTF-8. */
const loneSurrogateArb = fc
  .oneof(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff }))
  .map((code) => String.fromCharCode(code));
/** A Default_Ignorable_Code_Point: characters a renderer may show as nothing (tag characters, fillers, selectors). */
const defaultIgnorableArb = fc
  .constantFrom(...DEFAULT_IGNORABLE_RANGES)
  .chain(([from, to]) => fc.integer({ min: from, max: to }))
  .map((code) => String.fromCodePoint(code));
/** Visible text with hidden characters and lone surrogates mixed in. */
const hiddenTextArb = fc
  .array(fc.oneof(loneSurrogateArb, defaultIgnorableArb, fc.constantFrom('a', 'Rule: x', '\n', '😀')), {
    minLength: 1,
    maxLength: 30,
  })
  .map((parts) => parts.join(''));

type Mutation =
  | { kind: 'drop' }
  | { kind: 'replace'; value: Json }
  | { kind: 'swap' }
  | { kind: 'huge'; size: number; unit: string }
  | { kind: 'deep'; depth: number }
  | { kind: 'proto'; key: string; value: Json }
  | { kind: 'append'; text: string };

const mutationArb: fc.Arbitrary<{ pick: number; mutation: Mutation }> = fc.record({
  pick: fc.nat(),
  mutation: fc.oneof(
    fc.constant<Mutation>({ kind: 'drop' }),
    fc.jsonValue({ maxDepth: 3 }).map<Mutation>((value) => ({ kind: 'replace', value })),
    fc.constant<Mutation>({ kind: 'swap' }),
    fc
      .record({
        size: fc.integer({ min: 5_000, max: 120_000 }),
        unit: fc.constantFrom(
          'x',
          'é',
          '🔥',
          '\u202e',
          '\n',
          '\u0000',
          'AKIA',
          '\ud800',
          '\udc00',
          '\u{e0041}',
          '\u3164',
        ),
      })
      .map<Mutation>(({ size, unit }) => ({ kind: 'huge', size, unit })),
    fc.integer({ min: 50, max: 2_000 }).map<Mutation>((depth) => ({ kind: 'deep', depth })),
    fc
      .record({ key: fc.constantFrom('__proto__', 'constructor', 'prototype'), value: fc.jsonValue({ maxDepth: 2 }) })
      .map<Mutation>(({ key, value }) => ({ kind: 'proto', key, value: { polluted: true, value } })),
    fc.string({ unit: 'binary', maxLength: 40 }).map<Mutation>((text) => ({ kind: 'append', text })),
    hiddenTextArb.map<Mutation>((text) => ({ kind: 'append', text })),
  ),
});

function swapType(value: Json): Json {
  if (typeof value === 'string') return Number.isNaN(Number(value)) ? value.length : Number(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (value === null) return {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((member, index) => [index, member]));
  return Object.values(value as object);
}

function nest(value: Json, depth: number): Json {
  let out = value;
  for (let i = 0; i < depth; i++) out = [out];
  return out;
}

/** The sample with the mutations applied, each at a path picked among the paths present at that point. */
function mutate(sample: Json, mutations: readonly { pick: number; mutation: Mutation }[]): Json {
  const root = { value: structuredClone(sample) as Json };
  for (const { pick, mutation } of mutations) {
    const all = paths(root.value);
    const path: Path = all.length === 0 ? [] : all[pick % all.length];
    const full: Path = ['value', ...path];
    let parent = root as Record<string | number, Json>;
    for (const key of full.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
    const key = full[full.length - 1];
    const current = parent[key];
    switch (mutation.kind) {
      case 'drop':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case 'replace':
        parent[key] = mutation.value;
        break;
      case 'swap':
        parent[key] = swapType(current);
        break;
      case 'huge':
        parent[key] = mutation.unit.repeat(Math.ceil(mutation.size / mutation.unit.length));
        break;
      case 'deep':
        parent[key] = nest(current, mutation.depth);
        break;
      case 'proto': {
        // An own `__proto__` key, as JSON.parse makes it: in the nearest object.
        const target =
          current && typeof current === 'object' && !Array.isArray(current)
            ? current
            : root.value && typeof root.value === 'object' && !Array.isArray(root.value)
              ? root.value
              : undefined;
        if (target)
          Object.defineProperty(target, mutation.key, {
            value: mutation.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        break;
      }
      case 'append':
        parent[key] = typeof current === 'string' ? current + mutation.text : mutation.text;
        break;
    }
  }
  return root.value;
}

const mutatedArb = fc
  .record({
    sample: fc.constantFrom(...RECORD_SAMPLES),
    mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
  })
  .map(({ sample, mutations }) => ({ kind: sample.kind, record: mutate(sample.record, mutations) }));

const LABEL = /^([A-Z][A-Za-z ]{0,40}): /;
/** Any code point but a line break that the alert text must have escaped (controls, Default_Ignorable, lone surrogates). */
function unsafeCodePoints(text: string): string[] {
  return [...text].filter((char) => char !== '\n' && isUnsafeCodePoint(char.codePointAt(0) as number));
}
/**
 * Safe for every sink, and no forged field: values are escaped onto their own line, so no `Label:`
 * appears twice (a forged `Rule:` or `Source:` line would repeat one). The strict comparison with the
 * template, line by line, is in hardening-alerts.
 */
function expectSafeAlert(alert: Alert): void {
  expect(alert.subject).toMatch(/^[A-Za-z0-9\p{P}\p{S}][\x20-\x7e]*$/u);
  expect(alert.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
  expect(Buffer.byteLength(alert.message)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
  expect(unsafeCodePoints(alert.message)).toEqual([]);
  // encodeURIComponent throws URIError exactly where the SNS SDK's form encoding does: on a lone surrogate.
  for (const text of [alert.subject, alert.message, alert.rule, alert.function, alert.dedupId])
    expect(() => encodeURIComponent(text)).not.toThrow();
  expect(() => encodeURIComponent(alertJsonLine(alert))).not.toThrow();
  const labels = alert.message.split('\n').flatMap((line) => LABEL.exec(line)?.[1] ?? []);
  expect(labels.filter((label, index) => labels.indexOf(label) !== index)).toEqual([]);
}

const detectors = Object.values(DETECTORS) as Detector<unknown>[];
const configs = new Map(detectors.map((detector) => [detector, detector.loadConfig(ENV)]));

describe('normalizers and functions under mutated samples', () => {
  it('every kind of sample record is in the mix', () => {
    expect(new Set(RECORD_SAMPLES.map((sample) => sample.kind)).size).toBeGreaterThanOrEqual(3);
  });

  it('a mutated record is either a valid trace event or an InvalidEventError, never another failure', () => {
    fc.assert(
      fc.property(mutatedArb, ({ kind, record }) => {
        let event;
        try {
          event = normalizeRecord(kind, record);
        } catch (error) {
          if (!(error instanceof InvalidEventError)) throw error;
          expect(error.message.length).toBeLessThan(2_000);
          return;
        }
        expect(() => validateTraceEvent(event)).not.toThrow();
      }),
      RUNS,
    );
  });

  it('every registered function takes every mutated record without throwing; its alerts are safe and forge no field', () => {
    fc.assert(
      fc.property(mutatedArb, ({ kind, record }) => {
        for (const detector of detectors) {
          const rejected: string[] = [];
          const run = new DetectionRun(detector, configs.get(detector), { onRejected: (r) => rejected.push(r.reason) });
          run.ingestRecord(kind, record, 'fuzz');
          expect(run.stats.records + run.stats.rejected).toBe(1);
          for (const reason of rejected) expect(reason.length).toBeLessThanOrEqual(501);
          run.alerts().forEach(expectSafeAlert);
        }
      }),
      RUNS,
    );
  });

  it('in any envelope, a mutated record never costs the good login beside it its alert', async () => {
    const pathArb = fc.constantFrom(...INTAKE_PATHS);
    const textArb = fc.oneof(
      fc.constant(undefined),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.nat().map((cut) => ({ cut })),
    );
    await fc.assert(
      fc.asyncProperty(
        pathArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        textArb,
        async (path, mutations, pick, textual) => {
          const sample = SAMPLES[path.cloud][pick % SAMPLES[path.cloud].length];
          const json = JSON.stringify(mutate(sample, mutations)) ?? 'null';
          // Envelopes that carry text also get text that is not JSON: a cut-off record or random characters.
          const text =
            !path.carriesText || textual === undefined
              ? json
              : typeof textual === 'string'
                ? textual.replace(/[\r\n]/g, ' ') || 'x'
                : json.slice(0, 1 + (textual.cut % json.length));
          const good = goodLogin(path.cloud);
          const batch = path.build([text, good.text]);
          const run = new DetectionRun(loginWhitelist, configs.get(loginWhitelist as Detector<unknown>), {
            fetchObject: async (_bucket, key) => batch.objects.get(key) ?? Buffer.alloc(0),
            maxDecompressedBytes: 32 * 1024 * 1024,
          });
          await run.ingest(batch.event, 'event');
          const alerts = run.alerts();
          expect(
            alerts.filter((alert) => alert.eventIds.includes(good.id) && alert.rule === RULE_OUTSIDE_WHITELIST),
          ).toHaveLength(1);
          alerts.forEach(expectSafeAlert);
        },
      ),
      { ...RUNS, numRuns: Math.round(RUNS.numRuns * 0.8) },
    );
  });

  it('unwrapEnvelope takes anything without throwing, and every item says where it came from', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4, withNullPrototype: true, withObjectString: true }), (input) => {
        for (const item of unwrapEnvelope(input, 'fuzz')) expect(item.position.startsWith('fuzz')).toBe(true);
      }),
      { ...RUNS, numRuns: RUNS.numRuns * 2 },
    );
  });
});

// --- replay of a few thousand generated records ----------------------------------------------------------

/** Records that make exactly one rejection each, wherever they are put (a Records list, NDJSON line, EventBridge detail, CTS trigger). */
function badRecordArb(cloud: Cloud): fc.Arbitrary<Json> {
  const base =
    cloud === 'aws'
      ? (fixture('aws/cloudtrail-api-call-success.json') as Record<string, Json>)
      : (fixture('huaweicloud/cts-login-outside-ip.json') as Record<string, Json>);
  const [name, service, time] =
    cloud === 'aws' ? ['eventName', 'eventSource', 'eventTime'] : ['trace_name', 'service_type', 'time'];
  const without = (...fields: string[]) =>
    Object.fromEntries(Object.entries(base).filter(([key]) => !fields.includes(key)));
  const notText = fc.oneof(
    fc.constantFrom<Json>('', '   ', null, true, false),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  );
  const notTime = fc
    .oneof(
      fc.string({ maxLength: 30 }),
      fc.integer({ max: -1 }),
      fc.double({ min: 1e17, noNaN: true }),
      fc.boolean(),
      fc.constant(null),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.nat()),
    )
    .filter((value) => normalizeTime(value) === undefined);
  return fc.oneof(
    // Only the action or the time goes missing: a record without both its name and service is not recognized as one at all, which is a rejection too.
    fc
      .constantFrom(name, time)
      .map((field) => (field === time && cloud === 'huaweicloud' ? without(field, 'record_time') : without(field))),
    notText.map((value) => ({ ...base, [name]: value })),
    notText.map((value) => ({ ...base, [service]: value })),
    notTime.map((value) =>
      cloud === 'aws' ? { ...base, [time]: value } : { ...without('record_time'), [time]: value },
    ),
    ...(cloud === 'aws'
      ? [fc.constantFrom('2.0', '0.9', 'one', '', '1.x').map((version) => ({ ...base, eventVersion: version }))]
      : []),
  );
}

interface Generated {
  files: [name: string, bytes: Buffer][];
  injected: number;
  good: number;
  outsiders: number;
}

/** A folder of trail files: thousands of good records, a known number of bad ones, and a few broken files. */
function generateTrail(): Generated {
  let injected = 0;
  let good = 0;
  let outsiders = 0;
  let seed = 42;
  const sample = <T>(arb: fc.Arbitrary<T>, count: number) => fc.sample(arb, { numRuns: count, seed: seed++ });
  const loginSample = {
    aws: fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json'),
    huaweicloud: fixture('huaweicloud/cts-login-outside-ip.json'),
  } as Record<Cloud, Record<string, Json>>;
  /** A login with its own id: one in three from outside the whitelist, the others from inside. */
  const goodRecord = (cloud: Cloud): Json => {
    const serial = good++;
    const outside = serial % 3 === 0;
    if (outside) outsiders += 1;
    const ip = outside ? `198.51.${100 + (serial % 7)}.${serial % 250}` : `203.0.113.${serial % 250}`;
    return cloud === 'aws'
      ? { ...loginSample.aws, eventID: `gen-aws-${serial}`, sourceIPAddress: ip }
      : { ...loginSample.huaweicloud, trace_id: `gen-cts-${serial}`, source_ip: ip };
  };
  const interleave = (goods: Json[], bads: Json[]) => {
    const out = [...goods];
    bads.forEach((bad, index) => out.splice((index * 7919) % (out.length + 1), 0, bad));
    return out;
  };

  // A CloudTrail log file, plain, and another gzip: bad records inside Records.
  const files: Generated['files'] = [];
  for (const [name, gzip] of [
    ['trail-1.json', false],
    ['trail-2.json.gz', true],
  ] as const) {
    const bads = sample(badRecordArb('aws'), 400);
    injected += bads.length;
    const text = JSON.stringify({
      Records: interleave(
        Array.from({ length: 600 }, () => goodRecord('aws')),
        bads,
      ),
    });
    files.push([name, gzip ? gzipSync(text) : Buffer.from(text)]);
  }

  // NDJSON of CTS: raw traces and FunctionGraph trigger events, bad lines of every sort.
  const ctsLines = Array.from({ length: 500 }, (_, i) =>
    JSON.stringify(i % 2 === 0 ? goodRecord('huaweicloud') : { cts: goodRecord('huaweicloud') }),
  );
  const badCts = sample(badRecordArb('huaweicloud'), 300).map((record, i) =>
    JSON.stringify(i % 2 === 0 ? record : { cts: record }),
  );
  const scalars = sample(
    fc
      .oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null))
      .map((value) => JSON.stringify(value)),
    100,
  );
  const cut = sample(fc.nat(), 100).map((n, i) => ctsLines[i].slice(0, 1 + (n % (ctsLines[i].length - 1))));
  injected += badCts.length + scalars.length + cut.length;
  files.push(['traces.ndjson', Buffer.from(`${interleave(ctsLines, [...badCts, ...scalars, ...cut]).join('\n\n')}\n`)]);

  // NDJSON of EventBridge sign-in events whose detail is broken.
  const ebGood = Array.from({ length: 300 }, (_, i) => ({
    'detail-type': 'AWS Console Sign In via CloudTrail',
    id: `eb-${i}`,
    detail: goodRecord('aws'),
  }));
  const ebBad = sample(fc.oneof(badRecordArb('aws'), fc.constantFrom<Json>(42, 'detail', null)), 200).map(
    (detail, i) => ({ 'detail-type': 'AWS Console Sign In via CloudTrail', id: `eb-bad-${i}`, detail }),
  );
  injected += ebBad.length;
  files.push([
    'eventbridge.ndjson',
    Buffer.from(
      interleave(ebGood, ebBad)
        .map((event) => JSON.stringify(event))
        .join('\r\n'),
    ),
  ]);

  // Whole files that cannot be read at all: one rejection each.
  files.push(['broken.json', Buffer.from('{"Records": [{"eventVersion": "1.08",')]);
  files.push(['truncated.json.gz', gzipSync(JSON.stringify({ Records: [loginSample.aws] })).subarray(0, 30)]);
  files.push(['empty.json', Buffer.alloc(0)]);
  injected += 3;
  return { files, injected, good, outsiders };
}

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env: { ...ENV, ...env },
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
  };
}

function expectReplayOutcome(code: number | null, stdout: string[], stderr: string[], trail: Generated): void {
  expect(code).toBe(1);
  const summary = stderr.filter((line) => line.startsWith('login-whitelist: ')).at(-1) ?? '';
  expect(summary).toContain(`, ${trail.injected} rejected,`);
  expect(summary).toContain(`${trail.good} record(s)`);
  // The first 100 rejections are listed one per line, the rest counted on one line.
  const listed = stderr.filter((line) => line.startsWith('rejected: ') && !line.startsWith('rejected: …'));
  expect(listed).toHaveLength(Math.min(trail.injected, REPORTED_IN_FULL));
  expect(stderr).toContain(
    `rejected: … and ${(trail.injected - REPORTED_IN_FULL).toLocaleString('en-US')} more (only the first ${REPORTED_IN_FULL} are listed)`,
  );
  const alerts = stdout.map((line) => JSON.parse(line) as { rule: string; count: number });
  expect(
    alerts.filter((alert) => alert.rule === RULE_OUTSIDE_WHITELIST).reduce((sum, alert) => sum + alert.count, 0),
  ).toBe(trail.outsiders);
}

describe('a replay over thousands of generated records, a known number of them malformed', () => {
  const trail = generateTrail();
  const dir = mkdtempSync(join(tmpdir(), 'trailguard-fuzz-'));
  for (const [name, bytes] of trail.files) writeFileSync(join(dir, name), bytes);

  it('was generated as intended', () => {
    expect(trail.injected).toBeGreaterThan(1_500);
    expect(trail.good).toBeGreaterThanOrEqual(2_000);
  });

  it('through main: exit code 1, every injected record rejected once, every outsider login alerted', async () => {
    const io = captureIo();
    const code = await main(['replay', 'login-whitelist', dir, '--json'], io);
    expectReplayOutcome(code, io.stdout, io.stderr, trail);
  });

  it('through the built CLI in a child process: the same', async () => {
    const build = buildBundles();
    expect(build.status).toBe(0);
    const child = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'trailguard.js'), 'replay', 'login-whitelist', dir, '--json'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...ENV },
        maxBuffer: 64 * 1024 * 1024,
      },
    ).then(
      (done) => ({ code: 0, ...done }),
      (failed: { code: number; stdout: string; stderr: string }) => failed,
    );
    const lines = (text: string) => text.split('\n').filter((line) => line !== '');
    expectReplayOutcome(child.code, lines(child.stdout), lines(child.stderr), trail);
  }, 30_000);
});

// --- classes of hostile input: nesting, volume, loops -------------------------------------------------------

/** Envelopes that carry another envelope, as JSON text in and out. */
const WRAPPERS: Record<string, (text: string) => string> = {
  'SNS HTTP message': (text) =>
    JSON.stringify({ Type: 'Notification', MessageId: 'sns-1', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: text }),
  'Lambda SNS event': (text) =>
    JSON.stringify({
      Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: 'm', Message: text } }],
    }),
  'Lambda SQS event': (text) => JSON.stringify({ Records: [{ eventSource: 'aws:sqs', messageId: 'q', body: text }] }),
  'Lambda invocation record': (text) =>
    `{"version":"1.0","requestContext":{"requestId":"r"},"requestPayload":${text},"responseContext":{"statusCode":200}}`,
  'sqs receive-message output': (text) =>
    JSON.stringify({ Messages: [{ MessageId: 'x', ReceiptHandle: 'h', MD5OfBody: 'm', Body: text }] }),
  'FunctionGraph SMN trigger': (text) => JSON.stringify({ record: [{ smn: { message_id: 's', message: text } }] }),
  'JSON array': (text) => `[${text}]`,
};
const wrapperChainArb = fc.array(fc.constantFrom(...Object.keys(WRAPPERS)), { maxLength: 3 });
const wrap = (text: string, chain: readonly string[]) => chain.reduce((inner, name) => WRAPPERS[name](inner), text);
/** One CloudWatch Logs payload of one message padded with `padBytes` of whitespace (inflates ~1000:1). */
const paddedPayload = (message: string, padBytes: number) => awslogsEnvelope([message + ' '.repeat(padBytes)]);

describe('hostile input classes (issue #10)', () => {
  const config = configs.get(loginWhitelist as Detector<unknown>);
  const good = goodLogin('aws');

  it('a CloudWatch Logs payload inside a log event, in any wrapping, is rejected unopened; the rest goes on', async () => {
    await fc.assert(
      fc.asyncProperty(wrapperChainArb, wrapperChainArb, fc.boolean(), async (outer, inner, asFile) => {
        const nested = wrap(paddedPayload(JSON.stringify({ Records: [] }), 1024 * 1024), inner);
        const top = wrap(awslogsEnvelope([good.text, nested]), outer);
        const run = new DetectionRun(loginWhitelist, config);
        if (asFile) await run.ingestBytes(Buffer.from(top), 'f');
        else await run.ingest(JSON.parse(top), 'event');
        expect(run.stats.rejected).toBe(1);
        expect(run.stats.rejections[0].reason).toMatch(/inside a log event message|nested more than/);
        // Only the outer payload was unpacked: the 1 MiB inside never was.
        expect(run.stats.inflated).toBeLessThan(64 * 1024);
        expect(run.alerts().flatMap((alert) => alert.eventIds)).toEqual([good.id]);
      }),
      { ...RUNS, numRuns: 60 },
    );
  });

  it('every payload of one input, however wrapped, shares one MAX_DECOMPRESSED_MB budget', async () => {
    const payloadArb = fc.record({ pad: fc.integer({ min: 16 * 1024, max: 1024 * 1024 }), chain: wrapperChainArb });
    await fc.assert(
      fc.asyncProperty(
        fc.array(payloadArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 64 * 1024, max: 4 * 1024 * 1024 }),
        fc.constantFrom('ndjson', 'ndjson.gz', 'array'),
        async (payloads, budget, form) => {
          const texts = payloads.map(({ pad, chain }, i) =>
            wrap(
              paddedPayload(JSON.stringify({ ...(JSON.parse(good.text) as object), eventID: `p-${i}` }), pad),
              chain,
            ),
          );
          const run = new DetectionRun(loginWhitelist, config, { maxDecompressedBytes: budget });
          const ndjson = Buffer.from(texts.join('\n'));
          if (form === 'array') await run.ingest(JSON.parse(`[${texts.join(',')}]`), 'event');
          else await run.ingestBytes(form === 'ndjson' ? ndjson : gzipSync(ndjson), 'f');
          expect(run.stats.inflated).toBeLessThanOrEqual(budget);
          const decoded = run.stats.records;
          // Each payload is decoded (one record) or rejected; a gzip file bigger than the budget is one rejection.
          const wholeFileRejected = form === 'ndjson.gz' && decoded === 0 && run.stats.rejected === 1;
          if (!wholeFileRejected) expect(decoded + run.stats.rejected).toBe(payloads.length);
          for (const rejection of run.stats.rejections) expect(rejection.reason).toMatch(/decompressed size exceeds/);
          const total = payloads.reduce((sum, { pad }) => sum + pad, 0);
          if (total * 1.1 + (form === 'ndjson.gz' ? ndjson.length : 0) < budget) expect(run.stats.rejected).toBe(0);
        },
      ),
      { ...RUNS, numRuns: 40 },
    );
  });

  it('any number of tiny elements in any list: all counted, only the first 100 kept and reported', async () => {
    const elementArb = fc.constantFrom('1', '{}', '[]', 'null', '"x"', 'true', '{"a":1}');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30_000 }),
        elementArb,
        fc.constantFrom('Records', 'traces', 'array', 'ndjson'),
        fc.boolean(),
        async (count, element, form, gzip) => {
          const list = `${element},`.repeat(count - 1) + element;
          const text =
            form === 'array' ? `[${list}]` : form === 'ndjson' ? `${element}\n`.repeat(count) : `{"${form}":[${list}]}`;
          const reported: string[] = [];
          const run = new DetectionRun(loginWhitelist, config, { onRejected: (r) => reported.push(r.position) });
          await run.ingestBytes(gzip ? gzipSync(text) : Buffer.from(text), 'f');
          // `[]` elements are empty lists (skipped); everything else is rejected, one by one.
          const expected = element === '[]' && form !== 'ndjson' ? 0 : count;
          if (element === '[]') expect(run.stats.rejected + run.stats.skipped).toBe(count);
          else expect(run.stats.rejected).toBe(expected);
          expect(run.stats.rejections).toHaveLength(Math.min(run.stats.rejected, REPORTED_IN_FULL));
          expect(reported).toHaveLength(Math.min(run.stats.rejected, REPORTED_IN_FULL));
          expect(run.stats.skips.length).toBeLessThanOrEqual(REPORTED_IN_FULL);
        },
      ),
      { ...RUNS, numRuns: 40 },
    );
  });

  it('no spread of a collected list into a call anywhere in shared/ or cli/ (it overflows the stack past ~125k)', () => {
    const sources = (folder: string): string[] =>
      readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? sources(join(folder, entry.name))
          : entry.name.endsWith('.ts')
            ? [join(folder, entry.name)]
            : [],
      );
    const offending: string[] = [];
    for (const file of [...sources(join(ROOT, 'shared')), ...sources(join(ROOT, 'cli'))]) {
      const text = require('node:fs').readFileSync(file, 'utf8') as string;
      for (const [index, line] of text.split('\n').entries())
        if (/\.(push|unshift|concat|apply)\(\.\.\.|Math\.(max|min)\(\.\.\.|fromCharCode\(\.\.\./.test(line))
          offending.push(`${file}:${index + 1}: ${line.trim()}`);
    }
    // cli/parse-args.ts spreads argv, which the OS bounds; nothing else may.
    expect(offending.filter((line) => !line.includes('argv.slice'))).toEqual([]);
  });

  it('any folder graph with symbolic links: the walk ends, each file is listed once, each loop reported once', async () => {
    const graphArb = fc.record({
      folders: fc.integer({ min: 1, max: 5 }),
      links: fc.array(fc.record({ from: fc.nat(), to: fc.nat() }), { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(graphArb, async ({ folders, links }) => {
        const root = mkdtempSync(join(tmpdir(), 'trailguard-walk-'));
        try {
          // Folder i sits inside folder i-1 (a chain), and holds one file.
          const paths: string[] = [];
          for (let i = 0; i < folders; i++) {
            const path = i === 0 ? root : join(paths[i - 1], `f${i}`);
            mkdirSync(path, { recursive: true });
            writeFileSync(join(path, `file-${i}.json`), '{}');
            paths.push(path);
          }
          links.forEach(({ from, to }, index) =>
            symlinkSync(paths[to % folders], join(paths[from % folders], `link-${index}`)),
          );
          const { files, problems, warnings } = await collectInputFiles([root]);
          expect(problems).toEqual([]);
          const names = files.map((file) => file.path.split('/').at(-1));
          expect(new Set(names).size).toBe(folders);
          expect(names).toHaveLength(folders);
          expect(warnings.length).toBeLessThanOrEqual(links.length);
          expect(new Set(warnings).size).toBe(warnings.length);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { ...RUNS, numRuns: 30 },
    );
  });
});
