/**
 * Property tests for the filter-pattern compiler and evaluator: hostile pattern text only ever yields
 * FilterPatternError, hostile records never make a compiled pattern throw, evaluating a parsed record
 * agrees with evaluating its JSON text, the regex subset agrees with JavaScript's RegExp where both
 * apply, and adversarial inputs cost linear work (counted in automaton steps, not guessed from timings).
 */
import fc from 'fast-check';
import {
  CIS_PATTERNS,
  compileFilterPattern,
  DEFAULT_UNAUTHORIZED_PATTERN,
  FilterPatternError,
  MAX_PATTERN_LENGTH,
  UnmatchableValueError,
} from '../shared/detect/filter-pattern';
import type { CompiledPattern } from '../shared/detect/filter-pattern';
import { compareDecimals, javaDoubleText, parseDecimal } from '../shared/detect/filter-pattern/decimal';
import { compileGlob } from '../shared/detect/filter-pattern/glob';
import {
  NumberLiteral,
  parseJsonKeepingNumbers,
  serializeDeep,
  serializeJson,
} from '../shared/detect/filter-pattern/json-text';
import { compileRegexSubset } from '../shared/detect/filter-pattern/regex-subset';

/** Compiles, or returns the FilterPatternError; anything else thrown fails the property. */
function tryCompile(pattern: string): CompiledPattern | FilterPatternError {
  try {
    return compileFilterPattern(pattern);
  } catch (error) {
    if (error instanceof FilterPatternError) {
      expect(error.column).toBeGreaterThanOrEqual(1);
      expect(error.column).toBeLessThanOrEqual(pattern.length + 1);
      return error;
    }
    throw error;
  }
}

const SAMPLE_MESSAGES = [
  '',
  'ERROR something failed',
  '{"a":1,"b":[1,"x",null],"c":{"d":"e"}}',
  '{"errorCode":"AccessDenied","eventName":"GetObject"}',
  '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
  '[1,2]',
  '{"a":2} trailing',
];

function evaluatesWithoutThrowing(compiled: CompiledPattern): void {
  for (const message of SAMPLE_MESSAGES) {
    expect(typeof compiled.matchesMessage(message)).toBe('boolean');
    expect(typeof compiled.matchesValue(message)).toBe('boolean');
  }
  expect(typeof compiled.matchesValue({ a: 1, b: [null], c: { d: 'e' } })).toBe('boolean');
}

const PATTERN_PIECES = [
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '$',
  '$.',
  '$.a',
  '$.a.b',
  '$.a[0]',
  "$.['x.y']",
  '$.*',
  '[*]',
  '.*',
  '$[1]',
  '=',
  '!=',
  '==',
  '<',
  '<=',
  '>',
  '>=',
  '&&',
  '||',
  '&',
  '|',
  '!',
  '"x"',
  '"a*b"',
  '"',
  "'",
  '%a+%',
  '%[a-',
  '%',
  '\\',
  'IS',
  'NULL',
  'null',
  'NOT',
  'EXISTS',
  'TRUE',
  'false',
  'AND',
  '1',
  '-1.5e3',
  '+2',
  'foo*',
  '*',
  '...',
  ',',
  ' ',
  ' ',
  '\t',
  '?',
  '-',
  'ERROR',
  'w1',
  'é',
  ':',
  '{2,1}',
  '^',
  '\n',
];

const patternLike = fc.array(fc.constantFrom(...PATTERN_PIECES), { maxLength: 25 }).map((pieces) => pieces.join(''));

describe('compiling hostile pattern text', () => {
  test('random strings never throw anything but FilterPatternError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (pattern) => {
        const result = tryCompile(pattern);
        if (!(result instanceof FilterPatternError)) evaluatesWithoutThrowing(result);
      }),
      { numRuns: 2000 },
    );
  });

  test('random strings in each pattern kind never throw anything but FilterPatternError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('{', '[', '%', '"', '?', '-', ''),
        fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
        (open, body) => {
          const result = tryCompile(open + body);
          if (!(result instanceof FilterPatternError)) evaluatesWithoutThrowing(result);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('token soup never throws anything but FilterPatternError', () => {
    fc.assert(
      fc.property(fc.constantFrom('{', '[', ''), patternLike, fc.constantFrom('}', ']', ''), (open, body, close) => {
        const result = tryCompile(open + body + close);
        if (!(result instanceof FilterPatternError)) evaluatesWithoutThrowing(result);
      }),
      { numRuns: 3000 },
    );
  });

  test('mutated CIS patterns never throw anything but FilterPatternError', () => {
    const patterns = CIS_PATTERNS.map(({ pattern }) => pattern);
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...PATTERN_PIECES)), { minLength: 1, maxLength: 4 }),
        (pattern, edits) => {
          let mutated = pattern;
          for (const [at, op, piece] of edits) {
            const i = at % (mutated.length + 1);
            if (op === 0) mutated = mutated.slice(0, i) + mutated.slice(i + 1);
            else mutated = mutated.slice(0, i) + piece + mutated.slice(op === 1 ? i : i + 1);
          }
          const result = tryCompile(mutated);
          if (!(result instanceof FilterPatternError)) evaluatesWithoutThrowing(result);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('deep nesting is an error, not a stack overflow', () => {
    expect(tryCompile(`{ ${'('.repeat(100_000)}$.a = 1${')'.repeat(100_000)} }`)).toBeInstanceOf(FilterPatternError);
    expect(tryCompile('{'.repeat(100_000))).toBeInstanceOf(FilterPatternError);
    expect(tryCompile('['.repeat(100_000))).toBeInstanceOf(FilterPatternError);
  });

  test('chains as long as CloudWatch allows compile and evaluate', () => {
    const pieces: string[] = [];
    while (`{ ${[...pieces, `$.a = ${pieces.length}`].join('||')} }`.length <= MAX_PATTERN_LENGTH) {
      pieces.push(`$.a = ${pieces.length}`);
    }
    const chain = `{ ${pieces.join('||')} }`;
    const compiled = compileFilterPattern(chain);
    expect(compiled.matchesValue({ a: pieces.length - 1 })).toBe(true);
    expect(compiled.matchesValue({ a: -1 })).toBe(false);
  });

  test('a pattern over 1,024 characters is rejected at the 1,025th, whatever its kind', () => {
    const long = `{ ${Array.from({ length: 20_000 }, (_, i) => `$.a = ${i}`).join(' || ')} }`;
    for (const pattern of [long, 'x'.repeat(1025), `[${'a,'.repeat(600)}b]`, `%${'a'.repeat(1100)}%`]) {
      const error = tryCompile(pattern);
      expect(error).toBeInstanceOf(FilterPatternError);
      expect((error as FilterPatternError).column).toBe(1025);
      expect((error as FilterPatternError).message).toMatch(/at most 1024/);
    }
    expect(tryCompile('x'.repeat(1024))).not.toBeInstanceOf(FilterPatternError);
    // Characters, not UTF-16 units: 1,024 emoji are 2,048 units and still one allowed pattern.
    expect(tryCompile(`"${'😀'.repeat(1022)}"`)).not.toBeInstanceOf(FilterPatternError);
    expect(tryCompile(`"${'😀'.repeat(1023)}"`)).toBeInstanceOf(FilterPatternError);
  });
});

// ---- evaluation on hostile records --------------------------------------------------------------------

const EVALUATED_PATTERNS = [
  ...CIS_PATTERNS.map(({ pattern }) => pattern),
  DEFAULT_UNAUTHORIZED_PATTERN,
  '{ $.a[*] IS NULL || $.a[*].b NOT EXISTS }',
  '{ $.* = %\\d+% && $.a.* != "x*y" }',
  '{ $.a[0][1] >= -1.5e3 || $.a <= 0 || $.a = * }',
  '{ $.a IS TRUE || $.b IS FALSE || $.c = true }',
  '{ $.constructor = * || $.__proto__ NOT EXISTS || $.toString IS NULL }',
  '{ $.[\'a.b\'] = 1 || $.errorCode = "*Unauthorized*" }',
  'ERROR -DEBUG',
  '?AccessDenied ?"Unauthorized"',
  '%Access[A-Z]\\w+|^\\{%',
  '[a, b = 1* || b > 10, ...]',
  '[..., c = %x%]',
  '[a, b]',
  '{ $.a = "1" || $.b = 1.0 || $.c != "0" || $.a = "1.0E21" }',
  '{ $.a > 9007199254740992 || $.b = 1e-999 || $.c = %E% || $.b <= -0.0 }',
  '{ $.a[*] != 1 || $.b IS NULL || $.c.* != "x" }',
  '{ $.a = 1* || $.b = *.5 || $.c = 1e21 || $.a = 2 || $.a = "3" }',
];

const interesting = fc.oneof(
  fc.constantFrom(
    'AccessDenied',
    'Client.UnauthorizedOperation',
    'Root',
    'Yes',
    'YES',
    'ConsoleLogin',
    'x*y',
    '1',
    '01',
    '',
    1,
    -0,
    1.5,
    1e21,
    1e-7,
    2 ** 53,
    2 ** 53 + 2,
    [1, null],
    [],
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const cloudTrailLike = fc.record(
  {
    errorCode: interesting,
    eventName: interesting,
    eventSource: interesting,
    userIdentity: fc.oneof(fc.record({ type: interesting, invokedBy: interesting }, { requiredKeys: [] }), interesting),
    additionalEventData: fc.oneof(fc.record({ MFAUsed: interesting }, { requiredKeys: [] }), interesting),
    a: interesting,
    b: interesting,
    c: interesting,
    'a.b': interesting,
    constructor: interesting,
    ['__proto__']: interesting,
  },
  { requiredKeys: [] },
);
const anyRecord = fc.oneof(cloudTrailLike, fc.object({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }));

describe('evaluating hostile records', () => {
  const compiled = EVALUATED_PATTERNS.map((pattern) => compileFilterPattern(pattern));

  test('random JSON records never make a compiled pattern throw', () => {
    fc.assert(
      fc.property(anyRecord, (record) => {
        const text = JSON.stringify(record);
        for (const pattern of compiled) {
          expect(typeof pattern.matchesValue(record)).toBe('boolean');
          expect(typeof pattern.matchesMessage(text)).toBe('boolean');
        }
      }),
      { numRuns: 500 },
    );
  });

  test('a parsed record matches exactly when its JSON text does', () => {
    // ±Infinity in a parsed record stands for the overflowing literal JSON.parse read (`1e309`), which
    // JSON.stringify cannot write back: such records are compared in the numbers suite instead. The record
    // compared is the one parsed back from the text: a generated value may hold what JSON has no word for
    // (`undefined` in an array is written `null`); the test above only asks that such values get an answer.
    const finite = (value: unknown): boolean =>
      typeof value === 'number'
        ? Number.isFinite(value)
        : typeof value !== 'object' || value === null || Object.values(value).every(finite);
    fc.assert(
      fc.property(fc.oneof(cloudTrailLike, fc.object({ maxDepth: 3 })), (record) => {
        fc.pre(finite(record));
        const text = JSON.stringify(record);
        const parsed: unknown = JSON.parse(text);
        for (const pattern of compiled) {
          expect({ pattern: pattern.source, value: pattern.matchesValue(parsed) }).toEqual({
            pattern: pattern.source,
            value: pattern.matchesMessage(text),
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  test('values JSON cannot express either match like their JSON text or throw UnmatchableValueError', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const unwritable = [cyclic, { a: 10n }];
    const odd = [{ a: Symbol('s') }, { a: () => 1 }, new Map([['a', 1]]), Object.create(null), NaN];
    for (const pattern of compiled) {
      for (const value of odd) expect(typeof pattern.matchesValue(value)).toBe('boolean');
      for (const value of unwritable) {
        // JSON patterns read only the selected path; text patterns need the whole text and say so.
        if (pattern.kind === 'json') expect(typeof pattern.matchesValue(value)).toBe('boolean');
        else expect(() => pattern.matchesValue(value)).toThrow(UnmatchableValueError);
      }
    }
  });
});

// ---- agreement with reference implementations ---------------------------------------------------------

const ALPHABET = ['a', 'b', 'c', '0', '1', '-', '_', ' ', '\t', '.', ':'];
const shortInput = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 12 });

/** Expressions inside the AWS subset that JavaScript's RegExp reads the same way. */
const regexAtom = fc.constantFrom(
  'a',
  'b',
  'c',
  '0',
  '-',
  '_',
  ':',
  '.',
  '\\.',
  '\\-',
  '[abc]',
  '[^ab]',
  '[a-c]',
  '[0-9_]',
  '\\d',
  '\\D',
  '\\w',
  '\\W',
  '\\s',
  '\\S',
  '\\x61',
  '[\\d.]',
);
const regexQuantifier = fc.constantFrom('', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?', '??');
const regexAlternative = fc
  .tuple(fc.boolean(), fc.array(fc.tuple(regexAtom, regexQuantifier), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([bol, items, eol]) => `${bol ? '^' : ''}${items.map(([atom, q]) => atom + q).join('')}${eol ? '$' : ''}`);
const regexSource = fc
  .array(regexAlternative, { minLength: 1, maxLength: 3 })
  .map((alternatives) => alternatives.join('|'));

describe('agreement with reference implementations', () => {
  test('the regex subset agrees with JavaScript RegExp on short inputs', () => {
    fc.assert(
      fc.property(regexSource, fc.array(shortInput, { minLength: 1, maxLength: 8 }), (source, inputs) => {
        const ours = compileRegexSubset(source);
        const reference = new RegExp(source);
        for (const input of inputs)
          expect({ source, input, match: ours.test(input) }).toEqual({ source, input, match: reference.test(input) });
      }),
      { numRuns: 1500 },
    );
  });

  test('glob matching agrees with an anchored wildcard RegExp on short inputs', () => {
    const globText = fc.string({ unit: fc.constantFrom('a', 'b', '*', '.'), maxLength: 8 });
    const globInput = fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 10 });
    fc.assert(
      fc.property(globText, fc.array(globInput, { minLength: 1, maxLength: 8 }), (text, inputs) => {
        const glob = compileGlob(text);
        const reference = new RegExp(
          `^${text
            .split('*')
            .map((part) => part.replace(/\./g, '\\.'))
            .join('.*')}$`,
          's',
        );
        for (const input of inputs)
          expect({ text, input, match: glob(input) }).toEqual({ text, input, match: reference.test(input) });
      }),
      { numRuns: 1500 },
    );
  });
});

// ---- adversarial inputs -------------------------------------------------------------------------------

describe('adversarial inputs cost linear work', () => {
  const n = 100_000;
  const as = 'a'.repeat(n);

  test.each([
    'a*a*a*a*a*b',
    '[a]*[a]*[a]*b',
    'a{0,50}a{0,50}a{0,50}b',
    '\\w*\\w*\\w*\\w*x$',
    '.*.*.*=',
    'a*a*a*a*a*$b',
    'x|y|a*c',
  ])('regex %s on 100k characters stays within (n + 1) x 2 x program size steps', (source) => {
    const regex = compileRegexSubset(source);
    expect(regex.test(as)).toBe(false);
    const steps = regex.lastSteps;
    expect(steps).toBeLessThanOrEqual((n + 1) * 2 * regex.size);
    // Twice the input, at most about twice the work: linear, not quadratic.
    regex.test(as + as);
    expect(regex.lastSteps).toBeLessThanOrEqual(2.05 * steps);
  });

  test('random subset regexes on repetitive input stay within the step bound', () => {
    fc.assert(
      fc.property(
        regexSource,
        fc.constantFrom('a', 'ab', 'a-', '0 ', 'abc'),
        fc.integer({ min: 1_000, max: 5_000 }),
        (source, unit, times) => {
          const regex = compileRegexSubset(source);
          const input = unit.repeat(times);
          regex.test(input);
          expect(regex.lastSteps).toBeLessThanOrEqual((input.length + 1) * 2 * regex.size);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('wildcards, regexes and terms on 100k-character values finish quickly', () => {
    const cases: [string, unknown, boolean][] = [
      ['{ $.a = "*a*a*a*a*b" }', { a: as }, false],
      ['{ $.a = "a*a*a*a*a*b*" }', { a: as }, false],
      ['{ $.a = "*aaaaaaaaaaaaaaaaaaab*" }', { a: as }, false],
      ['{ $.a != "*a*a*a*a*b" }', { a: as }, true],
      ['{ $.a = %a*a*a*a*a*b% }', { a: as }, false],
      ['{ $.a[*] = "*a*b" }', { a: Array.from({ length: 100 }, () => 'a'.repeat(1_000)) }, false],
      ['%a*a*a*a*a*b%', as, false],
      ['%^a{0,1000}b%', as, false],
      ['"aaaaaaaaaaaaaaaaaaab"', as, false],
      ['[a = "*a*a*a*b", ...]', `${as} ${as}`, false],
    ];
    const started = process.hrtime.bigint();
    for (const [pattern, input, expected] of cases) {
      const compiled = compileFilterPattern(pattern);
      const result = typeof input === 'string' ? compiled.matchesMessage(input) : compiled.matchesValue(input);
      expect({ pattern, result }).toEqual({ pattern, result: expected });
    }
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeLessThan(1_000);
  });
});

// ---- exact numbers and JSON text -----------------------------------------------------------------------

/** A decimal literal and its exact value as a fraction n / 10^scale (BigInt), for an independent oracle. */
const decimalLiteral = fc
  .tuple(
    fc.constantFrom('', '-', '+'),
    fc.stringMatching(/^\d{1,25}$/),
    fc.option(fc.stringMatching(/^\d{1,25}$/), { nil: undefined }),
    fc.option(fc.integer({ min: -40, max: 40 }), { nil: undefined }),
  )
  .map(([sign, integer, fraction, exponent]) => {
    const text = `${sign}${integer}${fraction === undefined ? '' : `.${fraction}`}${exponent === undefined ? '' : `e${exponent}`}`;
    const digits = BigInt(integer + (fraction ?? '')) * (sign === '-' ? -1n : 1n);
    const scale = (fraction?.length ?? 0) - (exponent ?? 0);
    return { text, digits, scale };
  });

function oracleCompare(a: { digits: bigint; scale: number }, b: { digits: bigint; scale: number }): number {
  const scale = Math.max(a.scale, b.scale);
  const x = a.digits * 10n ** BigInt(scale - a.scale);
  const y = b.digits * 10n ** BigInt(scale - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

describe('exact decimals and JSON text', () => {
  test('decimal comparison agrees with exact rational arithmetic', () => {
    fc.assert(
      fc.property(decimalLiteral, decimalLiteral, (a, b) => {
        expect(compareDecimals(parseDecimal(a.text)!, parseDecimal(b.text)!)).toBe(oracleCompare(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  test("Java's Double.toString spelling reads back to the same double, in Java's shape", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const text = javaDoubleText(d);
        expect(Object.is(Number(text), d)).toBe(true);
        expect(text).toMatch(/^-?(\d+\.\d+|\d\.\d+E-?\d+)$/);
        const magnitude = Math.abs(d);
        expect(text.includes('E')).toBe(magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e7));
      }),
      { numRuns: 3000 },
    );
  });

  test('parsing with literals gives what JSON.parse gives, numbers aside', () => {
    const plain = (value: unknown): unknown => {
      if (value instanceof NumberLiteral) return Number(value.text());
      if (Array.isArray(value)) return value.map(plain);
      if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
      }
      return value;
    };
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => {
        expect(plain(parseJsonKeepingNumbers(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 1500 },
    );
  });

  test('parsing with literals rejects exactly the text JSON.parse rejects', () => {
    const pieces = fc.constantFrom('{', '}', '[', ']', ',', ':', '"a"', '1', '-0.5e3', 'true', 'null', ' ', '01', '"');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        let native = true;
        try {
          JSON.parse(text);
        } catch {
          native = false;
        }
        let ours = true;
        try {
          parseJsonKeepingNumbers(text);
        } catch (error) {
          expect(error).toBeInstanceOf(SyntaxError);
          ours = false;
        }
        expect({ text, ours }).toEqual({ text, ours: native });
      }),
      { numRuns: 5000 },
    );
  });

  test('serializing gives what JSON.stringify gives', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.nat(3000), (value, depth) => {
        let nested: unknown = value;
        for (let k = 0; k < depth; k++) nested = k % 2 ? [nested] : { k: nested };
        expect(serializeJson(nested)).toBe(JSON.stringify(nested));
        expect(serializeDeep(nested)).toBe(JSON.stringify(nested));
        expect(serializeDeep(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });
});
