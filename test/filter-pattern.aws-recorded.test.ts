/**
 * What AWS CloudWatch Logs answered to TestMetricFilter, case by case: 101 requests recorded against the
 * real API (eu-west-1) and published in the public repository `vuthehuyht/floci`, file
 * `src/test/resources/cloudwatchlogs/filter-pattern-aws.json`, and 47 more from the same capture session in
 * `filter-pattern-aws-edges.json` and `filter-pattern-aws-boundaries.json` beside it. The facts (pattern, messages, which
 * event numbers matched, the extractedValues, or the error AWS gave) are restated here as our own table;
 * nothing of that project's code is used. Every case must agree, on both evaluation paths (raw message,
 * and the parsed record for JSON messages), and extractValues must give AWS's extractedValues.
 *
 * After the recorded cases come our own variants of each class the captures revealed (see
 * docs/filter-patterns.md for the rules), so the next input of the same kind is covered too.
 */
import { compileFilterPattern, extractValues, FilterPatternError } from '../shared/detect/filter-pattern';

// ---- the recorded message sets ------------------------------------------------------------------------

const TERMS = [
  'ERROR',
  'ERRORS',
  'xERROR',
  'error',
  '[ERROR]',
  'ERROR_code',
  'ERROR timeout',
  'INFO timeout',
  'WARN',
  'two words',
  'two  words',
] as const;

const REGEX = [
  'ERROR',
  'WARN',
  'aaaa',
  'aa',
  'cat',
  'a cat',
  'hat',
  'color',
  'colour',
  'a-b',
  'a b',
  'a\nb',
  '123',
  '_',
  'café',
  'key:value',
  'ab',
  'back\\slash',
  '!',
] as const;

const JSON_VALUES = [
  '{"a":1}',
  '{"a":"1"}',
  '{"a":1.0}',
  '{"a":"01"}',
  '{"a":true}',
  '{"a":false}',
  '{"a":"true"}',
  '{"a":null}',
  '{}',
  '{"a":{}}',
  '{"a":[]}',
  '{"a":"foo"}',
  '{"a":"foobar"}',
  '{"a":"FOO"}',
  '{"a":1e3}',
  '{"a":"1e3"}',
  '{"a":1e309}',
  '{"a":"1e309"}',
  '{"a":1e-999}',
  '{"a":-0.0}',
  '{"a":9007199254740993}',
] as const;

const SELECTORS = [
  '{"a":[1,2]}',
  '{"a":[2,1]}',
  '{"a":[null,2]}',
  '{"a":{"x":1,"y":2}}',
  '{"a":{"x":2,"y":1}}',
  '{"a":[{"b":1},{"b":2}]}',
  '{"a.b":2}',
  '{"a-b":2}',
  '{"a":null}',
  '{}',
  '[1,2]',
  '{"a":2} trailing',
] as const;

const FIELDS = [
  'ERROR',
  'ERROR one',
  'ERROR one two',
  'WARN one',
  'INFO one',
  'a "two words" c',
  'a [two words] c',
  'a "two words"',
  'a [two words]',
  'a  b   c ',
  'a\tb\tc',
  'a "unclosed',
  'a [unclosed',
  'a "b"c d',
  'one',
  '1 2',
  '1.0 2',
  'a b c d',
] as const;

const ALL = (messages: readonly string[]) => messages.map((_, i) => i + 1);
const EXCEPT = (messages: readonly string[], ...left: number[]) => ALL(messages).filter((n) => !left.includes(n));

type Matched = readonly number[];
/** A recorded case: which 1-based event numbers matched, or AWS's error message. */
type RecordedCase = readonly [id: string, pattern: string, messages: readonly string[], answer: Matched | string];

const RECORDED: readonly RecordedCase[] = [
  // Unstructured terms
  ['terms-substring', 'ERROR', TERMS, [1, 2, 3, 5, 6, 7]],
  ['terms-case', 'error', TERMS, [4]],
  ['terms-and', 'ERROR timeout', TERMS, [7]],
  ['terms-negative', 'ERROR -timeout', TERMS, [1, 2, 3, 5, 6]],
  ['terms-negative-only', '-ERROR', TERMS, [4, 8, 9, 10, 11]],
  ['terms-optional', '?ERROR ?WARN', TERMS, [1, 2, 3, 5, 6, 7, 9]],
  ['terms-optional-ignored', '?ERROR timeout', TERMS, [7, 8]],
  ['terms-optional-negative', '?ERROR -timeout', TERMS, EXCEPT(TERMS, 7, 8)],
  ['terms-phrase', '"two words"', TERMS, [10]],
  ['terms-negative-phrase', '-"two words"', TERMS, EXCEPT(TERMS, 10)],
  ['terms-optional-phrase', '?"two words" ?WARN', TERMS, [9, 10]],
  ['terms-wildcard', 'ERR*', TERMS, "Invalid character(s) in term '*'"],
  ['terms-quoted-wildcard', '"ERR*"', TERMS, []],
  ['terms-bare-symbol', 'ERROR!', TERMS, "Invalid character(s) in term '!'"],
  ['terms-bare-colon', 'ERROR:', TERMS, "Invalid character(s) in term ':'"],
  ['terms-empty', '', TERMS, ALL(TERMS)],
  ['terms-blank', ' ', TERMS, ALL(TERMS)],
  ['terms-quoted-empty', '""', TERMS, `Invalid character(s) in term '""'`],
  ['terms-missing-quote', '"ERROR', TERMS, `Invalid character(s) in term '"ERROR'`],
  ['terms-adjacent-quote', '"ERROR"WARN', TERMS, ''],
  // Whole-pattern regular expressions
  ['regex-alternation', '%ERROR|WARN%', REGEX, [1, 2]],
  ['regex-anchors', '%^[hc]at$%', REGEX, [5, 7]],
  ['regex-quantifier', '%^a{3,5}$%', REGEX, [3]],
  ['regex-optional', '%colou?r%', REGEX, [8, 9]],
  ['regex-digits', '%\\d+%', REGEX, [13]],
  ['regex-word', '%\\w+%', REGEX, EXCEPT(REGEX, 19)],
  ['regex-space', '%a\\sb%', REGEX, [11, 12]],
  ['regex-hex', '%\\x3A%', REGEX, [16]],
  ['regex-dot-newline', '%a.b%', REGEX, [10, 11]],
  ['regex-escaped-symbol', '%a\\-b%', REGEX, [10]],
  ['regex-group-rejected', '%(ab)+%', REGEX, "Invalid character(s) in term '%('"],
  ['regex-unicode-rejected', '%café%', REGEX, "Invalid character(s) in term '%café'"],
  ['regex-symbol-rejected', '%!%', REGEX, "Invalid character(s) in term '%!'"],
  ['regex-escape-rejected', '%\\p%', REGEX, 'Failed to compile regular expression.'],
  ['regex-escaped-group', '%\\(ab\\)%', REGEX, "Invalid character(s) in term '%\\('"],
  ['regex-empty', '%%', REGEX, "Invalid character(s) in term '%%'"],
  ['regex-unclosed', '%abc', REGEX, "If a filter pattern starts with '%' it must end with '%'"],
  ['regex-bad-range', '%[z-a]%', REGEX, 'Failed to compile regular expression.'],
  ['regex-lazy', '%a+?%', REGEX, [3, 4, 5, 6, 7, 10, 11, 12, 15, 16, 17, 18]],
  ['regex-possessive', '%a++%', REGEX, 'Failed to compile regular expression.'],
  ['regex-class-intersection', '%[a&&b]%', REGEX, "Invalid character(s) in term '%[a&'"],
  ['regex-two', '%ERROR% %WARN%', REGEX, "Invalid character(s) in term ' '"],
  ['regex-three', '%ERROR% %WARN% %INFO%', REGEX, "Invalid character(s) in term ' '"],
  // JSON values
  ['json-numeric', '{ $.a = 1 }', JSON_VALUES, [1, 2, 3]],
  ['json-quoted-number', '{ $.a = "1" }', JSON_VALUES, [1, 2]],
  ['json-numeric-ne', '{ $.a != 1 }', JSON_VALUES, [4, 7, 12, 13, 14, 15, 16, 18, 19, 20, 21]],
  ['json-string-ne', '{ $.a != "foo" }', JSON_VALUES, [1, 2, 3, 4, 7, 13, 14, 15, 16, 17, 18, 19, 20, 21]],
  ['json-ordering', '{ $.a > 0 }', JSON_VALUES, [1, 3, 15, 21]],
  ['json-quoted-order', '{ $.a > "0" }', JSON_VALUES, `Invalid character(s) in term '"0"'`],
  ['json-bare-word', '{ $.a = foo }', JSON_VALUES, [12]],
  ['json-bare-boolean', '{ $.a = true }', JSON_VALUES, [7]],
  ['json-quoted-boolean', '{ $.a = "true" }', JSON_VALUES, [7]],
  ['json-is-true', '{ $.a IS TRUE }', JSON_VALUES, [5]],
  ['json-is-false', '{ $.a IS FALSE }', JSON_VALUES, [6]],
  ['json-null', '{ $.a IS NULL }', JSON_VALUES, [8]],
  ['json-missing', '{ $.a NOT EXISTS }', JSON_VALUES, [9]],
  ['json-star', '{ $.a = * }', JSON_VALUES, [1, 2, 3, 4, 7, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]],
  ['json-quoted-star', '{ $.a = "*" }', JSON_VALUES, [1, 2, 3, 4, 7, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]],
  ['json-glob', '{ $.a = foo* }', JSON_VALUES, [12, 13]],
  ['json-exponent', '{ $.a = 1e3 }', JSON_VALUES, [15, 16]],
  ['json-plus', '{ $.a = +1 }', JSON_VALUES, [1, 3]],
  ['json-overflow', '{ $.a = 1e309 }', JSON_VALUES, [18]],
  ['json-underflow', '{ $.a = 1e-999 }', JSON_VALUES, []],
  ['json-precision', '{ $.a = 9007199254740992 }', JSON_VALUES, []],
  ['json-regex-number', '{ $.a = %1% }', JSON_VALUES, [1, 2, 3, 4, 15, 16, 18, 21]],
  ['json-keyword-and', '{ $.a = 1 AND $.b = 2 }', JSON_VALUES, ''],
  ['json-double-equal', '{ $.a == 1 }', JSON_VALUES, ''],
  ['json-trailing', '{ $.a = 1 } x', JSON_VALUES, "If a filter pattern starts with '{' it must end with '}'"],
  // JSON selectors
  ['selector-index', '{ $.a[1] = 2 }', SELECTORS, [1, 3]],
  ['selector-wildcard', '{ $.a[*] = 2 }', SELECTORS, [1, 2, 3, 4, 5]],
  ['selector-object-wildcard', '{ $.a.* = 2 }', SELECTORS, [1, 2, 3, 4, 5]],
  ['selector-wildcard-child', '{ $.a[*].b = 2 }', SELECTORS, [6]],
  ['selector-quoted-property', "{ $.['a.b'] = 2 }", SELECTORS, [7]],
  ['selector-bracket-property', "{ $['a.b'] = 2 }", SELECTORS, "Invalid character(s) in term '$['"],
  ['selector-double-property', '{ $.["a.b"] = 2 }', SELECTORS, `Invalid character(s) in term '$.["'`],
  ['selector-hyphen', '{ $.a-b = 2 }', SELECTORS, [8]],
  ['selector-root-index', '{ $[1] = 2 }', SELECTORS, "Invalid character(s) in term '$['"],
  ['selector-negative-index', '{ $.a[-1] = 2 }', SELECTORS, "Invalid character(s) in term '[-'"],
  ['selector-null-extraction', '{ $.a IS NULL }', SELECTORS, [3, 9]],
  ['selector-or-extraction', '{ $.a = 9 || $.missing NOT EXISTS }', SELECTORS, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  ['selector-array-ne', '{ $.a[*] != 2 }', SELECTORS, [6, 9]],
  [
    'selector-nested-wildcard',
    '{ $.a[*].* = 2 }',
    SELECTORS,
    'Your filter pattern has a JSON path selector that exceeds the maximum of 1 wildcard allowed per json selector.',
  ],
  // Space-delimited
  ['space-fields', '[a, b, c]', FIELDS, [3, 6, 7, 10, 11, 14, 18]],
  ['space-last-rest', '[a, rest]', FIELDS, EXCEPT(FIELDS, 1, 15)],
  ['space-single', '[a]', FIELDS, ALL(FIELDS)],
  ['space-empty', '[]', FIELDS, ALL(FIELDS)],
  ['space-leading-ellipsis', '[..., last]', FIELDS, ALL(FIELDS)],
  ['space-middle-ellipsis', '[first, ..., last]', FIELDS, EXCEPT(FIELDS, 1, 15)],
  ['space-trailing-ellipsis', '[first, ...]', FIELDS, ALL(FIELDS)],
  ['space-unnamed', '[, b,]', FIELDS, [3, 6, 7, 10, 11, 14, 18]],
  ['space-trailing-comma', '[a,]', FIELDS, EXCEPT(FIELDS, 1, 15)],
  ['space-constraint', '[level=ERROR, rest]', FIELDS, [2, 3]],
  ['space-or', '[level=ERROR || level=WARN, rest]', FIELDS, [2, 3, 4]],
  ['space-numeric', '[a=1, rest]', FIELDS, [16, 17]],
  ['space-quoted-numeric', '[a="1", rest]', FIELDS, [16]],
  [
    'space-cross-field',
    '[a=ERROR || b=one, b]',
    FIELDS,
    'Multiple variables used in a single filter. Var1 : a, Var2 : b',
  ],
  ['space-duplicate', '[a, a]', FIELDS, "Duplicate field 'a'"],
  ['space-invalid-name', '[1a]', FIELDS, "Invalid character(s) in term '1a'"],
  ['space-double-ellipsis', '[a, ..., b, ...]', FIELDS, "Duplicate field '...'"],
  ['space-bad-operator', '[a == 1]', FIELDS, ''],
  ['space-regex', '[a=%ERR%, rest]', FIELDS, [2, 3]],
];

// From `filter-pattern-aws-edges.json` (same repository, same folder).
const EDGE_NUMBERS = [
  '{"a":1}',
  '{"a":1.0}',
  '{"a":1e0}',
  '{"a":"1"}',
  '{"a":"1.0"}',
  '{"a":"01"}',
  '{"a":0.0}',
  '{"a":-0.0}',
  '{"a":-1}',
  '{"a":9007199254740992}',
  '{"a":9007199254740993}',
  '{"a":1e308}',
  '{"a":1e309}',
  '{"a":"1e309"}',
  '{"a":1e-999}',
  '{"a":"1e-999"}',
  '{"a":0}',
  '{"a":true}',
  '{"a":"true"}',
  '{"a":null}',
  '{"a":[1,2]}',
  '{"a":[null,2]}',
] as const;

const EDGE_SHAPES = [
  '{}',
  '{"a":null}',
  '{"a":2}',
  '{"a":1}',
  '{"a":"2"}',
  '{"a":[]}',
  '{"a":[1,2]}',
  '{"a":[2,1]}',
  '{"a":[1]}',
  '{"a":[null,2]}',
  '{"a":{}}',
  '{"a":{"b":2}}',
  '{"a":[{"b":1},{"b":2}]}',
  '{"a":[{"b":null}]}',
  '{"a":[[1,2]]}',
  '{"a":[true,false]}',
] as const;

const RECORDED_EDGES: readonly RecordedCase[] = [
  ['edge-decimal', '{ $.a = 1.0 }', EDGE_NUMBERS, [1, 2, 3, 5]],
  ['edge-zero', '{ $.a = 0 }', EDGE_NUMBERS, [7, 8, 15, 17]],
  ['edge-negative-zero', '{ $.a = -0.0 }', EDGE_NUMBERS, [7, 8, 15, 17]],
  ['edge-precise-long', '{ $.a = 9007199254740993 }', EDGE_NUMBERS, [11]],
  ['edge-large-finite', '{ $.a = 1e308 }', EDGE_NUMBERS, [12]],
  ['edge-large-ordered', '{ $.a > 1e307 }', EDGE_NUMBERS, [12]],
  ['edge-underflow-ordered', '{ $.a > 1e-999 }', EDGE_NUMBERS, [1, 2, 3, 10, 11, 12]],
  ['edge-string-exponent', '{ $.a = "1e0" }', EDGE_NUMBERS, []],
  ['edge-is-null', '{ $.a IS NULL }', EDGE_SHAPES, [2, 10]],
  ['edge-equals', '{ $.a = 2 }', EDGE_SHAPES, [3, 5]],
  ['edge-not-equals', '{ $.a != 2 }', EDGE_SHAPES, [4]],
  ['edge-wildcard-not-equals', '{ $.a[*] != 2 }', EDGE_SHAPES, [2, 3, 4, 5, 6, 9, 11, 13, 14, 15, 16]],
  ['edge-wildcard-null', '{ $.a[*] IS NULL }', EDGE_SHAPES, [10]],
  ['edge-wildcard-missing', '{ $.a[*] NOT EXISTS }', EDGE_SHAPES, [1, 2, 3, 4, 5, 6, 11]],
  ['edge-missing', '{ $.a NOT EXISTS }', EDGE_SHAPES, [1]],
  ['edge-child', '{ $.a.b = 2 }', EDGE_SHAPES, [12]],
  ['edge-child-missing', '{ $.a.b NOT EXISTS }', EDGE_SHAPES, EXCEPT(EDGE_SHAPES, 12)],
  ['edge-star', '{ $.a = * }', EDGE_SHAPES, [3, 4, 5]],
  ['edge-quoted-number', '{ $.a = "2" }', EDGE_SHAPES, [3, 5]],
  ['edge-bare-null', '{ $.a = null }', EDGE_SHAPES, ''],
  ['edge-is-not-null', '{ $.a IS NOT NULL }', EDGE_SHAPES, "Invalid character(s) in term 'NOT'"],
  ['edge-selector-root', '{ $ = 2 }', EDGE_SHAPES, "Invalid character(s) in term '$ '"],
  ['edge-json-negative-regex', '{ $.a != %2% }', EDGE_SHAPES, [4]],
  ['edge-regex-text', 'ERROR %WARN%', ['ERROR WARN', 'ERROR', 'WARN'], "Invalid character(s) in term '%'"],
  ['edge-regex-optional', '?%WARN%', ['WARN', 'WARN INFO'], "Invalid character(s) in term '%'"],
  ['edge-term-punctuation', 'a-b', ['a-b', 'a b'], []],
  ['edge-term-underscore', 'a_b', ['a_b', 'a b'], [1]],
  ['edge-term-dot', 'a.b', ['a.b', 'a b'], [1]],
  ['edge-term-question', 'a?b', ['a?b', 'a b'], [1, 2]],
  ['edge-regex-structured-two', '{ $.a = %1% || $.a = %2% }', EDGE_SHAPES, [3, 4, 5]],
  [
    'edge-regex-structured-three',
    '{ $.a = %1% || $.a = %2% || $.a = %3% }',
    EDGE_SHAPES,
    'Your input has exceeded the maximum of 2 regular expressions per filter pattern.',
  ],
  ['edge-quoted-order-space', '[a>"1", b]', ['2 x', '0 x'], ''],
  ['edge-json-keyword-case', '{ $.a is null }', EDGE_SHAPES, [2, 10]],
  ['edge-json-unquoted-symbol', '{ $.a = a:b }', ['{"a":"a:b"}'], "Invalid character(s) in term ':'"],
  ['edge-space-quote-trailing', '[a, b]', ['x "y" ', 'x [y] ', 'x y ', 'x  ', 'x ""', 'x []'], [1, 2, 3, 5, 6]],
  ['edge-space-incomplete', '[a, b, c]', ['x "y z', 'x [y z', 'x "y z q', 'x [y z q'], [1, 2, 3, 4]],
];

// From `filter-pattern-aws-boundaries.json` (same repository, same folder).
const BOUNDARY_SHAPES = [
  '{"a":true}',
  '{"a":false}',
  '{"a":[true,false]}',
  '{"a":[null]}',
  '{"a":[[null]]}',
  '{"a":[{"b":2},{"b":1}]}',
  '{"a":[{}]}',
  '{}',
] as const;

const RECORDED_BOUNDARIES: readonly RecordedCase[] = [
  ['boundary-array-true', '{ $.a IS TRUE }', BOUNDARY_SHAPES, [1]],
  ['boundary-array-false', '{ $.a IS FALSE }', BOUNDARY_SHAPES, [2]],
  ['boundary-array-null', '{ $.a IS NULL }', BOUNDARY_SHAPES, [4]],
  ['boundary-nested-negative', '{ $.a[*].b != 2 }', BOUNDARY_SHAPES, [1, 2, 3, 4, 5, 7]],
  ['boundary-wildcard-null', '{ $.a[*] IS NULL }', BOUNDARY_SHAPES, [4]],
  ['boundary-term-slash', 'a/b', ['a/b', 'a b'], "Invalid character(s) in term '/'"],
  ['boundary-term-at', 'a@b', ['a@b', 'a b'], "Invalid character(s) in term '@'"],
  ['boundary-term-unicode', 'café', ['café', 'cafe'], [1]],
  ['boundary-quoted-space', '" "', ['x', 'two words', ' '], [2, 3]],
  ['boundary-huge-exponent', '{ $.a = 1e2147483648 }', ['{"a":1}', '{"a":"1e2147483648"}'], ''],
  ['boundary-bare-negative', 'a-b', ['a', 'b', 'a-b', 'ab', 'a b'], [1]],
];

/** The extractedValues AWS returned for the space-delimited cases, by event number. */
type Extracted = Readonly<Record<number, Readonly<Record<string, string>>>>;

const FIELDS_BY_POSITION: Extracted = {
  1: { $1: 'ERROR' },
  2: { $1: 'ERROR', $2: 'one' },
  3: { $1: 'ERROR', $2: 'one', $3: 'two' },
  4: { $1: 'WARN', $2: 'one' },
  5: { $1: 'INFO', $2: 'one' },
  6: { $1: 'a', $2: 'two words', $3: 'c' },
  7: { $1: 'a', $2: 'two words', $3: 'c' },
  8: { $1: 'a', $2: 'two words' },
  9: { $1: 'a', $2: 'two words' },
  10: { $1: 'a', $2: 'b', $3: 'c' },
  11: { $1: 'a', $2: 'b', $3: 'c' },
  12: { $1: 'a', $2: '"unclosed' },
  13: { $1: 'a', $2: '[unclosed' },
  14: { $1: 'a', $2: 'b', $3: 'c', $4: 'd' },
  15: { $1: 'one' },
  16: { $1: '1', $2: '2' },
  17: { $1: '1.0', $2: '2' },
  18: { $1: 'a', $2: 'b', $3: 'c', $4: 'd' },
};

/** `[a, rest]` and `[a,]`: the first field, then the rest of the line from the second field on. */
const REST: Record<number, readonly [string, string]> = {
  2: ['ERROR', 'one'],
  3: ['ERROR', 'one two'],
  4: ['WARN', 'one'],
  5: ['INFO', 'one'],
  6: ['a', '"two words" c'],
  7: ['a', '[two words] c'],
  8: ['a', 'two words'],
  9: ['a', 'two words'],
  10: ['a', 'b   c '],
  11: ['a', 'b\tc'],
  12: ['a', '"unclosed'],
  13: ['a', '[unclosed'],
  14: ['a', '"b"c d'],
  16: ['1', '2'],
  17: ['1.0', '2'],
  18: ['a', 'b c d'],
};
const rest = (second: string): Extracted =>
  Object.fromEntries(Object.entries(REST).map(([n, [a, r]]) => [n, { $a: a, [second]: r }]));

/** Renames keys of the by-position table: `{ $1: '$first' }` and, for the last field, `'$last'`. */
function renamed(names: Record<string, string>, last?: string): Extracted {
  return Object.fromEntries(
    Object.entries(FIELDS_BY_POSITION).map(([n, values]) => {
      const keys = Object.keys(values);
      return [
        n,
        Object.fromEntries(
          keys.map((key, i) => [last && i === keys.length - 1 ? last : (names[key] ?? key), values[key]!]),
        ),
      ];
    }),
  );
}
const without = (table: Extracted, ...left: number[]): Extracted =>
  Object.fromEntries(Object.entries(table).filter(([n]) => !left.includes(Number(n))));

const EXTRACTED: Readonly<Record<string, Extracted>> = {
  'space-fields': {
    3: { $a: 'ERROR', $b: 'one', $c: 'two' },
    6: { $a: 'a', $b: 'two words', $c: 'c' },
    7: { $a: 'a', $b: 'two words', $c: 'c' },
    10: { $a: 'a', $b: 'b', $c: 'c' },
    11: { $a: 'a', $b: 'b', $c: 'c' },
    14: { $a: 'a', $b: 'b', $c: 'c d' },
    18: { $a: 'a', $b: 'b', $c: 'c d' },
  },
  'space-last-rest': rest('$rest'),
  'space-single': Object.fromEntries(FIELDS.map((message, i) => [i + 1, { $a: message }])),
  'space-empty': FIELDS_BY_POSITION,
  'space-leading-ellipsis': renamed({}, '$last'),
  'space-middle-ellipsis': without(renamed({ $1: '$first' }, '$last'), 1, 15),
  'space-trailing-ellipsis': renamed({ $1: '$first' }),
  'space-unnamed': {
    3: { $1: 'ERROR', $b: 'one', $3: 'two' },
    6: { $1: 'a', $b: 'two words', $3: 'c' },
    7: { $1: 'a', $b: 'two words', $3: 'c' },
    10: { $1: 'a', $b: 'b', $3: 'c' },
    11: { $1: 'a', $b: 'b', $3: 'c' },
    14: { $1: 'a', $b: 'b', $3: 'c d' },
    18: { $1: 'a', $b: 'b', $3: 'c d' },
  },
  'space-trailing-comma': rest('$2'),
  'space-constraint': { 2: { $level: 'ERROR', $rest: 'one' }, 3: { $level: 'ERROR', $rest: 'one two' } },
  'space-or': {
    2: { $level: 'ERROR', $rest: 'one' },
    3: { $level: 'ERROR', $rest: 'one two' },
    4: { $level: 'WARN', $rest: 'one' },
  },
  'space-numeric': { 16: { $a: '1', $rest: '2' }, 17: { $a: '1.0', $rest: '2' } },
  'space-quoted-numeric': { 16: { $a: '1', $rest: '2' } },
  'space-regex': { 2: { $a: 'ERROR', $rest: 'one' }, 3: { $a: 'ERROR', $rest: 'one two' } },
  'edge-space-quote-trailing': {
    1: { $a: 'x', $b: 'y' },
    2: { $a: 'x', $b: 'y' },
    3: { $a: 'x', $b: 'y' },
    5: { $a: 'x', $b: '' },
    6: { $a: 'x', $b: '' },
  },
  'edge-space-incomplete': {
    1: { $a: 'x', $b: '"y', $c: 'z' },
    2: { $a: 'x', $b: '[y', $c: 'z' },
    3: { $a: 'x', $b: '"y', $c: 'z q' },
    4: { $a: 'x', $b: '[y', $c: 'z q' },
  },
};

const ALL_RECORDED = [...RECORDED, ...RECORDED_EDGES, ...RECORDED_BOUNDARIES];

function compileError(pattern: string): FilterPatternError | undefined {
  try {
    compileFilterPattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof FilterPatternError) return error;
    throw error;
  }
}

function parsedObject(message: string): object | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

describe('every TestMetricFilter answer recorded from AWS', () => {
  test('the tables hold all 101 + 36 + 11 recorded cases', () => {
    expect(RECORDED).toHaveLength(101);
    expect(RECORDED_EDGES).toHaveLength(36);
    expect(RECORDED_BOUNDARIES).toHaveLength(11);
    expect(new Set(ALL_RECORDED.map(([id]) => id)).size).toBe(148);
  });

  describe.each(ALL_RECORDED.filter(([, , , answer]) => typeof answer !== 'string'))(
    '%s: %j',
    (id, pattern, messages, answer) => {
      const compiled = compileFilterPattern(pattern);
      test('matches exactly the recorded events, from the raw message', () => {
        const matched = messages.flatMap((message, i) => (compiled.matchesMessage(message) ? [i + 1] : []));
        expect(matched).toEqual(answer);
      });
      test('and from the parsed record, for JSON messages', () => {
        for (const [i, message] of messages.entries()) {
          const record = parsedObject(message);
          if (record === undefined || /\d{16,}|\.0|e-?\d/.test(message)) continue; // literal lost in parsing
          expect([i + 1, compiled.matchesValue(record)]).toEqual([i + 1, (answer as Matched).includes(i + 1)]);
        }
      });
      test('extractValues gives the recorded extractedValues', () => {
        const expected = EXTRACTED[id] ?? {};
        for (const [i, message] of messages.entries()) {
          const values = (answer as Matched).includes(i + 1) ? (expected[i + 1] ?? {}) : {};
          expect([i + 1, extractValues(pattern, message)]).toEqual([i + 1, values]);
        }
      });
    },
  );

  test.each(ALL_RECORDED.filter(([, , , answer]) => typeof answer === 'string'))(
    '%s: %j is rejected like AWS rejects it',
    (_id, pattern, _messages, answer) => {
      const error = compileError(pattern);
      expect(error).toBeInstanceOf(FilterPatternError);
      expect(error!.message).toContain(answer as string);
      expect(error!.column).toBeGreaterThanOrEqual(1);
      expect(error!.column).toBeLessThanOrEqual(pattern.length + 1);
    },
  );
});

// ---- our own variants of each class the captures revealed ----------------------------------------------

type Variant = readonly [pattern: string, message: string, expected: boolean];

/** Checks the raw message, and the parsed record when its literals survive JSON.parse (`keepsLiterals`). */
function variants(cases: readonly Variant[], keepsLiterals = true): void {
  test.each(cases)('%s on %s is %s', (pattern, message, expected) => {
    const compiled = compileFilterPattern(pattern);
    expect(compiled.matchesMessage(message)).toBe(expected);
    const record = keepsLiterals ? parsedObject(message) : undefined;
    if (record !== undefined) expect(compiled.matchesValue(record)).toBe(expected);
  });
}

function invalid(cases: readonly (readonly [pattern: string, message: string])[]): void {
  test.each(cases)('%s is invalid', (pattern, message) => {
    const error = compileError(pattern);
    expect(error).toBeInstanceOf(FilterPatternError);
    expect(error!.message).toContain(message);
  });
}

describe('optional terms count only when every term is optional', () => {
  variants([
    ['?ERROR ?WARN -timeout', 'ERROR x', true],
    ['?ERROR ?WARN -timeout', 'INFO x', true],
    ['?ERROR ?WARN -timeout', 'ERROR timeout', false],
    ['-timeout ?ERROR', 'INFO', true],
    ['?ERROR INFO -timeout', 'INFO', true],
    ['?ERROR INFO -timeout', 'ERROR', false],
    ['?"two words" -"one word"', 'nothing here', true],
    ['?ERROR ?WARN', 'INFO', false],
  ]);
});

describe('an empty quoted phrase is invalid wherever it stands', () => {
  invalid([
    ['?""', `Invalid character(s) in term '""'`],
    ['-""', `Invalid character(s) in term '""'`],
    ['ERROR ""', `Invalid character(s) in term '""'`],
    ['ERROR "unclosed', `Invalid character(s) in term '"unclosed'`],
  ]);
  variants([
    ['" "', 'two words', true],
    ['" "', 'anything', false],
  ]);
});

describe('a JSON number compared as text is spelled the way AWS spells it', () => {
  variants(
    [
      // Integers as written; other numbers as Java prints the double.
      ['{ $.a = "1000.0" }', '{"a":1e3}', true],
      ['{ $.a = "1000.0" }', '{"a":1000.0}', true],
      ['{ $.a = "1000.0" }', '{"a":1000}', false],
      ['{ $.a = "1000" }', '{"a":1000}', true],
      ['{ $.a = "1000" }', '{"a":1e3}', false],
      ['{ $.a = "1.0E7" }', '{"a":1e7}', true],
      ['{ $.a = "1.0E7" }', '{"a":10000000}', false],
      ['{ $.a = "10000000" }', '{"a":10000000}', true],
      ['{ $.a = "0.001" }', '{"a":1e-3}', true],
      ['{ $.a = "1.0E-4" }', '{"a":0.0001}', true],
      ['{ $.a = "Infinity" }', '{"a":1e400}', true],
      ['{ $.a = "-Infinity" }', '{"a":-1e400}', true],
      ['{ $.a = "0.0" }', '{"a":1e-400}', true],
      ['{ $.a = "-0.0" }', '{"a":-0.0}', true],
      ['{ $.a = "0" }', '{"a":0.0}', false],
      ['{ $.a = "0" }', '{"a":0}', true],
      ['{ $.a = 1000* }', '{"a":1e3}', true],
      ['{ $.a = *.0 }', '{"a":5}', false],
      ['{ $.a = *.0 }', '{"a":5.0}', true],
      ['{ $.a = %E% }', '{"a":1e7}', true],
      ['{ $.a = %E% }', '{"a":10000000}', false],
      ['{ $.a != "1" }', '{"a":1.0}', true],
      ['{ $.a != "1" }', '{"a":1}', false],
      ['{ $.a = "1" || $.a = "2" }', '{"a":2.0}', false],
      ['{ $.a = "1" || $.a = "2" }', '{"a":2}', true],
      ['{ $.a = 1 || $.a = 2 }', '{"a":2.0}', true],
    ],
    false, // JSON.parse makes `1e3` and `1000` one number: only the raw message keeps the difference
  );
});

describe('numbers out of double range: an overflow is no number, an underflow is zero', () => {
  variants(
    [
      ['{ $.a > 1e308 }', '{"a":1e309}', false],
      ['{ $.a < 0 }', '{"a":-1e309}', false],
      ['{ $.a != 5 }', '{"a":-1e309}', false],
      ['{ $.a = * }', '{"a":-1e309}', true],
      ['{ $.a != "x" }', '{"a":1e309}', true],
      ['{ $.a = 0 }', '{"a":1e-400}', true],
      ['{ $.a > 0 }', '{"a":1e-400}', false],
      ['{ $.a = 1e-400 }', '{"a":1e-400}', false],
      ['{ $.a = 0 }', '{"a":-0.0}', true],
      ['{ $.a >= 0 }', '{"a":-1e-400}', true],
      ['{ $.a = 5e-324 }', '{"a":5e-324}', true],
    ],
    true,
  );
});

describe('integers compare exactly, past 2^53 and past 2^64', () => {
  variants(
    [
      ['{ $.a = 9007199254740993 }', '{"a":9007199254740993}', true],
      ['{ $.a = 9007199254740993 }', '{"a":9007199254740992}', false],
      ['{ $.a > 9007199254740992 }', '{"a":9007199254740993}', true],
      ['{ $.a != 9007199254740992 }', '{"a":9007199254740993}', true],
      ['{ $.a = 12345678901234567890123 }', '{"a":12345678901234567890123}', true],
      ['{ $.a = 12345678901234567890123 }', '{"a":12345678901234567890124}', false],
      ['{ $.a < 18446744073709551616 }', '{"a":18446744073709551615}', true],
      ['{ $.a = 1e22 }', '{"a":10000000000000000000000}', true],
      ['{ $.a = 9007199254740993.0 }', '{"a":9007199254740993}', true],
      ['{ $.a = "9007199254740993" }', '{"a":9007199254740993}', true],
      ['{ $.a = 9007199254740993 || $.a = 7 }', '{"a":9007199254740992}', false],
      ['{ $.a = 1 || $.a = 9007199254740993 }', '{"a":9007199254740993}', true],
      // A literal with a fraction or exponent is a double: `9007199254740993.0` is 2^53.
      ['{ $.a = 9007199254740992 }', '{"a":9007199254740993.0}', true],
      ['{ $.a = 9007199254740993 }', '{"a":9007199254740993.0}', false],
      ['{ $.a > 0.1000000000000000000001 }', '{"a":0.1}', false],
      ['{ $.a < 0.1000000000000000000001 }', '{"a":0.1}', true],
      ['{ $.a = 0.1 }', '{"a":0.1}', true],
    ],
    false,
  );

  test('a parsed record holds doubles: its numbers read as JSON.stringify would write them', () => {
    const compiled = compileFilterPattern('{ $.a = 9007199254740992 }');
    expect(compiled.matchesValue({ a: 2 ** 53 })).toBe(true);
    expect(compiled.matchesValue({ a: 2 ** 53 + 1 })).toBe(true); // the double 2^53 + 1 is 2^53
    expect(compileFilterPattern('{ $.a = "1" }').matchesValue({ a: 1 })).toBe(true);
    expect(compileFilterPattern('{ $.a = "1.5" }').matchesValue({ a: 1.5 })).toBe(true);
  });
});

describe('IS NULL holds for null and for an array holding null', () => {
  variants([
    ['{ $.a IS NULL }', '{"a":[1,null]}', true],
    ['{ $.a IS NULL }', '{"a":[[null]]}', false],
    ['{ $.a IS NULL }', '{"a":[]}', false],
    ['{ $.a IS NULL }', '{"a":{"b":null}}', false],
    ['{ $.a[0] IS NULL }', '{"a":[null]}', true],
    ['{ $.a[*] IS NULL }', '{"a":[1,null]}', true],
    ['{ $.a.b IS NULL }', '{"a":{"b":[null]}}', true],
    ['{ $.a IS TRUE }', '{"a":[true]}', false],
  ]);
});

describe('!= through a wildcard: the container exists and no child equals', () => {
  variants([
    ['{ $.a[*] != 2 }', '{"a":[]}', true],
    ['{ $.a[*] != 2 }', '{"a":[3,4]}', true],
    ['{ $.a[*] != 2 }', '{"a":[3,2.0]}', false],
    ['{ $.a[*] != 2 }', '{"b":[3]}', false],
    ['{ $.a.* != 2 }', '{"a":{"x":2}}', false],
    ['{ $.a.* != 2 }', '{"a":{"x":3}}', true],
    ['{ $.a[*].b != 2 }', '{"a":[{"b":2}]}', false],
    ['{ $.a[*].b != 2 }', '{"a":[{"c":2}]}', true],
    ['{ $.a[*] != "x" }', '{"a":["x","y"]}', false],
    ['{ $.a[*] != "x" }', '{"a":["y"]}', true],
    ['{ $.a[*] != x* }', '{"a":["y","xz"]}', false],
    ['{ $.a[*] != %^y% }', '{"a":["x"]}', true],
  ]);
});

describe('space-delimited: a quoted value compares as text, an unquoted number exactly', () => {
  variants([
    ['[a="1.0", rest]', '1.0 x', true],
    ['[a="1.0", rest]', '1 x', false],
    ['[a!="1", rest]', '1.0 x', true],
    ['[a!=1, rest]', '1.0 x', false],
    ['[a=1.0, rest]', '1 x', true],
    ['[a=+1, rest]', '1 x', true],
    ['[a="+1", rest]', '1 x', false],
    ['[a=9007199254740993]', '9007199254740992', false],
    ['[a=9007199254740993]', '9007199254740993', true],
    ['[a>9007199254740992]', '9007199254740993', true],
    ['[a<1e-999]', '0', true],
    ['[a>0]', '1e-999', true],
  ]);
});

describe('space-delimited: one condition names one field, and names start with a letter', () => {
  invalid([
    ['[a=1 && b=2, b]', 'Multiple variables used in a single filter. Var1 : a, Var2 : b'],
    ['[a, b=2 || a=3]', 'Multiple variables used in a single filter. Var1 : b, Var2 : a'],
    ['[a, (b=1 || b=2) && c>3, c]', 'Var1 : b, Var2 : c'],
    ['[2x]', "Invalid character(s) in term '2x'"],
    ['[a, 9b = 1]', "Invalid character(s) in term '9b'"],
    ['[a, 1]', "Invalid character(s) in term '1'"],
  ]);
  variants([
    ['[a = 1 || a = 3, b]', '3 x', true],
    ['[a, b != 1 && b != 2]', 'x 3', true],
    ['[_x, y9]', 'p q', true],
  ]);
});

describe('extractValues: the extractedValues of TestMetricFilter', () => {
  test.each([
    ['[a, ..., b]', 'p q r s', { $a: 'p', $2: 'q', $3: 'r', $b: 's' }],
    ['[, ..., b]', 'p q r', { $1: 'p', $2: 'q', $b: 'r' }],
    ['[..., , b]', 'p q r', { $1: 'p', $2: 'q', $b: 'r' }],
    ['[a, b = x*]', 'p xy z', { $a: 'p', $b: 'xy z' }],
    ['[a, b = x*]', 'p y z', {}],
    ['[a, b]', 'p', {}],
    ['[]', '', {}],
    ['[]', '  p  ', { $1: 'p' }],
    ['ERROR', 'ERROR', {}],
    ['{ $.a = 1 }', '{"a":1}', {}],
    ['%E%', 'E', {}],
  ])('%s on %j gives %j', (pattern, message, expected) => {
    expect(extractValues(pattern, message)).toEqual(expected);
  });

  test('an invalid pattern throws FilterPatternError, with its column', () => {
    expect(() => extractValues('[a, a]', 'x y')).toThrow(FilterPatternError);
  });
});

describe('a parsed record with ±Infinity reads it as the overflowing literal JSON.parse made it from', () => {
  test.each([
    ['{ $.a = * }', true],
    ['{ $.a = "Infinity" }', true],
    ['{ $.a > 0 }', false],
    ['{ $.a != 1 }', false],
    ['{ $.a IS NULL }', false],
  ])('%s on JSON.parse(\'{"a":1e309}\') is %s, as on the raw message', (pattern, expected) => {
    const compiled = compileFilterPattern(pattern);
    expect(compiled.matchesValue(JSON.parse('{"a":1e309}'))).toBe(expected);
    expect(compiled.matchesMessage('{"a":1e309}')).toBe(expected);
  });

  test('NaN (no JSON number) matches nothing', () => {
    expect(compileFilterPattern('{ $.a = * }').matchesValue({ a: Number.NaN })).toBe(false);
    expect(compileFilterPattern('{ $.a != 1 }').matchesValue({ a: Number.NaN })).toBe(false);
  });
});
