/**
 * The prefilter (shared/prefilter) must not change a single answer: the same stats (records, duplicates,
 * rejected, rejections), the same callbacks and the same alerts with it as without it, for every function,
 * on the real-record corpus (events/) and on fast-check records made to sit on every edge the prefilter
 * decides by (escapes, doubled members, odd types, odd times and versions, re-delivered ids). The record-list
 * scan it relies on must accept exactly what JSON.parse accepts.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TAMPER_EVENT_NAMES } from '../functions/trail-integrity/prefilter';
import { CIS_PATTERNS } from '../shared/detect/filter-pattern/cis-patterns';
import { scanRecordList } from '../shared/intake/decode-input';
import { needOfFilterPattern } from '../shared/prefilter/from-filter-pattern';
import { describeNeed } from '../shared/prefilter/need';
import { compilePrefilter } from '../shared/prefilter/skip-records';
import { DEFAULT_CONFIGS, detectorOf, expectSameAnswers, type PrefilterConfig } from './support/prefilter-equivalence';

const EVENTS = join(__dirname, '..', 'events');

const CONFIGS: PrefilterConfig[] = [...DEFAULT_CONFIGS, { fn: 'unauthorized-api', env: { CTS_RULE: 'false' } }];

async function expectSameWithAndWithout(bytes: Buffer, name = 'trail.json.gz'): Promise<void> {
  await expectSameAnswers(bytes, name, CONFIGS);
}

/** Every CloudTrail record in events/: bare records, and the elements of Records lists and EventBridge details. */
function corpusRecords(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json')) {
        let value: unknown;
        try {
          value = JSON.parse(readFileSync(path, 'utf8'));
        } catch {
          continue;
        }
        collect(value);
      }
    }
  };
  const collect = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.Records)) for (const element of record.Records) collect(element);
    else if (typeof record.detail === 'object') collect(record.detail);
    else if (typeof record.eventName === 'string' && typeof record.eventSource === 'string') out.push(record);
  };
  walk(EVENTS);
  return out;
}

const CORPUS = corpusRecords();

/** Every CTS trace in events/: bare traces, trigger events' `cts` members, and the elements of trace lists. */
function corpusTraces(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const collect = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.traces)) for (const element of record.traces) collect(element);
    else if (typeof record.cts === 'object') collect(record.cts);
    else if (typeof record.trace_name === 'string') out.push(record);
  };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json'))
        try {
          collect(JSON.parse(readFileSync(path, 'utf8')));
        } catch {
          // not JSON: not a trace
        }
    }
  };
  walk(EVENTS);
  return out;
}

const TRACES = corpusTraces();

function logFile(records: readonly unknown[]): Buffer {
  return gzipSync(Buffer.from(JSON.stringify({ Records: records }), 'utf8'));
}

describe('prefilter declarations', () => {
  it('reads the CIS patterns as member tests and text searches, never as `always`', () => {
    for (const cis of CIS_PATTERNS)
      expect([cis.id, describeNeed(needOfFilterPattern(cis.pattern))]).not.toEqual([cis.id, 'always']);
    expect(
      describeNeed(needOfFilterPattern('{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}')),
    ).toBe('errorCode = "*UnauthorizedOperation" || errorCode = "AccessDenied*"');
    expect(
      describeNeed(needOfFilterPattern('{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS}')),
    ).toBe('contains "Root"');
  });

  it.each([
    ['{ $.eventName != "GetObject" }'],
    ['{ $.errorCode = %Access.*% }'],
    ['AccessDenied'],
    ['[version, account]'],
    ['{ $.requestParameters.size = "100" }'],
    ['{ $.eventName = "ConsoleLogin" || $.x NOT EXISTS }'],
    ['{ $.a.b = "*" }'],
    ['{ $.a.b = "x\\"y" }'],
  ])('cannot reduce %s: every record parsed', (pattern) => {
    expect(describeNeed(needOfFilterPattern(pattern))).toBe('always');
  });

  it('a custom rule that cannot be reduced turns the CloudTrail prefilter off, not the CTS one', () => {
    const detector = detectorOf('unauthorized-api');
    const custom = JSON.stringify([{ name: 'ne', pattern: '{ $.eventName != "x" }' }]);
    const withCts = compilePrefilter(detector.prefilter?.(detector.loadConfig({ CUSTOM_RULES: custom })));
    expect(withCts?.keys.Records).toBeUndefined();
    expect(withCts?.keys.traces).toContain('code');
    // CTS_RULE off: no trace can give a finding, so the skippable ones are skipped.
    const noCts = detector.prefilter?.(detector.loadConfig({ CUSTOM_RULES: custom, CTS_RULE: 'false' }));
    expect(noCts && describeNeed(noCts.cts ?? { type: 'always' })).toBe('never');
  });

  it('trail-integrity parses every action its tamper rules name', () => {
    const rules = readFileSync(join(__dirname, '..', 'functions', 'trail-integrity', 'tamper-rules.ts'), 'utf8');
    const cloudTrailPart = rules.slice(rules.indexOf('function detectCloudTrail'), rules.indexOf('function detectCts'));
    const named = new Set(
      [...cloudTrailPart.matchAll(/(?:case |action === |action !== |^\s+)'?([A-Z][A-Za-z]+)'?:? ?[{:']/gm)].map(
        (m) => m[1],
      ),
    );
    for (const name of [
      'StopLogging',
      'DeleteTrail',
      'UpdateTrail',
      'DisableKey',
      'ScheduleKeyDeletion',
      'DeleteBucket',
    ])
      expect(named.has(name) || cloudTrailPart.includes(`'${name}'`)).toBe(true);
    for (const match of cloudTrailPart.matchAll(/case '([A-Za-z]+)'/g)) expect(TAMPER_EVENT_NAMES).toContain(match[1]);
    for (const match of cloudTrailPart.matchAll(/^ {2}([A-Z][A-Za-z]+): \{ severity/gm))
      expect(TAMPER_EVENT_NAMES).toContain(match[1]);
  });
});

describe('same answers with and without the prefilter', () => {
  it('finds CloudTrail records in the corpus', () => {
    expect(CORPUS.length).toBeGreaterThan(20);
  });

  it('on the whole corpus as one log file, each record alone, and re-delivered', async () => {
    await expectSameWithAndWithout(logFile(CORPUS));
    await expectSameWithAndWithout(logFile([...CORPUS, ...CORPUS.slice(0, 10)]));
    for (const record of CORPUS) await expectSameWithAndWithout(logFile([record]));
  });

  /** Text edits of one serialized record, each at an edge the prefilter decides by. */
  const EVENT_NAMES = [
    'ConsoleLogin',
    'PutEvaluations',
    'StopLogging',
    'DeleteBucket',
    'GetObject',
    'CreateVpc',
    'PutBucketPolicy',
    ' ConsoleLogin',
    '',
    'consolelogin',
  ];
  const edits = fc.constantFrom(
    'none',
    'escape-name',
    'escape-value',
    'double-name',
    'name-number',
    'no-id',
    'blank-id',
    'space-id',
    'no-time',
    'bad-time',
    'offset-time',
    'numeric-time',
    'version-2',
    'version-odd',
    'version-number',
    'no-version',
    'source-s3',
    'source-trailguard',
    'sns',
    'error-code',
    'error-denied',
    'root',
    'array',
    'null',
    'no-source',
    'name-object',
    'slash-escape',
    'unicode',
    'bucket',
  );
  function applyEdit(record: Record<string, unknown>, edit: string, name: string): string {
    const r: Record<string, unknown> = { ...record, eventName: name };
    switch (edit) {
      case 'no-id':
        delete r.eventID;
        break;
      case 'blank-id':
        r.eventID = '';
        break;
      case 'space-id':
        r.eventID = ' id';
        break;
      case 'no-time':
        delete r.eventTime;
        break;
      case 'bad-time':
        r.eventTime = 'yesterday';
        break;
      case 'offset-time':
        r.eventTime = '2024-06-03T17:22:09+02:00';
        break;
      case 'numeric-time':
        r.eventTime = 1717435329000;
        break;
      case 'version-2':
        r.eventVersion = '2.1';
        break;
      case 'version-odd':
        r.eventVersion = ' 1.08';
        break;
      case 'version-number':
        r.eventVersion = 1.08;
        break;
      case 'no-version':
        delete r.eventVersion;
        break;
      case 'source-s3':
        r.eventSource = 'aws:s3';
        break;
      case 'source-trailguard':
        r.eventSource = 'trailguard';
        r.kind = 'gap';
        break;
      case 'sns':
        r.Sns = { Message: 'x' };
        break;
      case 'error-code':
        r.errorCode = 'Client.UnauthorizedOperation';
        break;
      case 'error-denied':
        r.errorCode = 'AccessDenied';
        break;
      case 'root':
        r.userIdentity = { type: 'Root', arn: 'arn:aws:iam::111122223333:root' };
        break;
      case 'no-source':
        delete r.eventSource;
        break;
      case 'name-number':
        r.eventName = 7;
        break;
      case 'name-object':
        r.eventName = { ConsoleLogin: true };
        break;
      case 'unicode':
        r.userAgent = 'ünïcödé \u{1F600}';
        break;
      case 'bucket':
        r.requestParameters = { bucketName: 'acme-prod-logs' };
        r.awsRegion = 'us-east-1';
        break;
      case 'array':
        return '[1,2]';
      case 'null':
        return 'null';
    }
    let text = JSON.stringify(r);
    if (edit === 'escape-name')
      text = text.replace(
        `"eventName":"${name}"`,
        `"eventName":"${[...name].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`,
      );
    if (edit === 'escape-value')
      text = text.replace('"Root"', '"\\u0052oot"').replace('AccessDenied', 'Access\\u0044enied');
    if (edit === 'slash-escape')
      text = text
        .replace('.amazonaws.com', '.amazonaws\\/com'.replace('\\/', '.'))
        .replace('"eventName"', '"event\\u004eame"');
    if (edit === 'double-name') text = `{"eventName":"GetObject",${text.slice(1)}`;
    return text;
  }

  it('on corpus records edited at every edge, with re-deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: CORPUS.length - 1 }), edits, fc.constantFrom(...EVENT_NAMES), fc.boolean()), {
          minLength: 1,
          maxLength: 12,
        }),
        async (picks) => {
          const texts = picks.map(([index, edit, name, again]) => {
            const text = applyEdit(CORPUS[index], edit, name);
            return again ? `${text},${text}` : text;
          });
          await expectSameWithAndWithout(gzipSync(Buffer.from(`{"Records":[${texts.join(',')}]}`, 'utf8')));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('same answers with and without the prefilter, CTS trace lists', () => {
  it('finds CTS traces in the corpus', () => {
    expect(TRACES.length).toBeGreaterThan(5);
  });

  it('on the corpus, each trace alone, and re-delivered', async () => {
    const file = (traces: readonly unknown[]) => gzipSync(Buffer.from(JSON.stringify({ traces }), 'utf8'));
    await expectSameWithAndWithout(file([...TRACES, ...TRACES.slice(0, 3)]), 'cts.json.gz');
    for (const trace of TRACES) await expectSameWithAndWithout(file([trace]), 'cts.json.gz');
  });

  const NAMES = [
    'login',
    'LOGIN',
    'loginFailed',
    'logout',
    'scanQrCodeLogin',
    'createServer',
    'deleteTracker',
    ' login',
    'İogin',
  ];
  const SERVICES = ['CTS', 'cts', 'Cts', 'trailguard', 'ECS', 'IAM', ' CTS'];
  const edits = fc.constantFrom(
    'none',
    'time-number',
    'time-seconds',
    'time-string',
    'time-bad',
    'time-object',
    'no-time',
    'record-time-only',
    'no-id',
    'blank-id',
    'escape-name',
    'name-number',
    'service-number',
    'no-service',
    'kind',
    'code-403',
    'double-name',
  );
  function applyEdit(trace: Record<string, unknown>, edit: string, name: string, service: string): string {
    const t: Record<string, unknown> = { ...trace, trace_name: name, service_type: service };
    switch (edit) {
      case 'time-number':
        t.time = 1717435329123;
        break;
      case 'time-seconds':
        t.time = 1717435329;
        break;
      case 'time-string':
        t.time = '2024/06/03 17:22:09 GMT+08:00';
        break;
      case 'time-bad':
        t.time = 'soon';
        t.record_time = 1717435329000;
        break;
      case 'time-object':
        t.time = { at: 1 };
        break;
      case 'no-time':
        delete t.time;
        delete t.record_time;
        break;
      case 'record-time-only':
        delete t.time;
        t.record_time = '1717435329000';
        break;
      case 'no-id':
        delete t.trace_id;
        break;
      case 'blank-id':
        t.trace_id = ' ';
        break;
      case 'name-number':
        t.trace_name = 5;
        break;
      case 'service-number':
        t.service_type = 5;
        break;
      case 'no-service':
        delete t.service_type;
        break;
      case 'kind':
        t.kind = 'gap';
        break;
      case 'code-403':
        t.code = 403;
        break;
    }
    let text = JSON.stringify(t);
    if (edit === 'escape-name') text = text.replace('"trace_name":"', '"trace_name":"\\u0020');
    if (edit === 'double-name') text = `{"trace_name":"createServer",${text.slice(1)}`;
    return text;
  }

  it('on corpus traces edited at every edge', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.nat({ max: TRACES.length - 1 }),
            edits,
            fc.constantFrom(...NAMES),
            fc.constantFrom(...SERVICES),
            fc.boolean(),
          ),
          { minLength: 1, maxLength: 10 },
        ),
        async (picks) => {
          const texts = picks.map(([index, edit, name, service, again]) => {
            const text = applyEdit(TRACES[index], edit, name, service);
            return again ? `${text},${text}` : text;
          });
          await expectSameWithAndWithout(
            gzipSync(Buffer.from(`{"traces":[${texts.join(',')}]}`, 'utf8')),
            'cts.json.gz',
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the record-list scan rejects exactly what JSON.parse rejects', () => {
  const pieces = fc.oneof(
    fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      ' ',
      '\t',
      '\n',
      '\r',
      '\u000b',
      '\u00a0',
      '\u2028',
      '\ufeff',
      '0',
      '-',
      '+',
      '.',
      'e',
      'E',
      '01',
      '1.',
      '.5',
      '1e',
      '-0',
      '1e+5',
      'true',
      'false',
      'null',
      'tru',
      'NaN',
      '"a"',
      '"\\u00e9"',
      '"\\ud800"',
      '"\\udc00\\ud800"',
      '"\\uZZZZ"',
      '"\\x"',
      '"\\/"',
      '"\u0001"',
      '"\u007f"',
      '"\ud800"',
      '{"a":1}',
      '[1,2]',
      '"é"',
      '\u0000',
    ),
    fc.string({ maxLength: 4 }),
    fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  );
  const elementTexts = fc.oneof(
    fc.array(pieces, { maxLength: 10 }).map((parts) => parts.join('')),
    fc.nat({ max: 3000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    fc.nat({ max: 3000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    fc.nat({ max: 200 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(Math.max(0, depth - 1))}`),
  );

  it('for any element text, with and without the skim', () => {
    fc.assert(
      fc.property(elementTexts, fc.boolean(), (element, skim) => {
        // What the pipeline parses: the text of the bytes (a lone surrogate becomes U+FFFD on the way).
        const bytes = Buffer.from(`{"Records":[${element}]}`, 'utf8');
        const text = bytes.toString('utf8');
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        const list = scanRecordList(bytes, 'x', skim ? ['eventName', 'eventID', 'a'] : []);
        expect(list !== undefined).toBe(parses);
        if (list) {
          const expected = (JSON.parse(text) as { Records: unknown[] }).Records;
          // As text: toEqual recurses, and these nest thousands deep.
          expect(JSON.stringify(Array.from({ length: list.count }, (_, i) => list.at(i)))).toBe(
            JSON.stringify(expected),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the skim reads every number as JSON.parse does: whole numbers digit by digit, -0 included', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 22 });
    const numberText = fc.oneof(
      // Grammar-valid integers of any length (no leading zero), with and without a sign.
      fc.tuple(fc.boolean(), digits).map(([minus, text]) => `${minus ? '-' : ''}${text.replace(/^0+(?=\d)/, '')}`),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
      // 17 digits summed one by one would round to another double than the text's.
      fc.constantFrom(
        '-0',
        '0',
        '9007199254740993',
        '78396284266139256',
        '999999999999999',
        '-999999999999999',
        '1e2',
        '-0.0',
        '1E-7',
      ),
    );
    fc.assert(
      fc.property(fc.array(numberText, { minLength: 1, maxLength: 4 }), (texts) => {
        const text = `{"Records":[${texts.map((number) => `{"time":${number}}`).join(',')}]}`;
        const skim = scanRecordList(Buffer.from(text), 'x', ['time'])?.skim;
        expect(skim).toBeDefined();
        texts.forEach((number, index) => expect(Object.is(skim?.number(index, 0), JSON.parse(number))).toBe(true));
      }),
      { numRuns: 3000 },
    );
  });

  it("the skim gives each element's plain top-level strings as JSON.parse reads them", () => {
    const keys = ['eventName', 'eventID', 'a'];
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.constantFrom(...keys, 'b', '__proto__'), fc.jsonValue({ maxDepth: 2 })), {
          maxLength: 5,
        }),
        fc.constantFrom(undefined, 2),
        (elements, indent) => {
          // Indented too: a value's raw text ends where the value does, not after the whitespace behind it.
          const text = JSON.stringify({ Records: elements }, null, indent);
          const list = scanRecordList(Buffer.from(text, 'utf8'), 'x', keys);
          expect(list?.skim).toBeDefined();
          const skim = list?.skim;
          if (!skim) return;
          // What JSON.parse reads back (-0 is written as 0), not the generated values.
          (JSON.parse(text) as { Records: Record<string, unknown>[] }).Records.forEach((element, index) => {
            const elementText = JSON.stringify(element, null, indent);
            expect(skim.plainObject(index)).toBe(!elementText.includes('\\'));
            expect(skim.noUnicodeEscape(index)).toBe(!elementText.includes('\\u'));
            // The generated names need no escapes: only values can have them.
            expect(skim.plainNames(index)).toBe(true);
            keys.forEach((key, slot) => {
              const value = skim.field(index, slot);
              const actual = Object.hasOwn(element, key) ? (element as Record<string, unknown>)[key] : undefined;
              if (value === undefined) expect(actual).toBeUndefined();
              else if (value !== null) expect(actual).toBe(value);
              else expect(typeof actual !== 'string' || JSON.stringify(actual).slice(1, -1).includes('\\')).toBe(true);
              // The raw text of the value, whatever its type (the generated names are never written twice).
              const valueStart = skim.valueStart(index, slot);
              const raw = skim.data.toString('utf8', valueStart, skim.valueEnd(index, slot));
              if (actual === undefined) expect(valueStart).toBe(-1);
              else expect([JSON.parse(raw), /^\s|\s$/.test(raw)]).toEqual([actual, false]);
              const number = skim.number(index, slot);
              if (number !== undefined) expect(number).toBe(actual);
              else expect(typeof actual).not.toBe('number');
            });
          });
        },
      ),
    );
  });
});
