import type { PatternKind } from './ast';
import { compileAst } from './evaluate';
import { FilterPatternError } from './filter-pattern-error';
import { parseFilterPattern } from './parser';

/** A filter pattern compiled once, to be evaluated many times. Evaluation never throws. */
export interface CompiledPattern {
  /** `json` if it starts with `{`, `space-delimited` if with `[`, otherwise `terms` (including `%regex%`). */
  readonly kind: PatternKind;
  /** The pattern as given. */
  readonly source: string;
  /** Whether CloudWatch Logs would match this log event message (JSON or not). */
  matchesMessage(message: string): boolean;
  /**
   * Matching against a record that is already parsed, without serializing it: for JSON patterns an object
   * is evaluated directly. A string is taken as a raw message; for term and space-delimited patterns any
   * other value is matched as its JSON text. Values JSON cannot express (cycles, BigInt) never match.
   */
  matchesValue(value: unknown): boolean;
}

/**
 * Compiles a CloudWatch Logs filter pattern (metric filter / subscription filter syntax) with AWS's
 * semantics (aws-facts.md §4). Throws FilterPatternError, with a 1-based column, for any pattern AWS rejects.
 *
 * Where the facts are silent we chose, and the conformance tests pin down:
 * - `-term` exclusions apply even when `?` terms are ignored or used; only plain terms silence `?` terms.
 * - Inside quoted phrases `-` and `?` still act as term operators and `!`, `:`, `%` are rejected: the one
 *   reading that explains every capture (`"a-b"` matching nothing, `"a?b"` matching `a b`, `"ERROR:"` invalid).
 * - `[*]` and `.*` both enumerate array elements and object values; `NOT EXISTS` with a wildcard holds
 *   when no element has the path.
 * - Numbers compare as IEEE doubles (integers beyond 2^53 are rounded, `1e309` is Infinity).
 * - Space-delimited: at most one `...`; a condition may name any field of the pattern, but only those;
 *   `=` compares numerically when both sides are numbers, otherwise as text.
 */
export function compileFilterPattern(pattern: string): CompiledPattern {
  if (typeof pattern !== 'string')
    throw new FilterPatternError('A filter pattern must be a string', 1, String(pattern));
  const ast = parseFilterPattern(pattern);
  const { matchesMessage, matchesValue } = compileAst(ast);
  return Object.freeze({ kind: ast.kind, source: pattern, matchesMessage, matchesValue });
}
