/**
 * Lexers for the two shapes of filter pattern text:
 * - expressions, the inside of `{ ... }` (JSON) and `[ ... ]` (space-delimited) patterns;
 * - term lists, the unstructured patterns (`ERROR -DEBUG ?"a phrase"`).
 * Offsets are 0-based positions in the whole pattern.
 */
import type { SelectorStep } from './ast';
import { fail } from './filter-pattern-error';

export type ExpressionMode = 'json' | 'space-delimited';

export type TokenKind =
  | '('
  | ')'
  | '}'
  | ']'
  | ','
  | '&&'
  | '||'
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'selector'
  | 'string'
  | 'regex'
  | 'word'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The lexeme as written. */
  readonly raw: string;
  /** Decoded text: the string without quotes and escapes, the regex source, the word itself. */
  readonly value: string;
  readonly start: number;
  /** For `selector` tokens. */
  readonly steps?: readonly SelectorStep[];
  /** Where `value` starts in the pattern (inside the quotes or percent signs). */
  readonly valueStart: number;
}

export function invalidTerm(pattern: string, offset: number, term: string): never {
  return fail(pattern, offset, `Invalid character(s) in term '${term}'`);
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function isAlphanumeric(ch: string): boolean {
  return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/** Characters of an unquoted value or field name: `kms.amazonaws.com`, `4*`, `-1.5e3`, `status_code`, `...`. */
function isWordChar(ch: string): boolean {
  return isAlphanumeric(ch) || ch === '_' || ch === '.' || ch === '*' || ch === '+' || ch === '-';
}

/** Characters of a selector property name (`$.a-b_c`). */
function isKeyChar(ch: string): boolean {
  return isAlphanumeric(ch) || ch === '_' || ch === '-';
}

const PUNCTUATION = '()}],&|=!<>"%';

/** The run of characters from `offset` that no token can start with, for the error message. */
function invalidRun(pattern: string, offset: number): string {
  let end = offset + 1;
  while (end < pattern.length) {
    const ch = pattern[end]!;
    if (isSpace(ch) || isWordChar(ch) || PUNCTUATION.includes(ch) || ch === '$') break;
    end++;
  }
  return pattern.slice(offset, end);
}

/**
 * Reads a double-quoted string starting at `open` (the quote). `\"` and `\\` are escapes; any other
 * backslash is literal. Returns the decoded text and the offset after the closing quote.
 */
export function readQuoted(
  pattern: string,
  open: number,
  unterminated = (): never => fail(pattern, open, "Unbalanced quotes: missing closing '\"'"),
): { text: string; end: number } {
  let text = '';
  let i = open + 1;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '"') return { text, end: i + 1 };
    if (ch === '\\' && (pattern[i + 1] === '"' || pattern[i + 1] === '\\')) {
      text += pattern[i + 1];
      i += 2;
      continue;
    }
    text += ch;
    i++;
  }
  return unterminated();
}

/** Tokenizes an expression from `from` to the end of the pattern (the closing `}`/`]` is a token). */
export function tokenizeExpression(pattern: string, from: number, mode: ExpressionMode): Token[] {
  const tokens: Token[] = [];
  const push = (
    kind: TokenKind,
    start: number,
    end: number,
    value?: string,
    valueStart?: number,
    steps?: SelectorStep[],
  ) =>
    tokens.push({
      kind,
      raw: pattern.slice(start, end),
      value: value ?? pattern.slice(start, end),
      start,
      valueStart: valueStart ?? start,
      ...(steps ? { steps } : {}),
    });

  let i = from;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    const next = pattern[i + 1];
    if (isSpace(ch)) {
      i++;
      continue;
    }
    switch (ch) {
      case '(':
      case ')':
      case '}':
      case ']':
      case ',':
        push(ch, i, i + 1);
        i++;
        continue;
      case '&':
      case '|':
        if (next !== ch) invalidTerm(pattern, i, ch);
        push(ch === '&' ? '&&' : '||', i, i + 2);
        i += 2;
        continue;
      case '=':
        if (next === '=') fail(pattern, i, "'==' is not an operator: use '='");
        push('=', i, i + 1);
        i++;
        continue;
      case '!':
        if (next !== '=') invalidTerm(pattern, i, '!');
        push('!=', i, i + 2);
        i += 2;
        continue;
      case '<':
      case '>':
        if (next === '=') {
          push(ch === '<' ? '<=' : '>=', i, i + 2);
          i += 2;
        } else {
          push(ch, i, i + 1);
          i++;
        }
        continue;
      case '"': {
        const { text, end } = readQuoted(pattern, i);
        push('string', i, end, text, i + 1);
        i = end;
        continue;
      }
      case '%': {
        const close = pattern.indexOf('%', i + 1);
        if (close === -1) fail(pattern, i, "Unterminated regular expression: it must end with '%'");
        push('regex', i, close + 1, pattern.slice(i + 1, close), i + 1);
        i = close + 1;
        continue;
      }
      case '$':
        if (mode === 'json') {
          const { steps, end } = readSelector(pattern, i);
          push('selector', i, end, undefined, undefined, steps);
          i = end;
          continue;
        }
        break;
    }
    if (isWordChar(ch)) {
      let end = i + 1;
      while (end < pattern.length && isWordChar(pattern[end]!)) end++;
      push('word', i, end);
      i = end;
      continue;
    }
    invalidTerm(pattern, i, invalidRun(pattern, i));
  }
  push('eof', pattern.length, pattern.length);
  return tokens;
}

/** Characters that may follow a selector. */
function endsSelector(ch: string | undefined): boolean {
  return ch === undefined || isSpace(ch) || '=!<>)&|}'.includes(ch);
}

/**
 * `$.a.b`, `$.a[0]`, `$.['a.b']`, with at most one `[*]` or `.*`. Rejected like AWS: `$[1]` (an index must
 * follow a property), `$.a[-1]`, `$['a.b']` and `$.["a.b"]`, an empty selector, two wildcards.
 */
function readSelector(pattern: string, start: number): { steps: SelectorStep[]; end: number } {
  const steps: SelectorStep[] = [];
  let wildcards = 0;
  let i = start + 1;
  /** AWS names the characters where it stopped (`term`); we add the selector and why. */
  const invalid = (reason: string, at = start, term?: string): never => {
    let end = Math.max(i, at + 1);
    while (!endsSelector(pattern[end])) end++;
    const aws = term === undefined ? '' : `Invalid character(s) in term '${term}': `;
    return fail(pattern, at, `${aws}invalid selector '${pattern.slice(start, end)}': ${reason}`);
  };
  const addWildcard = (at: number) => {
    wildcards++;
    if (wildcards > 1) {
      fail(
        pattern,
        at,
        'Your filter pattern has a JSON path selector that exceeds the maximum of 1 wildcard allowed per json selector.',
      );
    }
    steps.push({ type: 'wildcard' });
  };

  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '.') {
      const after = pattern[i + 1];
      if (after !== undefined && isKeyChar(after)) {
        let end = i + 2;
        while (end < pattern.length && isKeyChar(pattern[end]!)) end++;
        steps.push({ type: 'key', key: pattern.slice(i + 1, end) });
        i = end;
      } else if (after === '*') {
        i += 2;
        addWildcard(i - 2);
      } else if (after === '[') {
        if (pattern[i + 2] !== "'") {
          invalid("a bracketed property name is written .['name'] with single quotes", i, pattern.slice(start, i + 3));
        }
        const close = pattern.indexOf("'", i + 3);
        if (close === -1 || pattern[close + 1] !== ']') invalid("unterminated .['name']", i);
        steps.push({ type: 'key', key: pattern.slice(i + 3, close) });
        i = close + 2;
      } else if (endsSelector(after)) {
        invalid('empty property name', i);
      } else {
        invalidTerm(pattern, start, pattern.slice(start, i + 2));
      }
    } else if (ch === '[') {
      if (steps.length === 0) {
        invalid(
          pattern[i + 1] === "'" || pattern[i + 1] === '"'
            ? "a property name with dots is written $.['name']"
            : 'an array index must follow a property',
          i,
          '$[',
        );
      }
      const close = pattern.indexOf(']', i);
      const inside = close === -1 ? '' : pattern.slice(i + 1, close);
      if (inside === '*') {
        i = close + 1;
        addWildcard(i - 3);
      } else if (/^\d+$/.test(inside)) {
        steps.push({ type: 'index', index: Number(inside) });
        i = close + 1;
      } else {
        invalid('an array index is a non-negative integer or *', i, pattern.slice(i, i + 2));
      }
    } else {
      break;
    }
  }
  if (steps.length === 0) invalid('empty selector', start, pattern.slice(start, start + 2));
  if (!endsSelector(pattern[i])) invalidTerm(pattern, start, pattern.slice(start, i + 1));
  return { steps, end: i };
}

// ---- term patterns ------------------------------------------------------------------------------------

export interface TermToken {
  /** `?` or `-` written before the term, or none. */
  readonly prefix: '' | '?' | '-';
  readonly quoted: boolean;
  /** Decoded text (without quotes). */
  readonly text: string;
  /** Offset of the token, prefix included. */
  readonly start: number;
  /** Offset of the text's first character. */
  readonly textStart: number;
}

/**
 * Characters of an unquoted term: letters and digits of any script, `_` and `.` (captures: `a.b` and
 * `café` match literally; `a/b`, `a@b`, `ERROR!`, `ERR*` are invalid).
 */
const TERM_CHAR = /^[\p{L}\p{N}\p{M}_.]$/u;

/** The code point at `i` (a surrogate pair is one character). */
function charAt(pattern: string, i: number): string {
  return String.fromCodePoint(pattern.codePointAt(i)!);
}

/**
 * Splits an unstructured pattern into terms: whitespace separates, quotes group, `?`/`-` prefix. Outside
 * quotes `-` and `?` start a new term even without a space (captures: `a-b` is `a -b`, matching `a` but
 * not `a b`; `a?b` is `a ?b`, so it matches `a b`).
 */
export function tokenizeTerms(pattern: string, from: number, to: number): TermToken[] {
  const tokens: TermToken[] = [];
  let i = from;
  while (i < to) {
    if (isSpace(pattern[i]!)) {
      i++;
      continue;
    }
    const start = i;
    let prefix: '' | '?' | '-' = '';
    if (pattern[i] === '?' || pattern[i] === '-') {
      prefix = pattern[i] as '?' | '-';
      i++;
    }
    if (pattern[i] === '"') {
      // As AWS words it (capture: `"ERROR` is "Invalid character(s) in term '"ERROR'").
      const open = i;
      const { text, end } = readQuoted(pattern, i, () => invalidTerm(pattern, open, pattern.slice(open, to)));
      if (end < to && !isSpace(pattern[end]!)) invalidTerm(pattern, end, pattern.slice(end, end + 1));
      tokens.push({ prefix, quoted: true, text, start, textStart: i + 1 });
      i = end;
      continue;
    }
    let end = i;
    while (end < to && TERM_CHAR.test(charAt(pattern, end))) end += charAt(pattern, end).length;
    if (end === i) {
      let runEnd = i + 1;
      while (runEnd < to && !isSpace(pattern[runEnd]!) && !TERM_CHAR.test(charAt(pattern, runEnd))) runEnd++;
      const run = pattern.slice(i, Math.min(runEnd, to));
      invalidTerm(pattern, run ? i : start, run || prefix);
    }
    if (end < to && !isSpace(pattern[end]!) && pattern[end] !== '-' && pattern[end] !== '?') {
      let runEnd = end + 1;
      while (runEnd < to && !isSpace(pattern[runEnd]!) && !TERM_CHAR.test(charAt(pattern, runEnd))) runEnd++;
      invalidTerm(pattern, end, pattern.slice(end, runEnd));
    }
    tokens.push({ prefix, quoted: false, text: pattern.slice(i, end), start, textStart: i });
    i = end;
  }
  return tokens;
}
