/**
 * The regular-expression subset CloudWatch Logs accepts between `%...%`, matched without backtracking.
 *
 * Syntax (AWS doc): alphanumerics; the symbols `: _ # = @ / ; , -`; the operators `^ $ ? [ ] { } | \ * + .`;
 * classes `\d \D \s \S \w \W` and `\xhh`. No `( )` groups, no multibyte characters. Rejections follow RE2's
 * rules where the doc is silent (`a++` and `[z-a]` are errors in AWS's captures, as in RE2).
 *
 * Matching is a search ("contains"), as in AWS: `^` and `$` anchor at the start and end of the text.
 * Because there are no groups, a quantifier always applies to one character or class, so the program is a
 * small Thompson NFA; it is simulated state-set by state-set, one pass over the input, so the cost is
 * O(input length x program size) whatever the input: no input can make it backtrack.
 */
import { fail } from './filter-pattern-error';

export const REGEX_ERROR = 'Failed to compile regular expression.';

/** Repetition bounds beyond this are rejected, as RE2 does. */
const MAX_REPEAT = 1000;
/** Program size cap: keeps the per-character cost bounded for patterns like `\w{1000}\w{1000}...`. */
const MAX_STATES = 10_000;

export interface RegexMatcher {
  /** Whether the expression matches somewhere in `text`. */
  test(text: string): boolean;
  /** Number of NFA states (the per-character cost bound). */
  readonly size: number;
  /** Work done by the last `test` call, in state visits: at most (text.length + 1) x 2 x size. */
  readonly lastSteps: number;
}

// ---- parsing ----------------------------------------------------------------------------------------

/** A character set over UTF-16 code units: a table for 0–255 and one answer for everything above. */
interface CharSet {
  readonly table: Uint8Array;
  high: boolean;
}

type Item =
  | { kind: 'char'; code: number; min: number; max: number; quantified: boolean }
  | { kind: 'set'; set: CharSet; min: number; max: number; quantified: boolean }
  | { kind: 'bol' }
  | { kind: 'eol' };

type Alternative = Item[];

const ALLOWED_SYMBOLS = ':_#=@/;,-^$?[]{}|\\*+.';

function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isAllowed(ch: string): boolean {
  return isAlphanumeric(ch.charCodeAt(0)) || ALLOWED_SYMBOLS.includes(ch);
}

function emptySet(): CharSet {
  return { table: new Uint8Array(256), high: false };
}

function addRange(set: CharSet, from: number, to: number): void {
  for (let c = from; c <= to && c < 256; c++) set.table[c] = 1;
}

function negate(set: CharSet): CharSet {
  const out = emptySet();
  for (let c = 0; c < 256; c++) out.table[c] = set.table[c] ? 0 : 1;
  out.high = !set.high;
  return out;
}

function union(into: CharSet, other: CharSet): void {
  for (let c = 0; c < 256; c++) if (other.table[c]) into.table[c] = 1;
  if (other.high) into.high = true;
}

function classEscape(letter: string): CharSet | null {
  const set = emptySet();
  switch (letter.toLowerCase()) {
    case 'd':
      addRange(set, 48, 57);
      break;
    case 's':
      for (const c of [9, 10, 12, 13, 32]) set.table[c] = 1;
      break;
    case 'w':
      addRange(set, 48, 57);
      addRange(set, 65, 90);
      addRange(set, 97, 122);
      set.table[95] = 1;
      break;
    default:
      return null;
  }
  return letter === letter.toUpperCase() ? negate(set) : set;
}

function anyButNewline(): CharSet {
  const set = negate(emptySet());
  set.table[10] = 0;
  return set;
}

class RegexParser {
  private i = 0;

  constructor(
    private readonly src: string,
    private readonly onError: (offset: number, message?: string) => never,
  ) {}

  parse(): Alternative[] {
    const { src } = this;
    // Worded as AWS words it: the term is the regex up to the first character it does not allow
    // (captures: `%(ab)+%` gives '%(', `%café%` gives '%café').
    for (let k = 0; k < src.length; k++) {
      if (!isAllowed(src[k]!)) this.onError(k, `Invalid character(s) in term '%${src.slice(0, k + 1)}'`);
    }
    if (src.length === 0) this.onError(0, "Invalid character(s) in term '%%'");

    const alternatives: Alternative[] = [[]];
    let current = alternatives[0]!;
    while (this.i < src.length) {
      const ch = src[this.i]!;
      switch (ch) {
        case '|':
          current = [];
          alternatives.push(current);
          this.i++;
          break;
        case '^':
          current.push({ kind: 'bol' });
          this.i++;
          break;
        case '$':
          current.push({ kind: 'eol' });
          this.i++;
          break;
        case '*':
        case '+':
        case '?':
        case '{':
          this.quantify(current);
          break;
        case '[':
          current.push({ kind: 'set', set: this.parseClass(), min: 1, max: 1, quantified: false });
          break;
        case '.':
          current.push({ kind: 'set', set: anyButNewline(), min: 1, max: 1, quantified: false });
          this.i++;
          break;
        case '\\': {
          const atom = this.parseEscape();
          current.push(
            typeof atom === 'number'
              ? { kind: 'char', code: atom, min: 1, max: 1, quantified: false }
              : { kind: 'set', set: atom, min: 1, max: 1, quantified: false },
          );
          break;
        }
        default:
          // Includes a lone `]` or `}`, which RE2 reads as a literal.
          current.push({ kind: 'char', code: ch.charCodeAt(0), min: 1, max: 1, quantified: false });
          this.i++;
      }
    }
    return alternatives;
  }

  private quantify(current: Alternative): void {
    const at = this.i;
    const target = current[current.length - 1];
    if (!target || target.kind === 'bol' || target.kind === 'eol' || target.quantified) this.onError(at);
    const ch = this.src[this.i]!;
    let min: number;
    let max: number;
    if (ch === '*') [min, max] = [0, -1];
    else if (ch === '+') [min, max] = [1, -1];
    else if (ch === '?') [min, max] = [0, 1];
    else [min, max] = this.parseRepeat();
    if (ch !== '{') this.i++;
    target.min = min;
    target.max = max;
    target.quantified = true;
    // A lazy suffix (`*?`) does not change whether there is a match.
    if (this.src[this.i] === '?') this.i++;
  }

  /** `{m}`, `{m,}` or `{m,n}`. */
  private parseRepeat(): [number, number] {
    const at = this.i;
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
    if (!match) this.onError(at);
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? -1 : Number(match[3]);
    if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min)) this.onError(at);
    this.i += match[0].length;
    return [min, max];
  }

  /** After `\`: a class (`\d`...), a `\xhh` code, or an escaped symbol. Returns a code or a set. */
  private parseEscape(): number | CharSet {
    const at = this.i;
    const next = this.src[this.i + 1];
    if (next === undefined) this.onError(at);
    if (next === 'x') {
      const hex = this.src.slice(this.i + 2, this.i + 4);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) this.onError(at);
      this.i += 4;
      return parseInt(hex, 16);
    }
    const set = classEscape(next);
    if (set) {
      this.i += 2;
      return set;
    }
    if (isAlphanumeric(next.charCodeAt(0))) this.onError(at);
    this.i += 2;
    return next.charCodeAt(0);
  }

  private parseClass(): CharSet {
    const open = this.i;
    this.i++;
    let negated = false;
    if (this.src[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const set = emptySet();
    let empty = true;
    while (this.i < this.src.length && this.src[this.i] !== ']') {
      const lowAt = this.i;
      const low = this.parseClassAtom();
      if (this.src[this.i] === '-' && this.i + 1 < this.src.length && this.src[this.i + 1] !== ']') {
        this.i++;
        const high = this.parseClassAtom();
        if (typeof low !== 'number' || typeof high !== 'number' || high < low) this.onError(lowAt);
        addRange(set, low, high);
      } else if (typeof low === 'number') {
        if (low < 256) set.table[low] = 1;
      } else {
        union(set, low);
      }
      empty = false;
    }
    if (this.i >= this.src.length || empty) this.onError(open);
    this.i++;
    return negated ? negate(set) : set;
  }

  private parseClassAtom(): number | CharSet {
    if (this.src[this.i] === '\\') return this.parseEscape();
    return this.src.charCodeAt(this.i++);
  }
}

// ---- compiling to an NFA ------------------------------------------------------------------------------

const MATCH = 0;
const CHAR = 1;
const SET = 2;
const SPLIT = 3;
const BOL = 4;
const EOL = 5;

class ProgramBuilder {
  readonly kind: number[] = [MATCH];
  readonly arg: number[] = [0];
  readonly out1: number[] = [-1];
  readonly out2: number[] = [-1];
  readonly sets: CharSet[] = [];

  constructor(private readonly onTooLarge: () => never) {}

  add(kind: number, arg: number, out1: number, out2 = -1): number {
    if (this.kind.length >= MAX_STATES) this.onTooLarge();
    this.kind.push(kind);
    this.arg.push(arg);
    this.out1.push(out1);
    this.out2.push(out2);
    return this.kind.length - 1;
  }

  private atom(item: Item & { kind: 'char' | 'set' }, next: number): number {
    if (item.kind === 'char') return this.add(CHAR, item.code, next);
    let index = this.sets.indexOf(item.set);
    if (index === -1) index = this.sets.push(item.set) - 1;
    return this.add(SET, index, next);
  }

  /** Builds one alternative back to front, ending in MATCH; returns its first state. */
  alternative(items: Alternative): number {
    let next = MATCH;
    for (let k = items.length - 1; k >= 0; k--) {
      const item = items[k]!;
      if (item.kind === 'bol') {
        next = this.add(BOL, 0, next);
        continue;
      }
      if (item.kind === 'eol') {
        next = this.add(EOL, 0, next);
        continue;
      }
      let tail = next;
      if (item.max === -1) {
        const loop = this.add(SPLIT, 0, -1, next);
        this.out1[loop] = this.atom(item, loop);
        tail = loop;
      } else {
        // Optional copies nest: each may stop and jump straight to what follows the whole repetition.
        for (let copy = item.min; copy < item.max; copy++) tail = this.add(SPLIT, 0, this.atom(item, tail), next);
      }
      for (let copy = 0; copy < item.min; copy++) tail = this.atom(item, tail);
      next = tail;
    }
    return next;
  }
}

/** `^lit`, `lit$`, `lit` alternatives need no automaton at all. */
function literalAlternatives(alternatives: Alternative[]): { text: string; bol: boolean; eol: boolean }[] | null {
  const out: { text: string; bol: boolean; eol: boolean }[] = [];
  for (const items of alternatives) {
    let text = '';
    let bol = false;
    let eol = false;
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!;
      if (item.kind === 'bol' && k === 0) bol = true;
      else if (item.kind === 'eol' && k === items.length - 1) eol = true;
      else if (item.kind === 'char' && item.min === 1 && item.max === 1) text += String.fromCharCode(item.code);
      else return null;
    }
    out.push({ text, bol, eol });
  }
  return out;
}

export function compileRegexSubset(source: string, context?: { pattern: string; offset: number }): RegexMatcher {
  const pattern = context?.pattern ?? source;
  const base = context?.offset ?? 0;
  const onError = (offset: number, message = REGEX_ERROR): never => fail(pattern, base + offset, message);
  const alternatives = new RegexParser(source, onError).parse();

  const literals = literalAlternatives(alternatives);
  if (literals) return literalMatcher(literals);

  const builder = new ProgramBuilder(() => onError(0));
  const starts = alternatives.map((items) => builder.alternative(items));
  let start = starts[starts.length - 1]!;
  for (let k = starts.length - 2; k >= 0; k--) start = builder.add(SPLIT, 0, starts[k]!, start);
  const anchored = alternatives.every((items) => items[0]?.kind === 'bol');
  const matcher = nfaMatcher(builder, start, anchored);
  return alternatives.length === 1 ? withLiteralPrefilter(alternatives[0]!, matcher) : matcher;
}

/**
 * A run of plain characters that every match must contain lets most non-matching texts be rejected by
 * one native search (`startsWith` when the run opens an anchored expression) before the automaton runs.
 */
function withLiteralPrefilter(items: Alternative, matcher: RegexMatcher): RegexMatcher {
  let best = '';
  let bestAnchored = false;
  let run = '';
  let runAnchored = items[0]?.kind === 'bol';
  for (let k = runAnchored ? 1 : 0; k <= items.length; k++) {
    const item = items[k];
    if (item && item.kind === 'char' && item.min === 1 && item.max === 1) {
      run += String.fromCharCode(item.code);
      continue;
    }
    if (run.length > best.length || (runAnchored && run.length > 0 && run.length === best.length)) {
      best = run;
      bestAnchored = runAnchored;
    }
    run = '';
    runAnchored = false;
  }
  if (best.length < 2) return matcher;
  const literal = best;
  const possible = bestAnchored ? (text: string) => text.startsWith(literal) : (text: string) => text.includes(literal);
  let filtered = false;
  return {
    size: matcher.size,
    get lastSteps() {
      return filtered ? 0 : matcher.lastSteps;
    },
    test(text) {
      filtered = !possible(text);
      return !filtered && matcher.test(text);
    },
  };
}

function literalMatcher(literals: { text: string; bol: boolean; eol: boolean }[]): RegexMatcher {
  const tests = literals.map(({ text, bol, eol }): ((s: string) => boolean) => {
    if (bol && eol) return (s) => s === text;
    if (bol) return (s) => s.startsWith(text);
    if (eol) return (s) => s.endsWith(text);
    return (s) => s.includes(text);
  });
  const size = literals.reduce((sum, { text }) => sum + text.length + 1, 0);
  let lastSteps = 0;
  return {
    size,
    get lastSteps() {
      return lastSteps;
    },
    test(text) {
      lastSteps = text.length * size;
      for (let k = 0; k < tests.length; k++) if (tests[k]!(text)) return true;
      return false;
    },
  };
}

function nfaMatcher(builder: ProgramBuilder, start: number, anchored: boolean): RegexMatcher {
  const size = builder.kind.length;
  const kind = Uint8Array.from(builder.kind);
  const arg = Int32Array.from(builder.arg);
  const out1 = Int32Array.from(builder.out1);
  const out2 = Int32Array.from(builder.out2);
  const setTables = new Uint8Array(builder.sets.length * 256);
  const setHigh = new Uint8Array(builder.sets.length);
  builder.sets.forEach((set, k) => {
    setTables.set(set.table, k * 256);
    setHigh[k] = set.high ? 1 : 0;
  });

  // Working memory, allocated once. `test` is synchronous and never re-entered, so sharing it is safe.
  let current = new Int32Array(size);
  let next = new Int32Array(size);
  const stack = new Int32Array(size);
  const mark = new Uint32Array(size);
  let generation = 0;
  let steps = 0;

  /**
   * Adds `state` and everything reachable from it without consuming input to `list` (states already
   * added in this generation are skipped). Returns the new count, or -1 when MATCH is reachable.
   */
  function addClosure(list: Int32Array, count: number, state: number, pos: number, length: number): number {
    let top = 0;
    if (mark[state] === generation) return count;
    mark[state] = generation;
    stack[top++] = state;
    while (top > 0) {
      const s = stack[--top]!;
      steps++;
      let follow1 = -1;
      let follow2 = -1;
      switch (kind[s]) {
        case MATCH:
          return -1;
        case CHAR:
        case SET:
          list[count++] = s;
          continue;
        case SPLIT:
          follow1 = out1[s]!;
          follow2 = out2[s]!;
          break;
        case BOL:
          if (pos === 0) follow1 = out1[s]!;
          break;
        case EOL:
          if (pos === length) follow1 = out1[s]!;
          break;
      }
      if (follow1 >= 0 && mark[follow1] !== generation) {
        mark[follow1] = generation;
        stack[top++] = follow1;
      }
      if (follow2 >= 0 && mark[follow2] !== generation) {
        mark[follow2] = generation;
        stack[top++] = follow2;
      }
    }
    return count;
  }

  function nextGeneration(): void {
    if (generation === 0xffffffff) {
      mark.fill(0);
      generation = 0;
    }
    generation++;
  }

  function test(text: string): boolean {
    steps = 0;
    const length = text.length;
    nextGeneration();
    let count = addClosure(current, 0, start, 0, length);
    if (count < 0) return true;
    for (let pos = 0; pos < length; pos++) {
      const code = text.charCodeAt(pos);
      nextGeneration();
      let nextCount = 0;
      for (let k = 0; k < count; k++) {
        const s = current[k]!;
        steps++;
        const hit =
          kind[s] === CHAR
            ? arg[s] === code
            : code < 256
              ? setTables[arg[s]! * 256 + code] === 1
              : setHigh[arg[s]!] === 1;
        if (hit) {
          nextCount = addClosure(next, nextCount, out1[s]!, pos + 1, length);
          if (nextCount < 0) return true;
        }
      }
      if (!anchored) {
        nextCount = addClosure(next, nextCount, start, pos + 1, length);
        if (nextCount < 0) return true;
      } else if (nextCount === 0) {
        return false;
      }
      const swap = current;
      current = next;
      next = swap;
      count = nextCount;
    }
    return false;
  }

  return {
    size,
    get lastSteps() {
      return steps;
    },
    test,
  };
}
