/**
 * The performance rewrites must not change a single answer. Each fast path is checked against the
 * slow definition it replaces:
 * - scanRecordList (record-at-a-time reading of big log files) against JSON.parse of the whole text;
 * - a DetectionRun reading record at a time against one parsing the whole document;
 * - the generated trace-event validator against ajv on the same schema;
 * - the arithmetic ISO formatting in normalizeTime against Date#toISOString.
 *
 * It lives with the benchmark that motivated it; jest's roots are test/, so run it with
 * `npx jest --roots '<rootDir>/bench' --testMatch '<rootDir>/bench/hot-path.equivalence.test.ts'`, or move it into test/.
 */
import Ajv from 'ajv';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DETECTORS } from '../functions/registry';
import { scanRecordList } from '../shared/intake/decode-input';
import { normalizeTime } from '../shared/normalize/normalize-time';
import { DetectionRun } from '../shared/pipeline';
import { traceEventSchema } from '../shared/normalize/trace-event';
import { compileSchema } from '../shared/normalize/validate-trace-event';

const EVENTS = join(__dirname, '..', 'events');

function parsesAsRecordList(bytes: Buffer): { key: string; elements: unknown[] } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const keys = Object.keys(parsed);
  const key = keys[0];
  if (keys.length !== 1 || (key !== 'Records' && key !== 'traces')) return undefined;
  const elements = (parsed as Record<string, unknown>)[key];
  return Array.isArray(elements) ? { key, elements } : undefined;
}

describe('scanRecordList', () => {
  const whitespace = fc.constantFrom('', ' ', '\n', '\r\n', '\t');
  const documents = fc
    .tuple(
      fc.constantFrom('Records', 'traces', 'Record', 'records'),
      fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
      whitespace,
      whitespace,
      fc.boolean(),
    )
    .map(([key, elements, w1, w2, pretty]) => {
      const inner = elements.map((element) => JSON.stringify(element, null, pretty ? 2 : undefined)).join(`,${w2}`);
      return Buffer.from(`${w1}{${w2}"${key}"${w1}:${w2}[${w1}${inner}${w2}]${w1}}${w2}`, 'utf8');
    });
  const edits = fc.tuple(
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom('replace', 'insert', 'delete', 'truncate', 'none'),
  );

  function edit(bytes: Buffer, [at, byte, kind]: [number, number, string]): Buffer {
    const p = bytes.length > 0 ? at % bytes.length : 0;
    if (kind === 'replace' && bytes.length > 0)
      return Buffer.concat([bytes.subarray(0, p), Buffer.from([byte]), bytes.subarray(p + 1)]);
    if (kind === 'insert') return Buffer.concat([bytes.subarray(0, p), Buffer.from([byte]), bytes.subarray(p)]);
    if (kind === 'delete') return Buffer.concat([bytes.subarray(0, p), bytes.subarray(p + 1)]);
    if (kind === 'truncate') return bytes.subarray(0, p);
    return bytes;
  }

  it('accepts a document only if JSON.parse does, and then yields exactly its elements', () => {
    fc.assert(
      fc.property(documents, edits, (document, change) => {
        const bytes = edit(document, change);
        const list = scanRecordList(bytes, 'x');
        if (list === undefined) return;
        const expected = parsesAsRecordList(bytes);
        expect(expected).toBeDefined();
        expect(list.key).toBe(expected?.key);
        expect(Array.from({ length: list.count }, (_, i) => list.at(i))).toEqual(expected?.elements);
      }),
      { numRuns: 20000 },
    );
  });

  it('accepts every well-formed one-member document (so big files do take the fast path)', () => {
    fc.assert(
      fc.property(documents, (document) =>
        expect(scanRecordList(document, 'x') !== undefined).toBe(
          /^\s*\{\s*"(Records|traces)"/.test(document.toString()),
        ),
      ),
      {
        numRuns: 5000,
      },
    );
  });

  it('agrees with JSON.parse on strings with escapes, control characters and non-UTF-8 bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (texts, at, byte) => {
          const bytes = Buffer.from(JSON.stringify({ Records: texts.map((text) => ({ text, [text]: 1 })) }), 'utf8');
          if (bytes.length > 0) bytes[at % bytes.length] = byte;
          const list = scanRecordList(bytes, 'x');
          expect(list !== undefined).toBe(parsesAsRecordList(bytes) !== undefined);
        },
      ),
      { numRuns: 20000 },
    );
  });
});

describe('reading a log file record at a time', () => {
  const fixtures = ['aws', 'huaweicloud'].flatMap((dir) =>
    readdirSync(join(EVENTS, dir)).map((file) => join(EVENTS, dir, file)),
  );
  const logFile = readFileSync(join(EVENTS, 'aws', 'envelope-cloudtrail-log-file.json'));
  const compact = Buffer.from(JSON.stringify(JSON.parse(logFile.toString('utf8'))));
  const env = { RULE_SETS: 'all', IP_WHITELIST: '203.0.113.0/24', ALERT_ON_FAILED_LOGIN: 'true' };

  async function outcome(name: string, bytes: Buffer, recordListBytes: number): Promise<string[]> {
    const outcomes: string[] = [];
    for (const detector of Object.values(DETECTORS)) {
      if (!detector) continue;
      const calls: string[] = [];
      const run = new DetectionRun(detector, detector.loadConfig(env), {
        recordListBytes,
        onRejected: (rejected) => calls.push(JSON.stringify(rejected)),
        onFindings: (findings) => calls.push(findings.map((finding) => `${finding.rule}/${finding.event.id}`).join()),
      });
      await run.ingestBytes(bytes, name, false);
      outcomes.push(JSON.stringify({ stats: run.stats, alerts: run.alerts(), calls }));
    }
    return outcomes;
  }

  it.each(fixtures.map((path) => [path.slice(EVENTS.length + 1), path]))(
    '%s: same outcome either way',
    async (_name, path) => {
      const bytes = readFileSync(path);
      expect(await outcome(path, bytes, 0)).toEqual(await outcome(path, bytes, Number.POSITIVE_INFINITY));
    },
  );

  it.each([
    ['gzip', gzipSync(compact)],
    ['truncated', compact.subarray(0, compact.length - 7)],
    [
      'a control character inside a string',
      Buffer.from(compact.toString().replace('ConsoleLogin', 'Console\u0001Login')),
    ],
    ['two documents (NDJSON)', Buffer.concat([compact, Buffer.from('\n'), compact])],
    ['a second member', Buffer.from(`${compact.toString().slice(0, -1)},"cts":{}}`)],
    ['a duplicate Records member', Buffer.from(`${compact.toString().slice(0, -1)},"Records":[]}`)],
    [
      'mixed elements',
      Buffer.from(
        '{"Records":[1,"x",null,{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}',
      ),
    ],
    ['an empty list', Buffer.from('{"traces":[]}')],
  ])('%s: same outcome either way', async (name, bytes) => {
    expect(await outcome(name, bytes, 0)).toEqual(await outcome(name, bytes, Number.POSITIVE_INFINITY));
  });

  it('a log file with any one byte changed: same outcome either way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 255 }), async (at, byte) => {
        const bytes = Buffer.from(compact);
        bytes[at % bytes.length] = byte;
        expect(await outcome('changed', bytes, 0)).toEqual(await outcome('changed', bytes, Number.POSITIVE_INFINITY));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the generated trace-event validator', () => {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const reference = ajv.compile(traceEventSchema);
  const generated = compileSchema(traceEventSchema);
  const valid = {
    id: 'e1',
    time: '2024-06-03T17:22:09.000Z',
    cloud: 'aws',
    source: 'cloudtrail',
    service: 's',
    action: 'a',
    category: 'login',
    outcome: 'success',
    error: { code: 'x', message: 'y' },
    actor: {
      type: 'IAMUser',
      id: 'i',
      name: 'n',
      arn: 'a',
      account: '1',
      accountName: 'x',
      mfa: true,
      accessKeyId: 'k',
      invokedBy: 'b',
    },
    sourceAddress: '1.2.3.4',
    sourceAddressKind: 'ipv4',
    sourceIp: '1.2.3.4',
    userAgent: 'u',
    region: 'r',
    account: '1',
    resource: { type: 't', id: 'i', name: 'n' },
    compliance: {
      rule: 'r',
      newState: 'COMPLIANT',
      oldState: 'NON_COMPLIANT',
      resourceType: 'x',
      resourceId: 'y',
      annotation: 'z',
    },
    raw: { a: 1 },
  };
  const paths = [
    'id',
    'time',
    'cloud',
    'source',
    'category',
    'outcome',
    'error',
    'error.code',
    'error.extra',
    'actor',
    'actor.type',
    'actor.mfa',
    'actor.extra',
    'sourceAddress',
    'sourceAddressKind',
    'sourceIp',
    'resource',
    'resource.extra',
    'compliance',
    'compliance.newState',
    'compliance.extra',
    'raw',
    'extra',
  ];
  const values = fc.oneof(
    fc.constantFrom(
      undefined,
      null,
      '',
      '\ud83d\ude00',
      '\ud83d',
      'x\ud83d\ude00',
      'aws',
      'login',
      'ipv4',
      'COMPLIANT',
      '2024-06-03T17:22:09.000Z',
      '2024-06-03T17:22:09.000Z\n',
    ),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 3 }),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  );

  it('compiles the schema (no keyword outside its subset)', () => {
    expect(generated).toBeDefined();
  });

  it('gives ajv’s answer for events with members changed, removed or added', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), values, fc.boolean()), { maxLength: 4 }), (changes) => {
        const event = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
        for (const [path, value, remove] of changes) {
          const parts = path.split('.');
          const parent = parts.length === 1 ? event : (event[parts[0]] as Record<string, unknown> | undefined);
          if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) continue;
          const key = parts[parts.length - 1];
          if (remove) delete parent[key];
          else parent[key] = value;
        }
        expect(generated?.(event)).toBe(reference(event));
      }),
      { numRuns: 20000 },
    );
  });

  it('gives ajv’s answer for any value, and for inherited or non-enumerable members', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => expect(generated?.(value)).toBe(reference(value))),
      { numRuns: 5000 },
    );
    const copy = (): Record<string, unknown> => JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
    const hidden = copy();
    Object.defineProperty(hidden, 'id', { value: 5, enumerable: false });
    const { id: _id, ...withoutId } = copy();
    const inherited = Object.assign(Object.create({ id: 'from the prototype' }) as object, withoutId);
    const extraInherited = Object.assign(Object.create({ extra: 1 }) as object, copy());
    for (const event of [hidden, inherited, extraInherited]) expect(generated?.(event)).toBe(reference(event));
  });
});

describe('normalizeTime', () => {
  it('formats epoch milliseconds exactly as Date#toISOString, 1973 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1e11, max: 253_402_300_799_999 }), (ms) =>
        expect(normalizeTime(ms)).toBe(new Date(ms).toISOString()),
      ),
      { numRuns: 50000 },
    );
  });

  it('formats epoch seconds exactly as Date#toISOString', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e11 - 1 }), (s) =>
        expect(normalizeTime(s)).toBe(new Date(s * 1000).toISOString()),
      ),
      { numRuns: 20000 },
    );
  });
});
