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
import { compileGlob } from './glob';
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

// ---- values (shared by JSON and space-delimited comparisons) -----------------------------------------

/**
 * `= value` on a JSON scalar, per AWS's captures: strings compare as text (so `= 1` matches `"1"` but not
 * `"01"` or `"1.0"`), numbers compare numerically when the pattern value is a number (`= 1.0` matches `1`
 * and `1e0`), `*` globs and regexes see a number as its text, and booleans, null, objects and arrays never
 * match (`= true` is the string "true").
 */
function equalsTest(value: ValueLiteral): ValueTest {
  if (value.type === 'regex') {
    const regex = compileRegexSubset(value.source);
    return (v) => (typeof v === 'string' ? regex.test(v) : typeof v === 'number' ? regex.test(String(v)) : false);
  }
  const { text } = value;
  if (/^\*+$/.test(text)) return (v) => typeof v === 'string' || typeof v === 'number';
  if (text.includes('*')) {
    const glob = compileGlob(text);
    return (v) => (typeof v === 'string' ? glob(v) : typeof v === 'number' ? glob(String(v)) : false);
  }
  const number = parseNumberLiteral(text);
  if (Number.isNaN(number)) return (v) => v === text;
  return (v) => v === text || v === number;
}

/** The comparison on a JSON value; `!=` needs an existing string or number (never missing/null/bool). */
function jsonValueTest(operator: string, value: ValueLiteral): ValueTest {
  if (operator === '=') return equalsTest(value);
  if (operator === '!=') {
    const equals = equalsTest(value);
    return (v) => (typeof v === 'string' || typeof v === 'number') && !equals(v);
  }
  const n = parseNumberLiteral(value.type === 'text' ? value.text : '');
  switch (operator) {
    case '<':
      return (v) => typeof v === 'number' && v < n;
    case '<=':
      return (v) => typeof v === 'number' && v <= n;
    case '>':
      return (v) => typeof v === 'number' && v > n;
    default:
      return (v) => typeof v === 'number' && v >= n;
  }
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
      const expected = condition.what === 'null' ? null : condition.what === 'true';
      return compileSelection(selectorSteps(condition.operand), (v) => v === expected);
    }
    case 'compare':
      return compileSelection(selectorSteps(condition.operand), jsonValueTest(condition.operator, condition.value));
  }
}

/**
 * `($.eventName=A) || ($.eventName=B) || ...` (CIS 4.4 has sixteen) reads the field once and looks it up
 * in a set, instead of sixteen reads and compares. Only exact values qualify (no `*`, no regex, no
 * wildcard selector); a numeric value is in the set as its text and as its number, as `=` would match.
 */
function compileAlternatives(operands: readonly Condition[]): RecordTest[] {
  const groups = new Map<string, { steps: readonly SelectorStep[]; values: Set<string | number> }>();
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
      const group = groups.get(key) ?? { steps: operand.operand.steps, values: new Set<string | number>() };
      groups.set(key, group);
      const { text } = operand.value;
      group.values.add(text);
      const number = parseNumberLiteral(text);
      if (!Number.isNaN(number)) group.values.add(number);
    } else {
      rest.push(operand);
    }
  }
  const tests: RecordTest[] = [];
  for (const { steps, values } of groups.values()) {
    const resolve = compilePath(steps);
    tests.push((record) => {
      const v = resolve(record);
      return (typeof v === 'string' || typeof v === 'number') && values.has(v);
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
    } catch {
      return false;
    }
    return isObject(parsed) && test(parsed);
  };
  const matchesValue = (value: unknown): boolean => {
    if (isObject(value)) return test(value);
    return typeof value === 'string' ? matchesMessage(value) : false;
  };
  return { matchesMessage, matchesValue };
}

// ---- text patterns -----------------------------------------------------------------------------------

/** Term and space-delimited patterns read text: a string is the message, anything else its JSON text. */
function withSerializedValues(matchesMessage: (message: string) => boolean): Matchers {
  return {
    matchesMessage,
    matchesValue(value) {
      if (typeof value === 'string') return matchesMessage(value);
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        return false; // cycles, BigInt: not a JSON document, so not a log message either
      }
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
  // `?` terms only count when there are no plain terms (AWS: they are ignored when mixed). Exclusions
  // always apply.
  const includesAll = (message: string) => {
    for (let i = 0; i < required.length; i++) if (!message.includes(required[i]!)) return false;
    return true;
  };
  const includesAny = (message: string) => {
    for (let i = 0; i < optional.length; i++) if (message.includes(optional[i]!)) return true;
    return false;
  };
  const wanted = required.length > 0 ? includesAll : optional.length > 0 ? includesAny : () => true;
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

/** `= value` on a space-delimited field (always text): numbers compare numerically when both are numbers. */
function fieldEqualsTest(value: ValueLiteral): (field: string) => boolean {
  if (value.type === 'regex') {
    const regex = compileRegexSubset(value.source);
    return (field) => regex.test(field);
  }
  const { text } = value;
  if (text.includes('*')) return compileGlob(text);
  const number = parseNumberLiteral(text);
  if (Number.isNaN(number)) return (field) => field === text;
  return (field) => field === text || parseNumberLiteral(field) === number;
}

function fieldTest(operator: string, value: ValueLiteral): (field: string) => boolean {
  if (operator === '=') return fieldEqualsTest(value);
  if (operator === '!=') {
    const equals = fieldEqualsTest(value);
    return (field) => !equals(field);
  }
  const n = parseNumberLiteral(value.type === 'text' ? value.text : '');
  switch (operator) {
    case '<':
      return (field) => parseNumberLiteral(field) < n;
    case '<=':
      return (field) => parseNumberLiteral(field) <= n;
    case '>':
      return (field) => parseNumberLiteral(field) > n;
    default:
      return (field) => parseNumberLiteral(field) >= n;
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
  /** Where each field starts and ends in the line, delimiters included (for the last field's absorption). */
  starts: number[];
  ends: number[];
}

function splitFields(line: string): SplitLine {
  const values: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
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
    ends.push(i);
  }
  return { values, starts, ends };
}

function compileSpaceDelimitedPattern(ast: SpaceDelimitedPatternAst): (message: string) => boolean {
  const { slots } = ast;
  if (slots.length === 0) return () => true;
  const indexOf = new Map<string, number>();
  for (const slot of slots) if (slot.type === 'named') indexOf.set(slot.name, indexOf.size);
  const slotIndex = slots.map((slot) => (slot.type === 'named' ? indexOf.get(slot.name)! : -1));
  const condition = ast.condition ? compileFieldCondition(ast.condition, indexOf) : () => true;
  const ellipsis = slots.findIndex((slot) => slot.type === 'ellipsis');
  const count = slots.length;
  const bound: string[] = new Array<string>(indexOf.size).fill('');

  return (message) => {
    const { values, starts, ends } = splitFields(message);
    const m = values.length;
    if (ellipsis === -1) {
      if (m < count) return false;
      for (let k = 0; k < count - 1; k++) if (slotIndex[k]! >= 0) bound[slotIndex[k]!] = values[k]!;
      const lastIndex = slotIndex[count - 1]!;
      // The last field takes the rest of the line when the line has more fields than the pattern.
      if (lastIndex >= 0)
        bound[lastIndex] = m === count ? values[count - 1]! : message.slice(starts[count - 1], ends[m - 1]);
    } else {
      const after = count - ellipsis - 1;
      if (m < ellipsis + after) return false;
      for (let k = 0; k < ellipsis; k++) if (slotIndex[k]! >= 0) bound[slotIndex[k]!] = values[k]!;
      for (let k = 0; k < after; k++) {
        const index = slotIndex[ellipsis + 1 + k]!;
        if (index >= 0) bound[index] = values[m - after + k]!;
      }
    }
    return condition(bound);
  };
}
