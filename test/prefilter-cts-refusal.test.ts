/**
 * unauthorized-api's CTS prefilter (functions/unauthorized-api/prefilter.ts) declares what a trace must show
 * to be refused by isRefusedCtsCall. It must be exact: every trace list gives the same stats, rejections,
 * findings and alerts with it as with every trace parsed, whatever the code's type and spelling, the outcome
 * fields, the shape of `response` and `message`, the case of the wording, and the escapes JSON can spell
 * any of it with. And it must skip the traces that cannot matter, or it is not worth having.
 */
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { CTS_REFUSAL, REFUSAL_WORDS } from '../functions/unauthorized-api/cts-refusal';
import { CTS_REFUSAL_NEED } from '../functions/unauthorized-api/prefilter';
import { scanRecordList } from '../shared/intake/decode-input';
import { describeNeed } from '../shared/prefilter/need';
import { compilePrefilter } from '../shared/prefilter/skip-records';
import { DEFAULT_CONFIGS, detectorOf, expectSameAnswers, type PrefilterConfig } from './support/prefilter-equivalence';

const CONFIGS: readonly PrefilterConfig[] = [
  ...DEFAULT_CONFIGS,
  { fn: 'unauthorized-api', env: { CTS_RULE: 'false' } },
  // Custom patterns apply to CloudTrail only: the CTS need is the same with them, reducible or not.
  { fn: 'unauthorized-api', env: { FILTER_PATTERN: '{ $.eventName != "GetObject" }' } },
  { fn: 'unauthorized-api', env: { FILTER_PATTERN: '{ $.errorCode = "AccessDenied*" }', RULE_SETS: '' } },
];

/** Does the text hold one of REFUSAL_WORDS, ASCII letters in either case (as the prefilter searches)? */
function holdsRefusalWord(text: string): boolean {
  const folded = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return REFUSAL_WORDS.some((word) => folded.includes(word));
}

/** Each character upper- or lower-cased at random (toUpperCase may change the length: fine, it is text). */
const anyCase = (text: string) =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((flips) => [...text].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

const REFUSAL_TEXT = fc.stringMatching(new RegExp(`^(?:${CTS_REFUSAL.source})$`));

describe('the words every refusal wording holds', () => {
  it('CTS_REFUSAL folds ASCII letters only (an `i` flag, no `u`): the words are searched that way', () => {
    expect(CTS_REFUSAL.flags).toBe('i');
  });

  it('every text CTS_REFUSAL matches, in any case, holds one of REFUSAL_WORDS', () => {
    fc.assert(
      fc.property(REFUSAL_TEXT.chain(anyCase), fc.string(), fc.string(), (wording, before, after) => {
        const text = `${before}${wording}${after}`;
        if (CTS_REFUSAL.test(text)) expect(holdsRefusalWord(text)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads as a need', () => {
    expect(describeNeed(CTS_REFUSAL_NEED)).toBe(
      '(trace_name is an API call && (code is 401 or 403 || contains "error" in response || (code is not a status below 400 && contains any of "authori", "forbidden", "denied", "permi", "allow", "privilege", "权限" (any case) in message, response)))',
    );
  });
});

// ---- generated traces, written member by member as raw JSON text ----------------------------------------

/** A JSON string literal for `text`: plain, or with a `\u` escape, or with simple escapes where it can. */
const stringLiteral = (text: string) =>
  fc.constantFrom('plain', 'unicode', 'simple').map((how) => {
    const literal = JSON.stringify(text);
    if (how === 'unicode')
      return literal.replace(/[A-Za-z\u4e00-\u9fff]/, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (how === 'simple') return literal.replace('/', '\\/').replace(' ', '\\t');
    return literal;
  });

const WORDING = fc.oneof(
  { weight: 3, arbitrary: REFUSAL_TEXT.chain(anyCase) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Update port fail.',
      'The server is busy',
      'Allowed by policy',
      'permitted',
      'deny',
      '权 限',
      'Forbidden',
      'ACCESSDENIED',
      '',
      'error',
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.string(), REFUSAL_TEXT, fc.string()).map((parts) => parts.join('')) },
);

/** A wording as a string literal, now and then past the 4096 characters the rule reads of a text. */
const WORDING_LITERAL = fc
  .tuple(WORDING, fc.constantFrom(0, 0, 0, 4080, 4100))
  .chain(([wording, pad]) => stringLiteral(`${'x'.repeat(pad)}${wording}`));

/** Raw JSON of an error code: a string, a number in any spelling JSON.parse reads as 401/403, or a service code. */
const ERROR_CODE = fc.constantFrom(
  '"403"',
  '"401"',
  '403',
  '401',
  '4.03e2',
  '402.99999999999999999',
  '" 403"',
  '"IAM.0002"',
  '"VPC.0514"',
  '"Forbidden"',
  '"\\u0034\\u00303"',
);

/** Raw JSON of a response body, in the shapes errorInResponse reads and some it does not. */
const RESPONSE_OBJECT = fc.oneof(
  fc.constant('{}'),
  fc.constant('{"server":{"id":"5d3a","status":"ACTIVE","flavor":{"id":"s6.large.2"}}}'),
  fc.tuple(ERROR_CODE, WORDING_LITERAL).map(([code, msg]) => `{"error_code":${code},"error_msg":${msg}}`),
  fc.tuple(ERROR_CODE, WORDING_LITERAL).map(([code, msg]) => `{"error":{"code":${code},"message":${msg}}}`),
  WORDING_LITERAL.map((msg) => `{"error":${msg}}`),
  fc.tuple(ERROR_CODE, WORDING_LITERAL).map(([code, msg]) => `{"code":${code},"message":${msg}}`),
  WORDING_LITERAL.map((msg) => `{"data":{"detail":[${msg}]}}`),
  WORDING_LITERAL.map((msg) => `[${msg}]`),
  fc.constant('{"e\\u0072ror_code":"403"}'),
);

/** A response member's raw value: absent, an object, JSON text of one (escaped once more), or plain text. */
const RESPONSE = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: RESPONSE_OBJECT },
  RESPONSE_OBJECT.map((text) => JSON.stringify(text)),
  RESPONSE_OBJECT.map((text) => JSON.stringify(` ${text}`)),
  WORDING_LITERAL,
  fc.constant('null'),
);

const MESSAGE = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  fc.constant('""'),
  WORDING_LITERAL,
  WORDING_LITERAL.map((msg) => `{"reason":${msg}}`),
  WORDING_LITERAL.map((msg) => JSON.stringify(`{"reason":${msg}}`)),
  fc.constant('123'),
);

/** Raw JSON of `code`: every type and spelling isRefusedCtsCall and toHttpCode read differently. */
const ANY_CODE = fc.constantFrom(
  undefined,
  '200',
  '204',
  '403',
  '401',
  '400',
  '404',
  '500',
  '0',
  '99',
  '100',
  '399',
  '200.5',
  '-403',
  '403.0',
  '4.03e2',
  '4.01E+2',
  '402.99999999999999999',
  '1e400',
  '"403"',
  '"401"',
  '" 403 "',
  '"0403"',
  '"200"',
  '" 200"',
  '"2e2"',
  '"0x190"',
  '""',
  '"abc"',
  '"\\u0034\\u00303"',
  '[403]',
  '["401"]',
  '[200]',
  '{}',
  'null',
  'true',
);
/** The codes each branch of the need turns on, more often than the rest. */
const CODE = fc.oneof(
  { weight: 1, arbitrary: ANY_CODE },
  { weight: 1, arbitrary: fc.constantFrom('200', '403', '" 403 "', '0', '400', '4.03e2', '" 200"') },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const RATING = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(undefined, '"warning"') },
  { weight: 1, arbitrary: fc.constantFrom('"normal"', '"incident"', '" Normal "', '"NORMAL"', '5') },
);
const NAME = fc.constantFrom(
  '"deleteServer"',
  '"updatePort"',
  '"login"',
  '"loginFailed"',
  '"LOGOUT"',
  '"createCredential"',
);

const TRACE = fc
  .record({
    id: fc.constantFrom('t-1', 't-2', 't-3', 't-4', 't-5', 't-6'),
    name: NAME,
    code: CODE,
    codeTwice: fc.constantFrom(undefined, '200', '403'),
    rating: RATING,
    status: RATING,
    response: RESPONSE,
    message: MESSAGE,
    userAgent: fc.constantFrom('"Mozilla/5.0"', '"Mo\\u007ailla"', '"a\\\\u0041b"'),
    escapedName: fc.constantFrom(undefined, undefined, undefined, 'code', 'response', 'message'),
  })
  .map((t) => {
    const members: [string, string | undefined][] = [
      ['trace_id', JSON.stringify(t.id)],
      ['trace_name', t.name],
      ['service_type', '"ECS"'],
      ['time', '1717435329123'],
      ['user', '{"name":"ops","id":"9c1e","domain":{"id":"5f2c"}}'],
      ['source_ip', '"198.51.100.7"'],
      ['user_agent', t.userAgent],
      ['trace_rating', t.rating],
      ['trace_status', t.status],
      ['message', t.message],
      ['code', t.code],
      ['response', t.response],
    ];
    if (t.codeTwice !== undefined) members.unshift(['code', t.codeTwice]);
    const name = (key: string) =>
      key === t.escapedName
        ? `"${key.slice(0, 1)}\\u00${key.charCodeAt(1).toString(16)}${key.slice(2)}"`
        : JSON.stringify(key);
    return `{${members
      .filter((member): member is [string, string] => member[1] !== undefined)
      .map(([key, value]) => `${name(key)}:${value}`)
      .join(',')}}`;
  });

const traceList = (traces: readonly string[]) => gzipSync(Buffer.from(`{"traces":[${traces.join(',')}]}`, 'utf8'));

describe('same answers with and without the CTS refusal prefilter', () => {
  it('on generated traces: codes, outcomes, response and message shapes, wording, escapes, re-deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(TRACE, fc.boolean()), { minLength: 1, maxLength: 8 }), async (picks) => {
        const texts = picks.flatMap(([text, again]) => (again ? [text, text] : [text]));
        await expectSameAnswers(traceList(texts), 'cts.json.gz', CONFIGS);
      }),
      { numRuns: 400 },
    );
  });

  it('each generated trace alone gives a refusal exactly when the rule says so', async () => {
    const unauthorized = CONFIGS.filter((config) => config.fn === 'unauthorized-api');
    await fc.assert(
      fc.asyncProperty(TRACE, async (text) => expectSameAnswers(traceList([text]), 'cts.json.gz', unauthorized)),
      { numRuns: 3000 },
    );
  });
});

describe('what the CTS refusal prefilter skips', () => {
  const base = {
    trace_id: 'x',
    trace_name: 'deleteServer',
    service_type: 'ECS',
    time: 1717435329123,
    trace_rating: 'normal',
    code: 200,
  };
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['a successful call', {}, true],
    ['a successful call with a JSON-text response', { response: JSON.stringify({ server: { id: 'a/b' } }) }, true],
    [
      'a failure answered 400 with no refusal wording',
      { code: 400, response: { code: 'VPC.0514', message: 'Update port fail.' } },
      true,
    ],
    ['a sign-in, whatever its code', { trace_name: 'login', code: 403 }, true],
    ['a 403', { code: 403 }, false],
    ['a "403" as text', { code: ' 403' }, false],
    ['an error code in the response of a 200', { response: { error: { code: '403' } } }, false],
    ['refusal wording with code 0', { code: 0, message: 'Policy doesn\u2019t allow ecs:servers:delete' }, false],
    ['refusal wording without a code', { code: undefined, response: '{"error_msg":"FORBIDDEN"}' }, false],
    ['a 400 with refusal wording', { code: 400, message: { reason: 'not authorized' } }, false],
    ['refusal wording elsewhere in a 400', { code: 400, resource_name: 'forbidden-bucket' }, true],
    ['a \\u escape in a 400', { code: 400, user_agent: '\u0001' }, false],
  ];
  it.each(cases)('%s: skipped %s', (_, overrides, skipped) => {
    const prefilter = compilePrefilter(
      detectorOf('unauthorized-api').prefilter?.(detectorOf('unauthorized-api').loadConfig({})),
    );
    const text = JSON.stringify({ traces: [{ ...base, ...overrides }] });
    const list = scanRecordList(Buffer.from(text, 'utf8'), 'x', prefilter?.keys ?? []);
    const skim = list?.skim;
    expect(skim).toBeDefined();
    if (!skim || !prefilter) return;
    expect((prefilter.forList('traces', skim)?.(0) ?? -1) >= 0).toBe(skipped);
  });
});
