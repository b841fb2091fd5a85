/**
 * CloudWatch Logs filter-pattern conformance: every case documented in aws-facts.md §4 (AWS doc examples
 * and the recorded TestMetricFilter captures), our own edge cases, compile errors with their columns, and
 * the CIS / Security Hub patterns of §5 with a case that fires and one that does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CIS_PATTERNS,
  compileFilterPattern,
  DEFAULT_UNAUTHORIZED_PATTERN,
  FilterPatternError,
  matchLines,
} from '../shared/detect/filter-pattern';
import { TrailguardError } from '../shared/errors';
import { fixture } from './support/fixtures';

type Case = readonly [pattern: string, message: string, expected: boolean];
type ErrorCase = readonly [pattern: string, column: number, message: string];

/** Runs a table; JSON-object messages are also checked through matchesValue on the parsed record. */
function matches(cases: readonly Case[]): void {
  test.each(cases)('%s on %s is %s', (pattern, message, expected) => {
    const compiled = compileFilterPattern(pattern);
    expect(compiled.matchesMessage(message)).toBe(expected);
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      expect(compiled.matchesValue(parsed)).toBe(expected);
    }
  });
}

function rejects(cases: readonly ErrorCase[]): void {
  test.each(cases)('%s is rejected at column %i', (pattern, column, message) => {
    let thrown: unknown;
    try {
      compileFilterPattern(pattern);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FilterPatternError);
    const error = thrown as FilterPatternError;
    expect(error.name).toBe('FilterPatternError');
    expect(error.message).toContain(message);
    expect(error.column).toBe(column);
  });
}

/** `{"a": <json>}` for the value cases. */
const a = (json: string) => `{"a":${json}}`;

describe('§4.1 pattern kinds', () => {
  test('a pattern starting with { is JSON, [ is space-delimited, anything else is terms', () => {
    expect(compileFilterPattern('{ $.a = 1 }').kind).toBe('json');
    expect(compileFilterPattern('  { $.a = 1 }  ').kind).toBe('json');
    expect(compileFilterPattern('[a, b]').kind).toBe('space-delimited');
    expect(compileFilterPattern('ERROR').kind).toBe('terms');
    expect(compileFilterPattern('%ERROR%').kind).toBe('terms');
    expect(compileFilterPattern('').kind).toBe('terms');
  });

  test('the compiled pattern keeps its source', () => {
    expect(compileFilterPattern(' ERROR ').source).toBe(' ERROR ');
  });

  describe('an empty pattern matches every event', () => {
    matches([
      ['', 'anything at all', true],
      ['', '', true],
      ['', '{"a":1}', true],
      ['   ', 'x', true],
    ]);
  });

  describe('a pattern that starts with { must end with }, and with % must end with %', () => {
    rejects([
      ['{ $.a = 1 } trailing', 13, "If a filter pattern starts with '{' it must end with '}'"],
      ['{ $.a = 1', 10, "If a filter pattern starts with '{' it must end with '}'"],
      ['%abc', 4, "If a filter pattern starts with '%' it must end with '%'"],
      ['%', 1, "If a filter pattern starts with '%' it must end with '%'"],
    ]);
  });
});

describe('§4.2 unstructured (term) patterns', () => {
  describe('matching is case-sensitive substring matching', () => {
    matches([
      ['ERROR', 'ERRORS', true],
      ['ERROR', 'xERROR', true],
      ['ERROR', '[ERROR]', true],
      ['ERROR', 'ERROR_code', true],
      ['ERROR', '[ERROR] A fatal exception has occurred', true],
      ['ERROR', 'Exiting with ERRORCODE: -1', true],
      ['ERROR', 'error', false],
      ['error', 'ERROR', false],
      ['error', 'an error occurred', true],
      ['ERROR', '', false],
    ]);
  });

  describe('several terms must all appear, in any order', () => {
    matches([
      ['ERROR ARGUMENTS', 'ERROR with bad ARGUMENTS', true],
      ['ERROR ARGUMENTS', 'ARGUMENTS before ERROR', true],
      ['ERROR ARGUMENTS', 'ERROR only', false],
      ['ERROR Exception', '[ERROR] Caught IllegalArgumentException', true],
      ['ERROR Exception', '[ERROR] Unhandled Exception', true],
    ]);
  });

  describe('?term is OR; ? terms are ignored when mixed with plain terms', () => {
    matches([
      ['?ERROR ?ARGUMENTS', 'ERROR', true],
      ['?ERROR ?ARGUMENTS', 'ARGUMENTS', true],
      ['?ERROR ?ARGUMENTS', 'neither', false],
      ['?ERROR ?WARN', 'ERROR WARN message', true],
      ['?ERROR ?WARN', 'WARN message', true],
      ['ERROR ?WARN', 'ERROR without the other', true],
      ['ERROR ?WARN', 'WARN only', false],
      ['?"Failure" ?"denied"', 'access denied', true],
    ]);
  });

  describe('a quoted phrase matches exactly', () => {
    matches([
      ['"INTERNAL SERVER ERROR"', '500 INTERNAL SERVER ERROR', true],
      ['"INTERNAL SERVER ERROR"', 'INTERNAL ERROR SERVER', false],
      ['"INTERNAL SERVER ERROR"', 'INTERNAL  SERVER ERROR', false],
      ['"Failed to process the request"', '[WARN] Failed to process the request', true],
    ]);
  });

  describe('-term excludes events that contain it', () => {
    matches([
      ['ERROR -ARGUMENTS', 'ERROR x', true],
      ['ERROR -ARGUMENTS', 'ERROR ARGUMENTS', false],
      ['ERROR -Exiting', 'Exiting with ERRORCODE: -1', false],
      ['ERROR -WARN', 'ERROR message', true],
      ['ERROR -WARN', 'ERROR WARN message', false],
      ['-DEBUG', 'INFO ok', true],
      ['-DEBUG', 'DEBUG noise', false],
      // Our reading: exclusions apply whatever the ? terms do.
      ['?ERROR ?WARN -DEBUG', 'WARN DEBUG', false],
      ['?ERROR ?WARN -DEBUG', 'WARN', true],
    ]);
  });

  describe('" " is a phrase of one space (capture: it matches `two words` and ` `, not `x`)', () => {
    matches([
      ['" "', 'two words', true],
      ['" "', 'nospace', false],
      ['" "', '', false],
    ]);
  });

  describe('phrases are literal; outside quotes `-` and `?` are operators, `.` a character', () => {
    matches([
      // No glob inside phrases.
      ['"ERR*"', 'ERROR', false],
      ['"ERR*"', 'ERR*', true],
      ['"a-b"', 'a-b', true],
      ['"a-b"', 'a b', false],
      ['"a?b"', 'a?b', true],
      ['"a?b"', 'a b', false],
      ['"ERROR!"', 'ERROR!', true],
      ['"ERROR:"', 'x ERROR: y', true],
      ['"a_b"', 'a_b', true],
      ['"a_b"', 'a b', false],
      ['"a.b"', 'a.b', true],
      ['"a.b"', 'axb', false],
      // Captures: unquoted `a-b` is `a -b`, unquoted `a?b` is `a ?b` (the `?` term ignored).
      ['a-b', 'a', true],
      ['a-b', 'a-b', false],
      ['a-b', 'ab', false],
      ['a?b', 'a?b', true],
      ['a?b', 'a b', true],
      ['a.b', 'a.b', true],
      ['a.b', 'a b', false],
      ['café', 'café', true],
      ['café', 'cafe', false],
    ]);
  });

  describe('a whole-pattern regex', () => {
    matches([
      ['%AUTHORIZED%', '[ERROR 401] UNAUTHORIZED REQUEST', true],
      ['%AUTHORIZED%', '[SUCCESS 200] AUTHORIZED REQUEST', true],
      ['%AUTHORIZED%', 'authorized', false],
      ['  %ERROR%  ', 'an ERROR', true],
    ]);
  });

  describe('invalid term patterns', () => {
    rejects([
      ['ERR*', 4, "Invalid character(s) in term '*'"],
      ['  ERR*', 6, "Invalid character(s) in term '*'"],
      ['ERROR %WARN%', 7, "Invalid character(s) in term '%'"],
      ['a/b', 2, "Invalid character(s) in term '/'"],
      ['a@b', 2, "Invalid character(s) in term '@'"],
      ['?%WARN%', 2, "Invalid character(s) in term '%'"],
      ['%ERROR% %WARN%', 8, "Invalid character(s) in term ' '"],
      ['?Status: timeout', 8, "Invalid character(s) in term ':'"],
      ['"ERROR', 1, `Invalid character(s) in term '"ERROR'`],
      ['ERROR -', 7, "Invalid character(s) in term '-'"],
      ['"a"b', 4, "Invalid character(s) in term 'b'"],
      ['(ERROR)', 1, "Invalid character(s) in term '('"],
    ]);
  });
});

describe('§4.3 JSON patterns', () => {
  describe('selectors', () => {
    matches([
      ['{ $.a.b = 1 }', '{"a":{"b":1}}', true],
      ['{ $.a-b = 1 }', '{"a-b":1}', true],
      ['{ $.a_b = 1 }', '{"a_b":1}', true],
      ['{ $.a[0] = "x" }', '{"a":["x","y"]}', true],
      ['{ $.a[1] = "x" }', '{"a":["x","y"]}', false],
      ['{ $.a[2] = "x" }', '{"a":["x","y"]}', false],
      ['{ $.a[0] = "x" }', '{"a":{"0":"x"}}', false],
      ['{ $.a[0][1] = 5 }', '{"a":[[4,5]]}', true],
      ['{ $.objectList[1].id = 2 }', '{"objectList":[{"name":"a","id":1},{"name":"b","id":2}]}', true],
      ['{ $.[\'cluster.name\'] = "x" }', '{"cluster.name":"x"}', true],
      ['{ $.[\'cluster.name\'] = "x" }', '{"cluster":{"name":"x"}}', false],
      ["{ $.a.['b.c'] = 1 }", '{"a":{"b.c":1}}', true],
      ['{$.eventName=ConsoleLogin}', '{"eventName":"ConsoleLogin"}', true],
    ]);
  });

  describe('a wildcard selector matches if any element matches', () => {
    matches([
      ['{ $.a[*] = 2 }', '{"a":[1,2]}', true],
      ['{ $.a[*] = 2 }', '{"a":[1,3]}', false],
      ['{ $.a[*] = 2 }', '{"a":[]}', false],
      ['{ $.a[*].id = 2 }', '{"a":[{"id":1},{"id":2}]}', true],
      ['{ $.a[*].id = 3 }', '{"a":[{"id":1},{"id":2}]}', false],
      ['{ $.* = "x" }', '{"p":"y","q":"x"}', true],
      ['{ $.* = "z" }', '{"p":"y","q":"x"}', false],
      ['{ $.a.* = 1 }', '{"a":{"p":0,"q":1}}', true],
      // `!=` through a wildcard: no element equals (captures: `$.a[*] != 2` is false on [1,2]).
      ['{ $.a[*] != 1 }', '{"a":[1,2]}', false],
      ['{ $.a[*] != 1 }', '{"a":[2,3]}', true],
      ['{ $.a[*] != 1 }', '{"a":[1,1]}', false],
      ['{ $.a[*] = 2 }', '{"a":"2"}', false],
    ]);
  });

  describe('selector errors', () => {
    rejects([
      ['{ $[1] = 1 }', 4, 'an array index must follow a property'],
      ['{ $.a[-1] = 1 }', 6, 'an array index is a non-negative integer'],
      ["{ $['a.b'] = 1 }", 4, "written $.['name']"],
      ['{ $.["a.b"] = 1 }', 4, 'with single quotes'],
      ['{ $.a[*].* = 2 }', 9, 'exceeds the maximum of 1 wildcard allowed per json selector'],
      ['{ $.*[*] = 2 }', 6, 'exceeds the maximum of 1 wildcard allowed per json selector'],
      ['{ $.a[*] = 1 || $.b[*] = 1 || $.c[*] = 1 || $.d[*] = 1 }', 45, 'maximum of 3 wildcard selectors'],
      ['{ $ = 1 }', 3, 'empty selector'],
      ['{ $. = 1 }', 4, 'empty property name'],
      ['{ $.a. = 1 }', 6, 'empty property name'],
      ['{ $.a..b = 1 }', 3, "Invalid character(s) in term '$.a..'"],
      ['{ $."sc-status" = 5* }', 3, "Invalid character(s) in term '$.\"'"],
      ['{ $.a/b = 1 }', 3, "Invalid character(s) in term '$.a/'"],
      ['{ eventName = x }', 3, "Expected a selector starting with '$'"],
    ]);
  });

  test('three wildcards in one pattern are allowed', () => {
    expect(() => compileFilterPattern('{ $.a[*] = 1 || $.b[*] = 1 || $.c.* = 1 }')).not.toThrow();
  });

  describe('a selector that points at an object or an array does not match', () => {
    matches([
      ['{ $.users = 1 }', '{"users":[1,2,3]}', false],
      ['{ $.users != 1 }', '{"users":[1,2,3]}', false],
      ['{ $.user = * }', '{"user":{"id":1}}', false],
      ['{ $.user != "x" }', '{"user":{"id":1}}', false],
      ['{ $.user IS NULL }', '{"user":{}}', false],
    ]);
  });

  describe('string values: = and != with * wildcards, quoted or not', () => {
    matches([
      ['{ $.eventType = "UpdateTrail" }', '{"eventType":"UpdateTrail"}', true],
      ['{ $.errorCode = "*UnauthorizedOperation" }', '{"errorCode":"Client.UnauthorizedOperation"}', true],
      ['{ $.errorCode = "*UnauthorizedOperation" }', '{"errorCode":"UnauthorizedOperation"}', true],
      ['{ $.errorCode = "*UnauthorizedOperation" }', '{"errorCode":"UnauthorizedOperationX"}', false],
      ['{ $.sourceIPAddress != 123.123.* }', '{"sourceIPAddress":"10.0.0.1"}', true],
      ['{ $.sourceIPAddress != 123.123.* }', '{"sourceIPAddress":"123.123.4.5"}', false],
      ['{ $.sourceIPAddress != 123.123.* }', '{}', false],
      ['{ $.a = foo* }', a('"foo"'), true],
      ['{ $.a = foo* }', a('"foobar"'), true],
      ['{ $.a = foo* }', a('"xfoo"'), false],
      ['{ $.a = foo }', a('"foo"'), true],
      ['{ $.a = foo }', a('"foobar"'), false],
      ['{ $.a = foo }', a('"FOO"'), false],
      ['{ $.a = *Event }', a('"PutEvent"'), true],
      ['{ $.a = Event* }', a('"EventName"'), true],
      ['{ $.a = "a*b*c" }', a('"aXXbYYc"'), true],
      ['{ $.a = "a*b*c" }', a('"aXXcYYb"'), false],
      ['{ $.a = "a*a" }', a('"a"'), false],
      ['{ $.a = "" }', a('""'), true],
      ['{ $.a = "" }', a('"x"'), false],
      ['{ $.a = "say \\"hi\\"" }', a('"say \\"hi\\""'), true],
      ['{ $.a = "é" }', a('"é"'), true],
      ['{ $.a = us-east-1 }', a('"us-east-1"'), true],
      ['{ $.eventSource=kms.amazonaws.com }', '{"eventSource":"kms.amazonaws.com"}', true],
    ]);
  });

  describe('= * matches any string or number, nothing else', () => {
    const cases: Case[] = [];
    for (const pattern of ['{ $.a = * }', '{ $.a = "*" }']) {
      cases.push(
        [pattern, a('"s"'), true],
        [pattern, a('""'), true],
        [pattern, a('1'), true],
        [pattern, a('true'), false],
        [pattern, a('false'), false],
        [pattern, a('null'), false],
        [pattern, '{}', false],
        [pattern, a('{}'), false],
        [pattern, a('[]'), false],
      );
    }
    matches(cases);
  });

  describe('numbers, per the captures', () => {
    matches([
      ['{ $.a = 1 }', a('1'), true],
      ['{ $.a = 1 }', a('"1"'), true],
      ['{ $.a = 1 }', a('1.0'), true],
      ['{ $.a = 1 }', a('"01"'), false],
      ['{ $.a = 1 }', a('true'), false],
      ['{ $.a = 1 }', a('1e3'), false],
      ['{ $.a = "1" }', a('1'), true],
      ['{ $.a = "1" }', a('"1"'), true],
      ['{ $.a = 1.0 }', a('1'), true],
      ['{ $.a = 1.0 }', a('1.0'), true],
      ['{ $.a = 1.0 }', a('1e0'), true],
      ['{ $.a = 1.0 }', a('"1.0"'), true],
      ['{ $.a = 1.0 }', a('"1"'), false],
      ['{ $.a > 0 }', a('5'), true],
      ['{ $.a > 0 }', a('"5"'), false],
      ['{ $.a > 0 }', a('0'), false],
      ['{ $.a > 0 }', a('-1'), false],
      ['{ $.a > 0 }', '{}', false],
      ['{ $.a = 1e3 }', a('1000'), true],
      ['{ $.a = -1.5e3 }', a('-1500'), true],
      ['{ $.a = +2 }', a('2'), true],
      ['{ $.a = 1* }', a('15'), true],
      ['{ $.a = 1* }', a('25'), false],
    ]);
  });

  describe('numeric comparisons from the AWS doc', () => {
    matches([
      ['{ $.latency >= 500 }', '{"latency":500}', true],
      ['{ $.latency >= 500 }', '{"latency":499.9}', false],
      ['{ $.numbers[0] < 10e3 }', '{"numbers":[9999]}', true],
      ['{ $.numbers[0] < 10e3 }', '{"numbers":[10000]}', false],
      ['{ $.numbers[0] < 10e-3 }', '{"numbers":[0.001]}', true],
      ['{ $.processes[4].averageRuntime <= 55.5 }', '{"processes":[0,0,0,0,{"averageRuntime":55.5}]}', true],
      ['{ $.errorCode = 400 }', '{"errorCode":400}', true],
      ['{ $.errorCode != 500 }', '{"errorCode":400}', true],
      ['{ $.errorCode != 500 }', '{"errorCode":500}', false],
      ['{ $.latency > +1000 }', '{"latency":1001}', true],
      ['{ $.latency < 0 }', '{"latency":-0.5}', true],
    ]);
  });

  test('a number that overflows a double compiles and evaluates without throwing', () => {
    const compiled = compileFilterPattern('{ $.a = 1e309 }');
    expect(typeof compiled.matchesMessage(a('1e309'))).toBe('boolean');
    expect(compiled.matchesMessage(a('1'))).toBe(false);
  });

  describe('numeric operator errors', () => {
    rejects([
      ['{ $.a > "0" }', 9, "'>' compares numbers"],
      ['{ $.a >= foo }', 10, "'>=' compares numbers"],
      ['{ $.a < 1* }', 9, "'<' compares numbers"],
      ['{ $.a < %1% }', 9, "'<' compares numbers"],
    ]);
  });

  describe('IS NULL, IS TRUE, IS FALSE', () => {
    matches([
      ['{ $.a IS NULL }', a('null'), true],
      ['{ $.a IS NULL }', '{}', false],
      ['{ $.a IS NULL }', a('"null"'), false],
      ['{ $.a IS NULL }', a('0'), false],
      ['{ $.a[*] IS NULL }', a('[null,2]'), true],
      ['{ $.a[*] IS NULL }', a('[1,2]'), false],
      ['{ $.SomeObject IS NULL }', '{"SomeObject":null}', true],
      ['{ $.a is null }', a('null'), true],
      ['{ $.a IS TRUE }', a('true'), true],
      ['{ $.a IS TRUE }', a('"true"'), false],
      ['{ $.a IS TRUE }', a('1'), false],
      ['{ $.a IS FALSE }', a('false'), true],
      ['{ $.a IS FALSE }', a('0'), false],
      ['{ $.a IS FALSE }', '{}', false],
      ['{ $.a = true }', a('"true"'), true],
      ['{ $.a = true }', a('true'), false],
      ['{ $.a = false }', a('false'), false],
    ]);
  });

  describe('NOT EXISTS matches only a missing key', () => {
    matches([
      ['{ $.a NOT EXISTS }', '{}', true],
      ['{ $.a NOT EXISTS }', a('null'), false],
      ['{ $.a NOT EXISTS }', a('1'), false],
      ['{ $.a NOT EXISTS }', a('{}'), false],
      ['{ $.a not exists }', '{}', true],
      ['{ $.a.b NOT EXISTS }', '{}', true],
      ['{ $.a.b NOT EXISTS }', a('"s"'), true],
      ['{ $.a.b NOT EXISTS }', a('1'), true],
      ['{ $.a.b NOT EXISTS }', a('true'), true],
      ['{ $.a.b NOT EXISTS }', a('null'), true],
      ['{ $.a.b NOT EXISTS }', a('[]'), true],
      ['{ $.a.b NOT EXISTS }', a('{}'), true],
      ['{ $.a.b NOT EXISTS }', a('{"b":null}'), false],
      ['{ $.a.b NOT EXISTS }', a('{"b":1}'), false],
      ['{ $.a[*].b NOT EXISTS }', a('[{"c":1}]'), true],
      ['{ $.a[*].b NOT EXISTS }', a('[{"c":1},{"b":1}]'), false],
    ]);
  });

  describe('special operator errors', () => {
    rejects([
      ['{ $.a IS NOT NULL }', 10, "Invalid character(s) in term 'NOT'"],
      ['{ $.a EXISTS }', 7, "Invalid character(s) in term 'EXISTS'"],
      ['{ $.a = null }', 9, "Invalid value 'null'"],
      ['{ $.a = NULL }', 9, "Invalid value 'null'"],
      ['{ $.a IS }', 10, 'Expected NULL, TRUE or FALSE after IS'],
      ['{ $.a IS MAYBE }', 10, "Invalid character(s) in term 'MAYBE'"],
      ['{ $.a NOT }', 11, 'Expected EXISTS after NOT'],
    ]);
  });

  describe('!= never matches a missing field, null, a boolean, an object or an array', () => {
    // [value, `!= 1` matches, `!= "foo"` matches]
    const values: [string, boolean, boolean][] = [
      ['"01"', true, true],
      ['"true"', true, true],
      ['"foo"', true, false],
      ['1e3', true, true],
      ['1', false, true],
      ['"1"', false, true],
      ['null', false, false],
      ['true', false, false],
      ['false', false, false],
      ['{}', false, false],
      ['[]', false, false],
    ];
    matches([
      ...values.map(([json, expected]): Case => ['{ $.a != 1 }', a(json), expected]),
      ['{ $.a != 1 }', '{}', false],
      ...values.map(([json, , expected]): Case => ['{ $.a != "foo" }', a(json), expected]),
      ['{ $.a != "foo" }', '{}', false],
    ]);
  });

  describe('&& binds tighter than ||; parentheses group', () => {
    const doc = JSON.stringify({
      user: { id: 1, email: 'John.Stiles@example.com' },
      users: [
        { id: 2, email: 'John.Doe@example.com' },
        { id: 3, email: 'Jane.Doe@example.com' },
      ],
      actions: ['GET', 'PUT', 'DELETE'],
      coordinates: [
        [0, 1, 2],
        [4, 5, 6],
        [7, 8, 9],
      ],
    });
    matches([
      ['{ $.a = 1 || $.b = 1 && $.c = 1 }', '{"a":1}', true],
      ['{ $.a = 1 || $.b = 1 && $.c = 1 }', '{"b":1}', false],
      ['{ $.a = 1 || $.b = 1 && $.c = 1 }', '{"b":1,"c":1}', true],
      ['{ ($.a = 1 || $.b = 1) && $.c = 1 }', '{"a":1}', false],
      ['{ ($.a = 1 || $.b = 1) && $.c = 1 }', '{"a":1,"c":1}', true],
      ['{ $.a = 1 && $.b = 1 || $.c = 1 }', '{"c":1}', true],
      ['{ ((($.a = 1))) }', '{"a":1}', true],
      ['{ $.foo = bar || $.foo = baz }', '{"foo":"baz"}', true],
      ['{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', doc, true],
      ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', doc, false],
      [
        '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
        doc,
        true,
      ],
      [
        '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }',
        doc,
        false,
      ],
    ]);
  });

  describe('logic errors', () => {
    rejects([
      ['{ $.a = 1 AND $.b = 2 }', 11, "Invalid character(s) in term 'AND'"],
      ['{ $.a = 1 OR $.b = 2 }', 11, "Invalid character(s) in term 'OR'"],
      ['{ $.a == 1 }', 7, "'==' is not an operator"],
      ['{ $.a = 1 & $.b = 2 }', 11, "Invalid character(s) in term '&'"],
      ['{ ($.a = 1 }', 3, "Unbalanced parentheses: missing ')'"],
      ['{ $.a = 1) }', 10, "Unbalanced parentheses: unexpected ')'"],
      ['{ () }', 4, 'Expected a condition'],
      ['{ }', 3, 'Expected a condition'],
      ['{ $.a = 1 && }', 14, 'Expected a condition'],
      ['{ $.a = }', 9, "Expected a value after '='"],
      ['{ $.a "x" }', 7, "Expected an operator after '$.a'"],
      ['{ $.a = "x }', 9, 'Unbalanced quotes'],
      ['{ $.a = foo@bar }', 12, "Invalid character(s) in term '@'"],
      [`{ ${'('.repeat(200)}$.a = 1${')'.repeat(200)} }`, 103, 'Too many nested parentheses'],
    ]);
  });

  describe('a message that is not a JSON object never matches a JSON pattern, even NOT EXISTS', () => {
    matches([
      ['{ $.a NOT EXISTS }', 'plain text', false],
      ['{ $.a NOT EXISTS }', '[1,2]', false],
      ['{ $.a NOT EXISTS }', '{"a":2} trailing', false],
      ['{ $.a NOT EXISTS }', '', false],
      ['{ $.a NOT EXISTS }', '"a string"', false],
      ['{ $.a NOT EXISTS }', '42', false],
      ['{ $.a NOT EXISTS }', 'null', false],
      ['{ $.a NOT EXISTS }', '{"b":1', false],
      ['{ $.a NOT EXISTS }', '{}', true],
      ['{ $.a NOT EXISTS }', '  {"b":1}\n', true],
    ]);
  });

  describe('regex values', () => {
    matches([
      ['{ $.eventType = %Trail% }', '{"eventType":"UpdateTrail"}', true],
      ['{ $.eventType = %Trail% }', '{"eventType":"Update"}', false],
      ['{ $.eventType != %Trail% }', '{"eventType":"Update"}', true],
      ['{ $.eventType != %Trail% }', '{}', false],
      ['{ $.arrayKey[*] = %val.{2}% }', '{"arrayKey":["value","another value"]}', true],
      ['{ $.arrayKey[*] = %val.{2}% }', '{"arrayKey":["val"]}', false],
      ['{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }', '{"sourceIPAddress":"111.111.111.111"}', true],
      ['{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }', '{"sourceIPAddress":"111.111.111.2"}', false],
      ['{ $.a = %^4\\d\\d$% }', a('404'), true],
      ['{ $.a = %x% && $.b = %y% }', '{"a":"x","b":"y"}', true],
    ]);
  });

  describe('selectors read own properties only', () => {
    matches([
      ['{ $.constructor NOT EXISTS }', '{}', true],
      ['{ $.constructor = * }', '{}', false],
      ['{ $.__proto__ NOT EXISTS }', '{}', true],
      ['{ $.__proto__ = * }', '{}', false],
      ['{ $.__proto__.x = 1 }', '{}', false],
      ['{ $.toString = * }', '{}', false],
      ['{ $.hasOwnProperty NOT EXISTS }', '{}', true],
      ['{ $.__proto__ = 1 }', '{"__proto__":1}', true],
      ['{ $.constructor = "x" }', '{"constructor":"x"}', true],
      ['{ $.a.constructor NOT EXISTS }', '{"a":{}}', true],
      ['{ $.a.length = 2 }', '{"a":[1,2]}', false],
      ['{ $.a.length = 2 }', '{"a":"xy"}', false],
      ['{ $.* = * }', '{}', false],
    ]);
  });

  test('matchesValue ignores inherited properties and non-JSON values', () => {
    const compiled = compileFilterPattern('{ $.errorCode = "AccessDenied*" }');
    expect(compiled.matchesValue(Object.create({ errorCode: 'AccessDenied' }))).toBe(false);
    expect(compiled.matchesValue({ errorCode: 'AccessDenied' })).toBe(true);
    expect(compiled.matchesValue(null)).toBe(false);
    expect(compiled.matchesValue([{ errorCode: 'AccessDenied' }])).toBe(false);
    expect(compiled.matchesValue(42)).toBe(false);
    expect(compiled.matchesValue(undefined)).toBe(false);
    expect(compiled.matchesValue('{"errorCode":"AccessDeniedException"}')).toBe(true);
    const missing = compileFilterPattern('{ $.a NOT EXISTS }');
    expect(missing.matchesValue({ a: undefined })).toBe(true);
    expect(missing.matchesValue({ a: () => 1 })).toBe(true);
  });
});

describe('§4.4 space-delimited patterns', () => {
  const apache = (ip: string, request: string, status: string, bytes: string) =>
    `${ip} - frank [10/Oct/2000:13:25:15 -0700] "GET ${request} HTTP/1.0" ${status} ${bytes}`;
  const example = '[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]';

  describe('the AWS example', () => {
    matches([
      [example, apache('127.0.0.1', '/index.html', '404', '1534'), true],
      [example, apache('127.0.0.1', '/index.html', '200', '1534'), false],
      [example, apache('127.0.0.0', '/index.html', '404', '1534'), false],
      [example, apache('127.0.0.1', '/apache_pb.gif', '404', '1534'), false],
      ['[..., request=*.html*, status_code=4*,]', apache('127.0.0.1', '/index.html', '404', '1534'), true],
    ]);
  });

  describe('fields, ellipsis and conditions from the AWS doc', () => {
    const line = apache('127.0.0.1', '/apache_pb.gif', '200', '1534');
    matches([
      ['[ip, user, username, timestamp, request, status_code, bytes]', line, true],
      ['[ip, user, username, timestamp, request, status_code, bytes > 1000]', line, true],
      ['[ip, user, username, timestamp, request, status_code, bytes > 2000]', line, false],
      ['[ip, user, username, timestamp, request, status_code = 200, bytes]', line, true],
      ['[ip, user, username, timestamp, request, status_code = 4*, bytes]', line, false],
      ['[ip, user, username, timestamp, request = *gif*, status_code, bytes]', line, true],
      ['[ip, user, username, timestamp = "10/Oct/2000:13:25:15 -0700", request, status_code, bytes]', line, true],
      ['[ip, user, username, timestamp, request = "GET /apache_pb.gif HTTP/1.0", status_code, bytes]', line, true],
      ['[..., status_code, bytes]', line, true],
      ['[..., status_code = 200, bytes = 1534]', line, true],
      ['[ip, user, ..., status_code, bytes]', line, true],
      ['[ip = 127.0.0.1, user, ...]', line, true],
      ['[ip = 10.*, user, ...]', line, false],
      ['[ip, user, username, timestamp, request, status_code = 2* && status_code != 204, bytes]', line, true],
      ['[ip, user, username, timestamp, request, status_code = 2* && status_code != 200, bytes]', line, false],
      ['[ip, user, username, timestamp, request, status_code = 5* || status_code = 2*, bytes]', line, true],
    ]);
  });

  describe('field splitting', () => {
    matches([
      ['[a, b = x]', '1 \t  x', true],
      ['[a = 1, b = 2, c = 3]', '  1 2\t3  ', true],
      ['[a, b = "GET /x HTTP/1.0", c]', '1 "GET /x HTTP/1.0" 3', true],
      ['[a, b = "x y", c]', '1 [x y] 3', true],
      // The last named field absorbs the rest of the line.
      ['[a, b]', 'x y z', true],
      ['[a, b = "y z"]', 'x y z', true],
      ['[a, b = y]', 'x y z', false],
      ['[a, b]', 'x', false],
      ['[a]', '', false],
      ['[a = "x y"]', '"x y"', true],
    ]);
  });

  describe('[] and [...] match everything', () => {
    matches([
      ['[]', 'anything at all', true],
      ['[]', '', true],
      ['[...]', 'a b c', true],
      ['[...]', '', true],
    ]);
  });

  describe('position indicators and OR between conditions on a field', () => {
    matches([
      ['[w1=ERROR, w2]', 'ERROR message', true],
      ['[w1=ERROR, w2]', 'WARN message', false],
      ['[w1=ERROR, w2]', 'ERROR WARN message', true],
      ['[w1=ERROR || w1=WARN, w2]', 'ERROR message', true],
      ['[w1=ERROR || w1=WARN, w2]', 'WARN message', true],
      ['[w1=ERROR || w1=WARN, w2]', 'INFO message', false],
      ['[w1!=ERROR && w1!=WARN, w2]', 'INFO message', true],
      ['[w1!=ERROR && w1!=WARN, w2]', 'ERROR message', false],
      ['[w1 = %^ERR%, w2]', 'ERROR message', true],
    ]);
  });

  describe('numeric conditions on text fields', () => {
    matches([
      ['[a, b >= 10]', 'x 10', true],
      ['[a, b >= 10]', 'x 9', false],
      ['[a, b >= 10]', 'x ten', false],
      ['[a, b < 1e3]', 'x 999.5', true],
      ['[a, b = 10]', 'x 10', true],
      ['[a, b = 10]', 'x 10.0', true],
      ['[a, b != 10]', 'x 11', true],
    ]);
  });

  describe('invalid space-delimited patterns', () => {
    rejects([
      ['[a, b', 6, "If a filter pattern starts with '[' it must end with ']'"],
      ['[a, b] x', 8, "If a filter pattern starts with '[' it must end with ']'"],
      ['[..., a, ...]', 10, "Duplicate field '...'"],
      // One condition names one field (capture: `[a=ERROR || b=one, b]` is invalid).
      ['[a, b = 1 && c = 2]', 14, 'Multiple variables used in a single filter. Var1 : b, Var2 : c'],
      ['[a, status_code = 4* && bytes > 1000, bytes]', 25, 'Var1 : status_code, Var2 : bytes'],
      ['[a, a]', 5, "Duplicate field 'a'"],
      ['[a.b, c]', 2, "Invalid character(s) in term 'a.b'"],
      ['[a b, c]', 4, "Expected an operator after 'a'"],
      ['[a IS NULL]', 4, "Expected an operator after 'a'"],
      ['[a > x]', 6, "'>' compares numbers"],
      ['[a = %x%, b = %y%, c = %z%]', 24, 'maximum of 2 regular expressions'],
    ]);
  });
});

describe('§4.5 regex subset', () => {
  describe('AWS examples', () => {
    matches([
      ['%^[hc]at%', 'hat', true],
      ['%^[hc]at%', 'cat food', true],
      ['%^[hc]at%', 'a hat', false],
      ['%[hc]at$%', 'a hat', true],
      ['%[hc]at$%', 'hat!', false],
      ['%colou?r%', 'color', true],
      ['%colou?r%', 'colour', true],
      ['%colou?r%', 'colr', false],
      ['%a{3,5}%', 'aaa', true],
      ['%a{3,5}%', 'xaax', false],
      ['%^a{3,5}$%', 'aaaaaa', false],
      ['%^a{3}$%', 'aaa', true],
      ['%^a{3,}$%', 'aaaaaaa', true],
      ['%\\[.\\]%', '[x]', true],
      ['%\\[.\\]%', '[]', false],
      ['%10\\.10\\.0\\.1%', 'from 10.10.0.1', true],
      ['%10\\.10\\.0\\.1%', 'from 10x10.0.1', false],
      ['%[Ee]rror|[Ff]ail%', 'Error', true],
      ['%[Ee]rror|[Ff]ail%', 'fail', true],
      ['%[Ee]rror|[Ff]ail%', 'ok', false],
      ['%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%', 'ip 192.168.0.1', true],
      ['%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%', 'ip 192.168.0', false],
    ]);
  });

  describe('classes and escapes', () => {
    matches([
      ['%^\\d\\D$%', '1a', true],
      ['%^\\d\\D$%', '11', false],
      ['%^\\w\\W$%', 'a-', true],
      ['%^\\w\\W$%', 'a_', false],
      ['%^a\\sb\\S$%', 'a\tbc', true],
      ['%^a\\sb\\S$%', 'a b ', false],
      ['%\\x41%', 'A', true],
      ['%\\x41%', 'a', false],
      ['%[^a-c]%', 'abc', false],
      ['%[^a-c]%', 'abcd', true],
      ['%[\\d_]%', 'x_', true],
      ['%^.$%', '\n', false],
      ['%^.$%', 'é', true],
      ['%^\\W$%', 'é', true],
      ['%a*?b%', 'aab', true],
      ['%x]%', 'x]', true],
      ['%a}%', 'a}', true],
      ['%^$%', '', true],
      ['%^$%', 'x', false],
      ['%a|%', 'anything', true],
      ['%a^b%', 'a^b', false],
      ['%:_#=@/;,-%', 'x:_#=@/;,-y', true],
    ]);
  });

  describe('invalid regexes', () => {
    rejects([
      ['%something!%', 11, "Invalid character(s) in term '%something!'"],
      ['%(a)%', 2, "Invalid character(s) in term '%('"],
      ['%a b%', 3, "Invalid character(s) in term '%a '"],
      ['%é%', 2, "Invalid character(s) in term '%é'"],
      ['%[z-a]%', 3, 'Failed to compile regular expression.'],
      ['%a++%', 4, 'Failed to compile regular expression.'],
      ['%a**%', 4, 'Failed to compile regular expression.'],
      ['%*a%', 2, 'Failed to compile regular expression.'],
      ['%^*%', 3, 'Failed to compile regular expression.'],
      ['%a{2,1}%', 3, 'Failed to compile regular expression.'],
      ['%a{1001}%', 3, 'Failed to compile regular expression.'],
      ['%a{,3}%', 3, 'Failed to compile regular expression.'],
      ['%[]%', 2, 'Failed to compile regular expression.'],
      ['%[abc%', 2, 'Failed to compile regular expression.'],
      ['%\\q%', 2, 'Failed to compile regular expression.'],
      ['%\\x4%', 2, 'Failed to compile regular expression.'],
      ['%a\\%', 3, 'Failed to compile regular expression.'],
      ['%%', 1, "Invalid character(s) in term '%%'"],
      ['{ $.a = %[z-a]% }', 11, 'Failed to compile regular expression.'],
      [
        '{ $.a = %a% || $.b = %b% || $.c = %c% }',
        35,
        'Your input has exceeded the maximum of 2 regular expressions per filter pattern.',
      ],
    ]);
  });
});

// ---- §5 CIS / Security Hub patterns ------------------------------------------------------------------

describe('§5 CIS patterns', () => {
  test('are verbatim copies of the published patterns (docs/facts/cis-patterns.json, with their sources)', () => {
    const facts = JSON.parse(readFileSync(join(__dirname, '..', 'docs', 'facts', 'cis-patterns.json'), 'utf8')) as {
      patterns: Array<{ id: string; pattern: string; source: string }>;
    };
    expect(CIS_PATTERNS.map(({ id, pattern }) => ({ id, pattern }))).toEqual(
      facts.patterns.map(({ id, pattern }) => ({ id, pattern })),
    );
    for (const fact of facts.patterns) expect(fact.source).toMatch(/^https:\/\//);
  });

  test('all compile as JSON patterns, and so does the default', () => {
    for (const { pattern } of CIS_PATTERNS) expect(compileFilterPattern(pattern).kind).toBe('json');
    expect(compileFilterPattern(DEFAULT_UNAUTHORIZED_PATTERN).kind).toBe('json');
    expect(CIS_PATTERNS.filter(({ id }) => id.startsWith('CloudWatch.'))).toHaveLength(14);
  });

  const call = (eventName: string, eventSource: string, extra: Record<string, unknown> = {}) => ({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', userName: 'alice' },
    eventSource,
    eventName,
    sourceIPAddress: '198.51.100.7',
    eventType: 'AwsApiCall',
    ...extra,
  });
  const accessDenied = fixture('aws/cloudtrail-access-denied.json');
  const unauthorizedOperation = fixture('aws/cloudtrail-ec2-unauthorized-operation.json');
  const success = fixture('aws/cloudtrail-api-call-success.json');
  const rootWithMfa = fixture('aws/cloudtrail-console-login-root-mfa.json'); // "MFAUsed": "YES"
  const iamUserNoMfa = fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json');
  const iamUserWithMfa = fixture('aws/cloudtrail-console-login-ipv6.json'); // "MFAUsed": "Yes"
  const federatedNoMfaField = fixture('aws/cloudtrail-console-login-federated-user.json');
  const iamUserUpperYes = { ...(iamUserWithMfa as object), additionalEventData: { MFAUsed: 'YES' } };
  const iamUserMissingMfa = {
    ...(iamUserNoMfa as object),
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/' },
  };
  const iamUserNullAdditional = { ...(iamUserNoMfa as object), additionalEventData: null };

  /** For every pattern: [record, expected, why]. */
  const vectors: Record<string, [unknown, boolean, string][]> = {
    'CloudWatch.1': [
      [rootWithMfa, true, 'root console sign-in'],
      [call('CreateBucket', 's3.amazonaws.com', { userIdentity: { type: 'Root' } }), true, 'root API call'],
      [
        call('CreateBucket', 's3.amazonaws.com', {
          userIdentity: { type: 'Root', invokedBy: 'support.amazonaws.com' },
        }),
        false,
        'invoked by a service',
      ],
      [
        call('CreateBucket', 's3.amazonaws.com', { userIdentity: { type: 'Root' }, eventType: 'AwsServiceEvent' }),
        false,
        'a service event',
      ],
      [success, false, 'an assumed role'],
    ],
    'CloudWatch.2': [
      [accessDenied, true, 'AccessDenied'],
      [unauthorizedOperation, true, 'Client.UnauthorizedOperation'],
      [call('GetObject', 's3.amazonaws.com', { errorCode: 'AccessDeniedException' }), true, 'AccessDeniedException'],
      [call('GetObject', 's3.amazonaws.com', { errorCode: 'NoSuchKey' }), false, 'another error'],
      [success, false, 'no error'],
    ],
    'CloudWatch.3': [
      [iamUserNoMfa, true, 'IAM user without MFA'],
      [iamUserUpperYes, true, '"YES" is not "Yes": AWS matches it too'],
      [iamUserWithMfa, false, 'IAM user with MFA'],
      [iamUserMissingMfa, false, 'no MFAUsed field: != never matches a missing field'],
      [iamUserNullAdditional, false, 'additionalEventData is null'],
      [rootWithMfa, false, 'root, not an IAM user'],
    ],
    'CloudWatch.4': [
      [call('PutUserPolicy', 'iam.amazonaws.com'), true, 'PutUserPolicy'],
      [call('DetachGroupPolicy', 'iam.amazonaws.com'), true, 'DetachGroupPolicy'],
      [call('DeletePolicy', 'autoscaling.amazonaws.com'), true, 'Auto Scaling DeletePolicy overlaps'],
      [call('GetPolicy', 'iam.amazonaws.com'), false, 'a read'],
    ],
    'CloudWatch.5': [
      [call('StopLogging', 'cloudtrail.amazonaws.com'), true, 'StopLogging'],
      [call('LookupEvents', 'cloudtrail.amazonaws.com'), false, 'a read'],
    ],
    'CloudWatch.6': [
      [call('ConsoleLogin', 'signin.amazonaws.com', { errorMessage: 'Failed authentication' }), true, 'failed sign-in'],
      [iamUserNoMfa, false, 'successful sign-in'],
    ],
    'CloudWatch.7': [
      [call('ScheduleKeyDeletion', 'kms.amazonaws.com'), true, 'ScheduleKeyDeletion'],
      [call('DisableKey', 'kms.amazonaws.com'), true, 'DisableKey'],
      [call('DisableKey', 'other.amazonaws.com'), false, 'another service'],
      [call('Decrypt', 'kms.amazonaws.com'), false, 'a KMS read'],
    ],
    'CloudWatch.8': [
      [call('PutBucketPolicy', 's3.amazonaws.com'), true, 'PutBucketPolicy'],
      [call('PutBucketPolicy', 'other.amazonaws.com'), false, 'another service'],
      [call('GetBucketPolicy', 's3.amazonaws.com'), false, 'a read'],
    ],
    'CloudWatch.9': [
      [call('StopConfigurationRecorder', 'config.amazonaws.com'), true, 'StopConfigurationRecorder'],
      [call('DescribeConfigRules', 'config.amazonaws.com'), false, 'a read'],
    ],
    'CloudWatch.10': [
      [call('AuthorizeSecurityGroupIngress', 'ec2.amazonaws.com'), true, 'ingress rule added'],
      [call('DescribeSecurityGroups', 'ec2.amazonaws.com'), false, 'a read'],
    ],
    'CloudWatch.11': [
      [call('ReplaceNetworkAclEntry', 'ec2.amazonaws.com'), true, 'NACL entry replaced'],
      [call('DescribeNetworkAcls', 'ec2.amazonaws.com'), false, 'a read'],
    ],
    'CloudWatch.12': [
      [call('AttachInternetGateway', 'ec2.amazonaws.com'), true, 'gateway attached'],
      [call('DescribeInternetGateways', 'ec2.amazonaws.com'), false, 'a read'],
    ],
    'CloudWatch.13': [
      [call('CreateRoute', 'ec2.amazonaws.com'), true, 'route created'],
      [call('DescribeRouteTables', 'ec2.amazonaws.com'), false, 'a read'],
    ],
    'CloudWatch.14': [
      [call('ModifyVpcAttribute', 'ec2.amazonaws.com'), true, 'VPC attribute changed'],
      [call('DescribeVpcs', 'ec2.amazonaws.com'), false, 'a read'],
    ],
    'CIS.4.1': [
      [accessDenied, true, 'AccessDenied'],
      [
        call('GetObject', 's3.amazonaws.com', {
          errorCode: 'AccessDenied',
          sourceIPAddress: 'delivery.logs.amazonaws.com',
        }),
        false,
        'log delivery excluded',
      ],
      [call('HeadBucket', 's3.amazonaws.com', { errorCode: 'AccessDenied' }), false, 'HeadBucket excluded'],
      [
        call('HeadBucket', 'ec2.amazonaws.com', { errorCode: 'Client.UnauthorizedOperation' }),
        true,
        'exclusions bind to the AccessDenied* branch only',
      ],
      [success, false, 'no error'],
    ],
    'CIS.4.2': [
      [iamUserNoMfa, true, 'no MFA'],
      [rootWithMfa, true, '"YES" is not "Yes": a false positive AWS shares'],
      [iamUserWithMfa, false, 'MFA used'],
      [federatedNoMfaField, false, 'no MFAUsed field'],
    ],
    'CIS.4.15': [
      [call('CreateAccount', 'organizations.amazonaws.com'), true, 'CreateAccount'],
      [call('CreateAccount', 'other.amazonaws.com'), false, 'another service'],
      [call('ListAccounts', 'organizations.amazonaws.com'), false, 'a read'],
    ],
  };

  test('every pattern has a case that fires and one that does not', () => {
    for (const { id } of CIS_PATTERNS) {
      const cases = vectors[id] ?? [];
      expect({ id, fires: cases.some(([, e]) => e), quiet: cases.some(([, e]) => !e) }).toEqual({
        id,
        fires: true,
        quiet: true,
      });
    }
  });

  const rows = CIS_PATTERNS.flatMap(({ id, pattern }) =>
    (vectors[id] ?? []).map(([record, expected, why]) => [id, why, pattern, record, expected] as const),
  );
  test.each(rows)('%s: %s', (_id, _why, pattern, record, expected) => {
    const compiled = compileFilterPattern(pattern);
    expect(compiled.matchesValue(record)).toBe(expected);
    expect(compiled.matchesMessage(JSON.stringify(record))).toBe(expected);
  });

  test('the default unauthorized pattern fires like CloudWatch.2', () => {
    const compiled = compileFilterPattern(DEFAULT_UNAUTHORIZED_PATTERN);
    for (const [record, expected] of vectors['CloudWatch.2']!) expect(compiled.matchesValue(record)).toBe(expected);
    expect(compiled.matchesValue({ errorCode: 'VpceAccessDenied' })).toBe(false);
    expect(compiled.matchesValue({ errorCode: 'UnauthorizedOperation' })).toBe(true);
  });
});

describe('FilterPatternError', () => {
  test('is a TrailguardError with a literal name, a 1-based column and the pattern', () => {
    let thrown: unknown;
    try {
      compileFilterPattern('ERR*');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TrailguardError);
    expect(thrown).toMatchObject({ name: 'FilterPatternError', column: 4, pattern: 'ERR*' });
  });

  test('a pattern that is not a string is rejected the same way', () => {
    expect(() => compileFilterPattern(42 as unknown as string)).toThrow(FilterPatternError);
  });
});

describe('matchLines (trailguard match)', () => {
  test('prints true or false for every line, JSON or not', async () => {
    const out: string[] = [];
    await matchLines(
      '{ $.errorCode = "AccessDenied*" }',
      ['{"errorCode":"AccessDenied"}', 'plain text', '{"errorCode":"x"}', ''],
      (line) => out.push(line),
    );
    expect(out).toEqual(['true', 'false', 'false', 'false']);
  });

  test('reads async iterables and drops a trailing carriage return', async () => {
    async function* lines() {
      yield 'ERROR here\r';
      yield 'fine';
    }
    const out: string[] = [];
    await matchLines('"here"', lines(), (line) => out.push(line));
    expect(out).toEqual(['true', 'false']);
  });

  test('a bad pattern rejects with FilterPatternError before reading any input', async () => {
    let read = false;
    const lines = {
      *[Symbol.iterator]() {
        read = true;
        yield 'x';
      },
    };
    const out: string[] = [];
    await expect(matchLines('{ $.a == 1 }', lines, (line) => out.push(line))).rejects.toBeInstanceOf(
      FilterPatternError,
    );
    expect(read).toBe(false);
    expect(out).toEqual([]);
  });
});
