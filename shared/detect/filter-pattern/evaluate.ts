/**
 * Turns a parsed pattern into matcher closures. Everything that can be decided from the pattern alone
 * (paths, numbers, globs, regex programs, operator choice) is decided here, once; the closures then
 * only walk the record, compare and return. Nothing here allocates per evaluation except where a
 * pattern kind needs text (JSON.parse of a message, JSON.stringify of a value for term patterns,
 * field splitting for space-delimited patterns).
 *
 * Records are attacker-influenced, so selectors read own properties only: `$.constructor`,
 * `$.__proto__` and `$.toString` are ordinary keys, missing unless the record has them.
 */
import type {
  Condition,
  JsonPatternAst,
  Operand,
  PatternAst,
  SelectorStep,
  SpaceDelimitedPatternAst,
  TermsPatternAst,
  ValueLiteral,
} from './ast';
import { compareDecimals, type Decimal, javaDoubleText, parseDecimal } from './decimal';
import { compileGlob } from './glob';
import { NumberLiteral, parseJsonKeepingNumbers, serializeJson } from './json-text';
import { parseNumberLiteral } from './number-literal';
import { compileRegexSubset } from './regex-subset';

export interface Matchers {
  matchesMessage(message: string): boolean;
  matchesValue(value: unknown): boolean;
}

type JsonObject = { readonly [key: string]: unknown };
/** A test on one selected value; `undefined` means "missing". */
type ValueTest = (value: unknown) => boolean;
type Resolve = (value: unknown) => unknown;
type RecordTest = (record: JsonObject) => boolean;

const hasOwn = Object.hasOwn;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON has no functions or symbols; as in JSON.stringify, a property holding one counts as absent. */
function isMissing(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

export function compileAst(ast: PatternAst): Matchers {
  switch (ast.kind) {
    case 'json':
      return compileJsonPattern(ast);
    case 'space-delimited':
      return withSerializedValues(compileSpaceDelimitedPattern(ast));
    case 'terms':
      return withSerializedValues(compileTermsPattern(ast));
  }
}

// ---- JSON values ------------------------------------------------------------------------------------

/**
 * Set by a value test that met a number from JSON.parse whose literal could change the answer (an
 * integer-valued number compared as text: `1` or `1.0`?; an integer past 2^53 or an overflow compared as
 * a number). matchesMessage then evaluates again over the literals. Never read across evaluations.
 */
let literalNeeded = false;

type JsonNumber = number | NumberLiteral;

/**
 * A JSON number: a literal, or a plain number. NaN is none (JSON has no NaN); ±Infinity is what JSON.parse
 * makes of a literal that overflows (`1e309`), so it stands for that literal.
 */
function isJsonNumber(value: unknown): value is JsonNumber {
  if (typeof value === 'number') return !Number.isNaN(value);
  return typeof value === 'object' && value instanceof NumberLiteral;
}

/**
 * The text CloudWatch Logs compares a JSON number as (quoted values, `*` globs, regexes): an integer as
 * written, any other number as Java prints the double it parses to (`1.0`, `1000.0` for `1e3`, `0.0` for
 * `1e-999`, `Infinity` for `1e309`). A plain number stands for what JSON.stringify would write.
 */
function numberText(value: JsonNumber): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) && Number.isFinite(value)) return javaDoubleText(value);
    literalNeeded = true;
    return Number.isFinite(value) && Math.abs(value) < 1e21 ? String(value) : javaDoubleText(value);
  }
  if (value.integer()) return value.text() === '-0' ? '0' : value.text();
  return javaDoubleText(value.value());
}

/** A number written in a pattern, exact; `double` is usable for comparisons when `exact` says so. */
interface PatternNumber {
  readonly decimal: Decimal;
  readonly double: number;
  /** The double's shortest decimal is the literal: comparing doubles gives the exact answer. */
  readonly exact: boolean;
}

function patternNumber(text: string): PatternNumber | undefined {
  if (Number.isNaN(parseNumberLiteral(text))) return undefined;
  const decimal = parseDecimal(text)!;
  const double = Number(text);
  const exact = Number.isFinite(double) && compareDecimals(decimal, parseDecimal(String(double))!) === 0;
  return { decimal, double, exact };
}

/**
 * Record number against pattern number: negative, zero, positive, or NaN when AWS has no number to
 * compare (a literal that overflowed the double it becomes). Integer literals compare exactly; other
 * literals as the double they parse to (so `1e-999` is zero), each as its shortest decimal.
 */
function compareNumber(value: JsonNumber, pattern: PatternNumber): number {
  let double: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) && (Number.isInteger(value) || !Number.isFinite(value))) literalNeeded = true;
    double = value;
  } else if (value.integer()) {
    return compareDecimals(parseDecimal(value.text())!, pattern.decimal);
  } else {
    double = value.value();
  }
  if (!Number.isFinite(double)) return Number.NaN;
  if (pattern.exact) return double < pattern.double ? -1 : double > pattern.double ? 1 : 0;
  return compareDecimals(parseDecimal(String(double))!, pattern.decimal);
}

/**
 * `= value` on a JSON value, per AWS's captures: a string compares as text with the value as written (so
 * `= 1` matches `"1"` but not `"01"`, `= +1` not `"1"`); a number compares as a number with an unquoted
 * number (`= 1.0` matches `1` and `1e0`), and as its text with anything else (`= "1"` matches `1`, not
 * `1.0`); booleans, null, objects and arrays never match (`= true` is the string "true").
 */
function equalsTest(value: ValueLiteral): ValueTest {
  if (value.type === 'regex') {
    const regex = compileRegexSubset(value.source);
    return (v) => (typeof v === 'string' ? regex.test(v) : isJsonNumber(v) ? regex.test(numberText(v)) : false);
  }
  const { text } = value;
  if (/^\*+$/.test(text)) return (v) => typeof v === 'string' || isJsonNumber(v);
  if (text.includes('*')) {
    const glob = compileGlob(text);
    return (v) => (typeof v === 'string' ? glob(v) : isJsonNumber(v) ? glob(numberText(v)) : false);
  }
  const number = value.quoted ? undefined : patternNumber(text);
  if (number) {
    const order = orderTest(number);
    return (v) => (typeof v === 'string' ? v === text : order(v) === 0);
  }
  const textEquals = numberTextTest(text);
  return (v) => (typeof v === 'string' ? v === text : isJsonNumber(v) && textEquals(v));
}

/** `numberText(v) === text`, without building the text (or needing the literal) where the answer is plain. */
function numberTextTest(text: string): (value: JsonNumber) => boolean {
  // Every number prints as a digit, '-' or 'Infinity' first: other texts never equal one.
  if (!/^-?[\dI]/.test(text)) return () => false;
  // A number's text reads back as the double JSON.parse made of its literal: a number that is not
  // Number(text) prints otherwise, whatever its literal was.
  const target = Number(text);
  return (v) => (typeof v === 'number' && v !== target ? false : numberText(v) === text);
}

/** The comparison on one JSON value; `!=` needs a string or a comparable number (never missing/null/bool). */
function jsonValueTest(operator: string, value: ValueLiteral): ValueTest {
  if (operator === '=') return equalsTest(value);
  if (operator === '!=') {
    const number =
      value.type === 'text' && !value.quoted && !value.text.includes('*') ? patternNumber(value.text) : undefined;
    if (number) {
      const { text } = value as { text: string };
      const order = orderTest(number);
      return (v) => {
        if (typeof v === 'string') return v !== text;
        const o = order(v);
        return !Number.isNaN(o) && o !== 0;
      };
    }
    const equals = equalsTest(value);
    return (v) => (typeof v === 'string' || isJsonNumber(v)) && !equals(v);
  }
  const n = patternNumber(value.type === 'text' ? value.text : '0')!;
  const order = orderTest(n);
  switch (operator) {
    case '<':
      return (v) => order(v) < 0;
    case '<=':
      return (v) => order(v) <= 0;
    case '>':
      return (v) => order(v) > 0;
    default:
      return (v) => order(v) >= 0;
  }
}

/** Below 2^53 in magnitude a number from JSON.parse is what its literal says: no literal needed. */
const PLAIN = 2 ** 53;

/** compareNumber on any value: NaN for what is not a comparable number. */
function orderTest(n: PatternNumber): (value: unknown) => number {
  if (n.exact) {
    const d = n.double;
    return (v) => {
      if (typeof v === 'number' && v < PLAIN && v > -PLAIN) return v < d ? -1 : v > d ? 1 : 0;
      return isJsonNumber(v) ? compareNumber(v, n) : Number.NaN;
    };
  }
  return (v) => (isJsonNumber(v) ? compareNumber(v, n) : Number.NaN);
}

// ---- JSON patterns -----------------------------------------------------------------------------------

/** `$.a.b[0]` as a resolver: the value at that path, or undefined. Own properties only. */
function compilePath(steps: readonly SelectorStep[]): Resolve {
  const path = steps.map((step) => (step.type === 'key' ? step.key : step.type === 'index' ? step.index : NaN));
  if (path.length === 0) return (v) => v;
  if (path.every((step) => typeof step === 'string')) {
    const keys = path as string[];
    if (keys.length === 1) {
      const k0 = keys[0]!;
      return (v) => (isObject(v) && hasOwn(v, k0) ? v[k0] : undefined);
    }
    if (keys.length === 2) {
      const [k0, k1] = keys as [string, string];
      return (v) => {
        if (!isObject(v) || !hasOwn(v, k0)) return undefined;
        const a = v[k0];
        return isObject(a) && hasOwn(a, k1) ? a[k1] : undefined;
      };
    }
  }
  return (value) => {
    let v = value;
    for (let i = 0; i < path.length; i++) {
      const step = path[i]!;
      if (typeof step === 'string') {
        if (!isObject(v) || !hasOwn(v, step)) return undefined;
        v = v[step];
      } else {
        if (!Array.isArray(v) || !hasOwn(v, step)) return undefined;
        v = v[step];
      }
    }
    return v;
  };
}

/**
 * Applies `test` to what the selector selects. With a wildcard (`[*]` or `.*`, both accepted on arrays and
 * objects) the selector selects every child, and the condition holds if it holds for any of them.
 */
function compileSelection(steps: readonly SelectorStep[], test: ValueTest): RecordTest {
  const wildcard = steps.findIndex((step) => step.type === 'wildcard');
  if (wildcard === -1) {
    const resolve = compilePath(steps);
    return (record) => test(resolve(record));
  }
  const container = compilePath(steps.slice(0, wildcard));
  const rest = compilePath(steps.slice(wildcard + 1));
  return (record) => {
    const children = container(record);
    if (Array.isArray(children)) {
      for (let i = 0; i < children.length; i++) if (hasOwn(children, i) && test(rest(children[i]))) return true;
    } else if (isObject(children)) {
      for (const key in children) if (hasOwn(children, key) && test(rest(children[key]))) return true;
    }
    return false;
  };
}

/**
 * `!=` through a wildcard holds when the wildcard's container exists and none of its children equals the
 * value (captures: `$.a[*] != 2` matches `{"a":[{"b":1}]}` and `{"a":null}`, not `[1,2]` or `{}`).
 */
function compileNoneSelected(steps: readonly SelectorStep[], equals: ValueTest): RecordTest {
  const wildcard = steps.findIndex((step) => step.type === 'wildcard');
  const container = compilePath(steps.slice(0, wildcard));
  const rest = compilePath(steps.slice(wildcard + 1));
  return (record) => {
    const children = container(record);
    if (isMissing(children)) return false;
    if (Array.isArray(children)) {
      for (let i = 0; i < children.length; i++) if (hasOwn(children, i) && equals(rest(children[i]))) return false;
    } else if (isObject(children)) {
      for (const key in children) if (hasOwn(children, key) && equals(rest(children[key]))) return false;
    }
    return true;
  };
}

/**
 * `IS NULL` on a selector without wildcard holds for null and for an array holding null (captures:
 * `$.a IS NULL` matches `[null,2]` and `[null]`, not `[[null]]`).
 */
function isNull(value: unknown): boolean {
  return value === null || (Array.isArray(value) && value.includes(null));
}

/** `NOT EXISTS`: nothing is selected (a missing key, or a path through a non-object). */
function compileNotExists(steps: readonly SelectorStep[]): RecordTest {
  const exists = compileSelection(steps, (v) => !isMissing(v));
  return (record) => !exists(record);
}

function compileJsonCondition(condition: Condition): RecordTest {
  switch (condition.type) {
    case 'and':
      return compileJunction('and', condition.operands.map(compileJsonCondition));
    case 'or':
      return compileJunction('or', compileAlternatives(condition.operands));
    case 'not-exists':
      return compileNotExists(selectorSteps(condition.operand));
    case 'is': {
      if (condition.what === 'null') {
        // Through a wildcard each child must be null itself (capture: `$.a[*] IS NULL` is false on [[null]]).
        const steps = selectorSteps(condition.operand);
        const wildcard = steps.some((step) => step.type === 'wildcard');
        return compileSelection(steps, wildcard ? (v) => v === null : isNull);
      }
      const expected = condition.what === 'true';
      return compileSelection(selectorSteps(condition.operand), (v) => v === expected);
    }
    case 'compare': {
      const steps = selectorSteps(condition.operand);
      if (condition.operator === '!=' && steps.some((step) => step.type === 'wildcard')) {
        return compileNoneSelected(steps, equalsTest(condition.value));
      }
      return compileSelection(steps, jsonValueTest(condition.operator, condition.value));
    }
  }
}

/**
 * `($.eventName=A) || ($.eventName=B) || ...` (CIS 4.4 has sixteen) reads the field once and looks it up
 * in a set, instead of sixteen reads and compares. Only exact values qualify (no `*`, no regex, no
 * wildcard selector). A string is looked up by text; a number by value when every value is an unquoted
 * number a double states exactly (or text no number prints as), else through the single comparisons.
 */
function compileAlternatives(operands: readonly Condition[]): RecordTest[] {
  interface Group {
    steps: readonly SelectorStep[];
    texts: Set<string>;
    numbers: Set<number>;
    numbersBySet: boolean;
    single: RecordTest[];
  }
  const groups = new Map<string, Group>();
  const rest: Condition[] = [];
  for (const operand of operands) {
    if (
      operand.type === 'compare' &&
      operand.operator === '=' &&
      operand.operand.type === 'selector' &&
      operand.value.type === 'text' &&
      !operand.value.text.includes('*') &&
      operand.operand.steps.every((step) => step.type !== 'wildcard')
    ) {
      const key = JSON.stringify(operand.operand.steps);
      const group = groups.get(key) ?? {
        steps: operand.operand.steps,
        texts: new Set<string>(),
        numbers: new Set<number>(),
        numbersBySet: true,
        single: [],
      };
      groups.set(key, group);
      const { text, quoted } = operand.value;
      group.texts.add(text);
      group.single.push(compileJsonCondition(operand));
      const number = quoted ? undefined : patternNumber(text);
      if (number?.exact) group.numbers.add(number.double);
      else if (/^[-+.\dIN]/.test(text)) group.numbersBySet = false;
    } else {
      rest.push(operand);
    }
  }
  const tests: RecordTest[] = [];
  for (const { steps, texts, numbers, numbersBySet, single } of groups.values()) {
    const resolve = compilePath(steps);
    const anySingle = compileJunction('or', single);
    tests.push((record) => {
      const v = resolve(record);
      if (typeof v === 'string') return texts.has(v);
      if (typeof v === 'number' && numbersBySet && (Number.isSafeInteger(v) || !Number.isInteger(v))) {
        return Number.isFinite(v) && numbers.has(v);
      }
      return isJsonNumber(v) && anySingle(record);
    });
  }
  for (const operand of rest) tests.push(compileJsonCondition(operand));
  return tests;
}

function selectorSteps(operand: Operand): readonly SelectorStep[] {
  return operand.type === 'selector' ? operand.steps : [];
}

function compileJunction<T>(type: 'and' | 'or', tests: ((input: T) => boolean)[]): (input: T) => boolean {
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [(input: T) => boolean, (input: T) => boolean];
    return type === 'and' ? (input) => a(input) && b(input) : (input) => a(input) || b(input);
  }
  if (type === 'and') {
    return (input) => {
      for (let i = 0; i < tests.length; i++) if (!tests[i]!(input)) return false;
      return true;
    };
  }
  return (input) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(input)) return true;
    return false;
  };
}

function startsLikeJsonObject(message: string): boolean {
  for (let i = 0; i < message.length; i++) {
    const code = message.charCodeAt(i);
    if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) continue;
    return code === 0x7b; // '{'
  }
  return false;
}

function compileJsonPattern(ast: JsonPatternAst): Matchers {
  const test = compileJsonCondition(ast.condition);
  // Only a JSON object can match: text that does not parse, a top-level array and `{...} trailing` never do.
  const matchesMessage = (message: string): boolean => {
    if (!startsLikeJsonObject(message)) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch (error) {
      if (error instanceof SyntaxError) return false; // not JSON: never matches, as in CloudWatch
      throw error;
    }
    if (!isObject(parsed)) return false;
    literalNeeded = false;
    const answer = test(parsed);
    if (!literalNeeded) return answer;
    literalNeeded = false;
    return test(parseJsonKeepingNumbers(message) as JsonObject);
  };
  const matchesValue = (value: unknown): boolean => {
    if (isObject(value)) return test(value);
    return typeof value === 'string' ? matchesMessage(value) : false;
  };
  return { matchesMessage, matchesValue };
}

// ---- text patterns -----------------------------------------------------------------------------------

/**
 * Term and space-delimited patterns read text: a string is the message, anything else its JSON text, at
 * any depth. A value JSON cannot write (a cycle, a BigInt) throws UnmatchableValueError: it is never a
 * silent "no match".
 */
function withSerializedValues(matchesMessage: (message: string) => boolean): Matchers {
  return {
    matchesMessage,
    matchesValue(value) {
      if (typeof value === 'string') return matchesMessage(value);
      const text = serializeJson(value);
      return typeof text === 'string' && matchesMessage(text);
    },
  };
}

function compileTermsPattern(ast: TermsPatternAst): (message: string) => boolean {
  if (ast.type === 'regex') {
    const regex = compileRegexSubset(ast.source);
    return (message) => regex.test(message);
  }
  const required = ast.terms.filter((t) => t.role === 'required').map((t) => t.text);
  const optional = ast.terms.filter((t) => t.role === 'optional').map((t) => t.text);
  const excluded = ast.terms.filter((t) => t.role === 'excluded').map((t) => t.text);
  const includesAll = (message: string) => {
    for (let i = 0; i < required.length; i++) if (!message.includes(required[i]!)) return false;
    return true;
  };
  const includesAny = (message: string) => {
    for (let i = 0; i < optional.length; i++) if (message.includes(optional[i]!)) return true;
    return false;
  };
  // `?` terms count only when every term is one: mixed with plain or `-` terms they are ignored
  // (captures: `?ERROR timeout` is `timeout`, `?ERROR -timeout` is `-timeout`).
  const onlyOptional = required.length === 0 && excluded.length === 0 && optional.length > 0;
  const wanted = required.length > 0 ? includesAll : onlyOptional ? includesAny : () => true;
  if (excluded.length === 0) {
    if (required.length === 1) {
      const only = required[0]!;
      return (message) => message.includes(only);
    }
    return wanted;
  }
  return (message) => {
    for (let i = 0; i < excluded.length; i++) if (message.includes(excluded[i]!)) return false;
    return wanted(message);
  };
}

/** A field's exact number, when it is one (`1.0`, `+5`, `2e3`). */
function fieldNumber(field: string): Decimal | undefined {
  return Number.isNaN(parseNumberLiteral(field)) ? undefined : parseDecimal(field);
}

/**
 * `= value` on a space-delimited field (always text): an unquoted number also equals a field that spells
 * the same number (`a=1` matches `1.0`, exactly: not `1.00000000000000000001`); a quoted value compares
 * as text only (capture: `a="1"` does not match `1.0`).
 */
function fieldEqualsTest(value: ValueLiteral): (field: string) => boolean {
  if (value.type === 'regex') {
    const regex = compileRegexSubset(value.source);
    return (field) => regex.test(field);
  }
  const { text } = value;
  if (text.includes('*')) return compileGlob(text);
  const number = value.quoted ? undefined : patternNumber(text);
  if (!number) return (field) => field === text;
  return (field) => {
    if (field === text) return true;
    const decimal = fieldNumber(field);
    return decimal !== undefined && compareDecimals(decimal, number.decimal) === 0;
  };
}

function fieldTest(operator: string, value: ValueLiteral): (field: string) => boolean {
  if (operator === '=') return fieldEqualsTest(value);
  if (operator === '!=') {
    const equals = fieldEqualsTest(value);
    return (field) => !equals(field);
  }
  const n = patternNumber(value.type === 'text' ? value.text : '0')!.decimal;
  const order = (field: string): number => {
    const decimal = fieldNumber(field);
    return decimal === undefined ? Number.NaN : compareDecimals(decimal, n);
  };
  switch (operator) {
    case '<':
      return (field) => order(field) < 0;
    case '<=':
      return (field) => order(field) <= 0;
    case '>':
      return (field) => order(field) > 0;
    default:
      return (field) => order(field) >= 0;
  }
}

type FieldsTest = (fields: readonly string[]) => boolean;

function compileFieldCondition(condition: Condition, indexOf: ReadonlyMap<string, number>): FieldsTest {
  switch (condition.type) {
    case 'and':
    case 'or':
      return compileJunction(
        condition.type,
        condition.operands.map((c) => compileFieldCondition(c, indexOf)),
      );
    case 'compare': {
      const index = indexOf.get(condition.operand.type === 'field' ? condition.operand.name : '')!;
      const test = fieldTest(condition.operator, condition.value);
      return (fields) => test(fields[index]!);
    }
    default:
      return () => false; // the parser accepts IS / NOT EXISTS in JSON patterns only
  }
}

/** A log line's fields: runs of non-blank text, or text in `"..."` / `[...]` (without the delimiters). */
interface SplitLine {
  values: string[];
  /** Where each field starts in the line, its opening delimiter included (for the last field's absorption). */
  starts: number[];
}

function splitFields(line: string): SplitLine {
  const values: string[] = [];
  const starts: number[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    const start = i;
    const close = ch === '"' ? line.indexOf('"', i + 1) : ch === '[' ? line.indexOf(']', i + 1) : -1;
    if (close !== -1) {
      values.push(line.slice(i + 1, close));
      i = close + 1;
    } else {
      while (i < n && line[i] !== ' ' && line[i] !== '\t') i++;
      values.push(line.slice(start, i));
    }
    starts.push(start);
  }
  return { values, starts };
}

/**
 * What each slot of a space-delimited pattern holds for a message, as TestMetricFilter reports it: the
 * key is `$name` for a named slot, `$N` (N counting message fields from 1) for an unnamed slot and for
 * each field the `...` covers. Without `...` the last slot takes the rest of the line, from its field's
 * first character to the end, when the line has more fields than the pattern has slots.
 */
export interface SpaceDelimitedBinder {
  /** Binds the named slots into `bound` (by slot-name index); false when the line has too few fields. */
  bind(message: string, bound: string[]): boolean;
  /** The extractedValues of a matching message, or undefined when it does not match. */
  extract(message: string): Record<string, string> | undefined;
  /** The message matches. */
  test(message: string): boolean;
}

export function compileSpaceDelimitedBinder(ast: SpaceDelimitedPatternAst): SpaceDelimitedBinder {
  const { slots } = ast;
  const indexOf = new Map<string, number>();
  for (const slot of slots) if (slot.type === 'named') indexOf.set(slot.name, indexOf.size);
  const condition = ast.condition ? compileFieldCondition(ast.condition, indexOf) : () => true;
  const ellipsis = slots.findIndex((slot) => slot.type === 'ellipsis');
  const count = slots.length;
  const after = ellipsis === -1 ? 0 : count - ellipsis - 1;
  /** For message field k (0-based) and a line of m fields: the slot it falls in, or -1 under `...`. */
  const slotOf = (k: number, m: number): number => {
    if (ellipsis === -1) return Math.min(k, count - 1);
    if (k < ellipsis) return k;
    if (k >= m - after) return ellipsis + 1 + (k - (m - after));
    return -1;
  };
  const fits = (m: number) => (ellipsis === -1 ? m >= count : m >= count - 1);
  /** The value of slot `s` (when it binds one field, or absorbs the rest). */
  const slotValue = (s: number, line: SplitLine, message: string): string => {
    const m = line.values.length;
    if (ellipsis === -1) {
      if (s === count - 1 && m > count) return message.slice(line.starts[s]);
      return line.values[s]!;
    }
    return s < ellipsis ? line.values[s]! : line.values[m - (count - s)]!;
  };

  const bind = (message: string, bound: string[]): boolean => {
    const line = splitFields(message);
    if (!fits(line.values.length)) return false;
    for (let s = 0; s < count; s++) {
      const slot = slots[s]!;
      if (slot.type === 'named') bound[indexOf.get(slot.name)!] = slotValue(s, line, message);
    }
    return true;
  };
  const bound: string[] = new Array<string>(indexOf.size).fill('');
  const test = count === 0 ? () => true : (message: string) => bind(message, bound) && condition(bound);

  const extract = (message: string): Record<string, string> | undefined => {
    const line = splitFields(message);
    const m = line.values.length;
    if (count > 0) {
      const values: string[] = new Array<string>(indexOf.size).fill('');
      if (!bind(message, values) || !condition(values)) return undefined;
    }
    const out: Record<string, string> = {};
    const shown = count === 0 ? m : ellipsis === -1 ? Math.min(m, count) : m;
    for (let k = 0; k < shown; k++) {
      const s = count === 0 ? -1 : slotOf(k, m);
      const slot = s === -1 ? undefined : slots[s]!;
      const key = slot?.type === 'named' ? `$${slot.name}` : `$${k + 1}`;
      out[key] = slot ? slotValue(s, line, message) : line.values[k]!;
    }
    return out;
  };
  return { bind, extract, test };
}

function compileSpaceDelimitedPattern(ast: SpaceDelimitedPatternAst): (message: string) => boolean {
  return compileSpaceDelimitedBinder(ast).test;
}
