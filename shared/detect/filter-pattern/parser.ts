/**
 * Filter pattern parser: picks the pattern kind by its first character, then parses JSON and
 * space-delimited conditions with a Pratt parser (`&&` binds tighter than `||`, parentheses group) and
 * unstructured patterns as a flat term list. Everything AWS would reject is rejected here, with a column.
 */
import type {
  ComparisonOperator,
  Condition,
  FieldSlot,
  JsonPatternAst,
  Operand,
  PatternAst,
  SpaceDelimitedPatternAst,
  Term,
  TermRole,
  TermsPatternAst,
  ValueLiteral,
} from './ast';
import { fail } from './filter-pattern-error';
import {
  invalidTerm,
  tokenizeExpression,
  tokenizeTerms,
  type ExpressionMode,
  type Token,
  type TokenKind,
} from './lexer';
import { parseNumberLiteral } from './number-literal';
import { compileRegexSubset } from './regex-subset';

const MAX_REGEX_PER_PATTERN = 2;
const MAX_WILDCARDS_PER_PATTERN = 3;
/** Parenthesis nesting limit: keeps recursion far from the stack limit on hostile input. */
const MAX_NESTING = 100;

/** A space-delimited field name: a letter or `_`, then letters, digits, `_` (capture: `[1a]` is invalid). */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** CloudWatch Logs' limit on a filter pattern (PutMetricFilter / PutSubscriptionFilter `filterPattern`). */
export const MAX_PATTERN_LENGTH = 1024;

const BINDING_POWER: Partial<Record<TokenKind, number>> = { '||': 1, '&&': 2 };

const OPERATORS: Partial<Record<TokenKind, ComparisonOperator>> = {
  '=': '=',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

/** The exponent of a number literal is beyond ±(2^31 - 1), after the digits after the point. */
function exponentOverflows(text: string): boolean {
  const e = text.search(/[eE]/);
  if (e === -1) return false;
  const point = text.indexOf('.');
  const fraction = point === -1 ? 0 : e - point - 1;
  const exponent = Number(text.slice(e + 1));
  return exponent > 2_147_483_647 || exponent - fraction < -2_147_483_647;
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

export function parseFilterPattern(pattern: string): PatternAst {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    const length = [...pattern].length; // characters, as the API counts them, not UTF-16 units
    if (length > MAX_PATTERN_LENGTH) {
      const cut = [...pattern].slice(0, MAX_PATTERN_LENGTH).join('').length;
      fail(
        pattern,
        cut,
        `Filter pattern is ${length} characters long: CloudWatch Logs accepts at most ${MAX_PATTERN_LENGTH}`,
      );
    }
  }
  let first = 0;
  let last = pattern.length - 1;
  while (first <= last && isSpace(pattern[first])) first++;
  while (last >= first && isSpace(pattern[last])) last--;
  if (first > last) return { kind: 'terms', type: 'terms', terms: [] };

  switch (pattern[first]) {
    case '{':
      return parseJsonPattern(pattern, first);
    case '[':
      return parseSpaceDelimitedPattern(pattern, first);
    case '%': {
      if (last === first || pattern[last] !== '%') {
        fail(pattern, last, "If a filter pattern starts with '%' it must end with '%'");
      }
      // One regex, from the first '%' to the next: anything after it is a stray term (capture:
      // `%ERROR% %WARN%` is "Invalid character(s) in term ' '").
      const close = pattern.indexOf('%', first + 1);
      if (close === first + 1) invalidTerm(pattern, first, '%%');
      if (close !== last) invalidTerm(pattern, close + 1, pattern[close + 1]!);
      compileRegexSubset(pattern.slice(first + 1, last), { pattern, offset: first + 1 });
      return { kind: 'terms', type: 'regex', source: pattern.slice(first + 1, last), start: first + 1 };
    }
    default:
      return parseTermsPattern(pattern, first, last + 1);
  }
}

// ---- JSON and space-delimited -----------------------------------------------------------------------

class ExpressionParser {
  private index = 0;
  private depth = 0;
  private regexCount = 0;
  private wildcardCount = 0;

  constructor(
    private readonly pattern: string,
    private readonly tokens: readonly Token[],
    private readonly mode: ExpressionMode,
  ) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  advance(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  /** Pratt loop: a prefix condition, then infix `&&`/`||` while they bind tighter than `minPower`. */
  parseExpression(minPower = 0): Condition {
    let left = this.parsePrefix();
    for (;;) {
      const operator = this.peek().kind;
      const power = BINDING_POWER[operator];
      if (power === undefined || power <= minPower) return left;
      this.advance();
      const right = this.parseExpression(power);
      left = join(operator === '&&' ? 'and' : 'or', left, right);
    }
  }

  private parsePrefix(): Condition {
    const token = this.peek();
    switch (token.kind) {
      case '(': {
        if (++this.depth > MAX_NESTING) fail(this.pattern, token.start, 'Too many nested parentheses');
        this.advance();
        if (this.peek().kind === ')')
          fail(this.pattern, this.peek().start, 'Expected a condition inside the parentheses');
        const inner = this.parseExpression(0);
        if (this.peek().kind !== ')') fail(this.pattern, token.start, "Unbalanced parentheses: missing ')'");
        this.advance();
        this.depth--;
        return inner;
      }
      case ')':
        return fail(this.pattern, token.start, "Unbalanced parentheses: unexpected ')'");
      case 'selector':
        if (this.mode === 'json') return this.parseComparison();
        break;
      case 'word':
        if (this.mode === 'space-delimited') return this.parseComparison();
        if (/^(and|or|not)$/i.test(token.value)) invalidTerm(this.pattern, token.start, token.value);
        return fail(this.pattern, token.start, `Expected a selector starting with '$', found '${token.raw}'`);
      case 'eof':
      case '}':
      case ']':
      case ',':
      case '&&':
      case '||':
        return fail(this.pattern, token.start, 'Expected a condition');
    }
    return fail(this.pattern, token.start, `Expected a condition, found '${token.raw}'`);
  }

  private parseOperand(): Operand {
    const token = this.advance();
    if (token.kind === 'selector') {
      this.wildcardCount += token.steps!.filter((step) => step.type === 'wildcard').length;
      if (this.wildcardCount > MAX_WILDCARDS_PER_PATTERN) {
        fail(
          this.pattern,
          token.start,
          `Your input has exceeded the maximum of ${MAX_WILDCARDS_PER_PATTERN} wildcard selectors per filter pattern.`,
        );
      }
      return { type: 'selector', text: token.raw, steps: token.steps!, start: token.start };
    }
    if (!FIELD_NAME.test(token.value)) invalidTerm(this.pattern, token.start, token.value);
    return { type: 'field', name: token.value, start: token.start };
  }

  private parseComparison(): Condition {
    const operandToken = this.peek();
    const operand = this.parseOperand();
    const token = this.advance();
    const operator = OPERATORS[token.kind];
    if (operator) return { type: 'compare', operand, operator, value: this.parseValue(operator, token) };

    if (token.kind === 'word' && this.mode === 'json') {
      const keyword = token.value.toUpperCase();
      if (keyword === 'IS') {
        const what = this.advance();
        const value = what.kind === 'word' ? what.value.toLowerCase() : '';
        if (value === 'null' || value === 'true' || value === 'false') return { type: 'is', operand, what: value };
        if (what.kind === 'word') invalidTerm(this.pattern, what.start, what.value);
        fail(this.pattern, what.start, 'Expected NULL, TRUE or FALSE after IS');
      }
      if (keyword === 'NOT') {
        const what = this.advance();
        if (what.kind === 'word' && what.value.toUpperCase() === 'EXISTS') return { type: 'not-exists', operand };
        if (what.kind === 'word') invalidTerm(this.pattern, what.start, what.value);
        fail(this.pattern, what.start, 'Expected EXISTS after NOT');
      }
      invalidTerm(this.pattern, token.start, token.value);
    }
    return fail(this.pattern, token.start, `Expected an operator after '${operandToken.raw}'`);
  }

  private parseValue(operator: ComparisonOperator, operatorToken: Token): ValueLiteral {
    const token = this.advance();
    const numeric = operator !== '=' && operator !== '!=';
    switch (token.kind) {
      case 'regex': {
        if (numeric)
          fail(this.pattern, token.start, `'${operator}' compares numbers: a regular expression cannot follow it`);
        if (++this.regexCount > MAX_REGEX_PER_PATTERN) {
          fail(
            this.pattern,
            token.start,
            `Your input has exceeded the maximum of ${MAX_REGEX_PER_PATTERN} regular expressions per filter pattern.`,
          );
        }
        compileRegexSubset(token.value, { pattern: this.pattern, offset: token.valueStart });
        return { type: 'regex', source: token.value, start: token.valueStart };
      }
      case 'string':
        if (numeric)
          fail(
            this.pattern,
            token.start,
            `Invalid character(s) in term '${token.raw}': '${operator}' compares numbers, write the number unquoted`,
          );
        return { type: 'text', text: token.value, quoted: true, start: token.valueStart };
      case 'word':
        // A number AWS cannot hold: its exponent must fit 32 bits (capture: `= 1e2147483648` is invalid).
        if (!Number.isNaN(parseNumberLiteral(token.value)) && exponentOverflows(token.value)) {
          fail(
            this.pattern,
            token.start,
            `Invalid metric filter pattern: the exponent of ${token.raw} is out of range`,
          );
        }
        if (numeric && Number.isNaN(parseNumberLiteral(token.value))) {
          fail(this.pattern, token.start, `'${operator}' compares numbers: expected a number, found '${token.raw}'`);
        }
        if (this.mode === 'json' && token.value.toLowerCase() === 'null') {
          fail(this.pattern, token.start, "Invalid value 'null': use IS NULL");
        }
        return { type: 'text', text: token.value, quoted: false, start: token.start };
      default:
        return fail(this.pattern, token.start, `Expected a value after '${operatorToken.raw}'`);
    }
  }

  /** After the top-level condition: the closing bracket, then nothing. */
  expectClose(close: '}' | ']'): void {
    const open = close === '}' ? '{' : '[';
    const token = this.peek();
    if (token.kind === close) {
      this.advance();
      const after = this.peek();
      if (after.kind !== 'eof')
        fail(this.pattern, after.start, `If a filter pattern starts with '${open}' it must end with '${close}'`);
      return;
    }
    if (token.kind === ')') fail(this.pattern, token.start, "Unbalanced parentheses: unexpected ')'");
    if (token.kind === 'word') invalidTerm(this.pattern, token.start, token.value);
    if (token.kind === 'eof')
      fail(this.pattern, token.start, `If a filter pattern starts with '${open}' it must end with '${close}'`);
    fail(this.pattern, token.start, `Expected '&&', '||' or '${close}', found '${token.raw}'`);
  }
}

/** `a && b && c` becomes one `and` node with three operands (evaluated in a loop, not by recursion). */
function join(type: 'and' | 'or', left: Condition, right: Condition): Condition {
  const operands: Condition[] = left.type === type ? (left.operands as Condition[]) : [left];
  if (right.type === type) for (const operand of right.operands) operands.push(operand);
  else operands.push(right);
  return left.type === type ? left : { type, operands };
}

function parseJsonPattern(pattern: string, open: number): JsonPatternAst {
  const parser = new ExpressionParser(pattern, tokenizeExpression(pattern, open + 1, 'json'), 'json');
  if (parser.peek().kind === '}') fail(pattern, parser.peek().start, 'Expected a condition');
  const condition = parser.parseExpression(0);
  parser.expectClose('}');
  return { kind: 'json', condition };
}

/** The leftmost field a slot's condition names: `status_code = 4* && bytes > 1000` is the `status_code` slot. */
function leftmostField(condition: Condition): { name: string; start: number } {
  if (condition.type === 'and' || condition.type === 'or') return leftmostField(condition.operands[0]!);
  const { operand } = condition;
  return operand.type === 'field' ? operand : { name: operand.text, start: operand.start };
}

function collectFields(condition: Condition, out: { name: string; start: number }[]): void {
  if (condition.type === 'and' || condition.type === 'or') {
    for (const operand of condition.operands) collectFields(operand, out);
  } else if (condition.operand.type === 'field') {
    out.push(condition.operand);
  }
}

function parseSpaceDelimitedPattern(pattern: string, open: number): SpaceDelimitedPatternAst {
  const parser = new ExpressionParser(
    pattern,
    tokenizeExpression(pattern, open + 1, 'space-delimited'),
    'space-delimited',
  );
  const slots: FieldSlot[] = [];
  const conditions: Condition[] = [];

  if (parser.peek().kind !== ']') {
    for (;;) {
      const token = parser.peek();
      const after = parser.peek(1).kind;
      if (token.kind === ',' || token.kind === ']') {
        slots.push({ type: 'unnamed', start: token.start });
      } else if (token.kind === 'word' && token.value === '...') {
        parser.advance();
        slots.push({ type: 'ellipsis', start: token.start });
      } else if (token.kind === 'word' && (after === ',' || after === ']' || after === 'eof')) {
        parser.advance();
        if (!FIELD_NAME.test(token.value)) invalidTerm(pattern, token.start, token.value);
        slots.push({ type: 'named', name: token.value, start: token.start });
      } else {
        const condition = parser.parseExpression(0);
        const { name, start } = leftmostField(condition);
        const fields: { name: string; start: number }[] = [];
        collectFields(condition, fields);
        const other = fields.find((field) => field.name !== name);
        if (other) {
          fail(
            pattern,
            other.start,
            `Multiple variables used in a single filter. Var1 : ${name}, Var2 : ${other.name}`,
          );
        }
        slots.push({ type: 'named', name, start });
        conditions.push(condition);
      }
      const separator = parser.peek();
      if (separator.kind === ',') {
        parser.advance();
        continue;
      }
      if (separator.kind === ']' || separator.kind === 'eof') break;
      if (separator.kind === 'word') invalidTerm(pattern, separator.start, separator.value);
      fail(pattern, separator.start, `Expected ',' or ']', found '${separator.raw}'`);
    }
  }
  parser.expectClose(']');

  const ellipses = slots.filter((slot) => slot.type === 'ellipsis');
  if (ellipses.length > 1) fail(pattern, ellipses[1]!.start, "Duplicate field '...': only one is allowed");
  const names = new Set<string>();
  for (const slot of slots) {
    if (slot.type !== 'named') continue;
    if (names.has(slot.name)) fail(pattern, slot.start, `Duplicate field '${slot.name}'`);
    names.add(slot.name);
  }

  const condition =
    conditions.length === 0
      ? null
      : conditions.length === 1
        ? conditions[0]!
        : ({ type: 'and', operands: conditions } as const);
  return { kind: 'space-delimited', slots, condition };
}

// ---- unstructured terms -------------------------------------------------------------------------------

const ROLE_BY_PREFIX: Record<'' | '?' | '-', TermRole> = { '': 'required', '?': 'optional', '-': 'excluded' };

/**
 * A quoted phrase is literal, spaces and symbols included (captures: `"ERR*"` looks for a star, `" "`
 * for a space); an empty one is invalid (`""`). `-` and `?` act as operators only outside quotes.
 */
function parseTermsPattern(pattern: string, from: number, to: number): TermsPatternAst {
  const terms: Term[] = [];
  for (const token of tokenizeTerms(pattern, from, to)) {
    if (token.quoted && token.text === '') invalidTerm(pattern, token.textStart - 1, '""');
    terms.push({ role: ROLE_BY_PREFIX[token.prefix], text: token.text });
  }
  return { kind: 'terms', type: 'terms', terms };
}
