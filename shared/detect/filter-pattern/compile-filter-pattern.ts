import type { PatternKind } from './ast';
import { compileAst } from './evaluate';
import { FilterPatternError } from './filter-pattern-error';
import { parseFilterPattern } from './parser';

/** A filter pattern compiled once, to be evaluated many times. */
export interface CompiledPattern {
  /** `json` if it starts with `{`, `space-delimited` if with `[`, otherwise `terms` (including `%regex%`). */
  readonly kind: PatternKind;
  /** The pattern as given. */
  readonly source: string;
  /**
   * Whether CloudWatch Logs would match this log event message (JSON or not). Never throws. Number
   * literals are read as written (`1.0` is not `1` as text; integers past 2^53 stay exact).
   */
  matchesMessage(message: string): boolean;
  /**
   * Matching against a record that is already parsed, without serializing it: for JSON patterns an object
   * is evaluated directly (its numbers read as JSON.stringify would write them). A string is taken as a
   * raw message; for term and space-delimited patterns any other value is matched as its JSON text, at any
   * depth. A value JSON cannot write (a cycle, a BigInt) throws UnmatchableValueError rather than silently
   * not matching.
   */
  matchesValue(value: unknown): boolean;
}

/**
 * Compiles a CloudWatch Logs filter pattern (metric filter / subscription filter syntax) with the
 * semantics AWS's TestMetricFilter shows (docs/filter-patterns.md, test/filter-pattern.aws-recorded.test.ts).
 * Throws FilterPatternError, with a 1-based column, for any pattern AWS rejects, including one longer than
 * 1,024 characters.
 */
export function compileFilterPattern(pattern: string): CompiledPattern {
  if (typeof pattern !== 'string')
    throw new FilterPatternError('A filter pattern must be a string', 1, String(pattern));
  const ast = parseFilterPattern(pattern);
  const { matchesMessage, matchesValue } = compileAst(ast);
  return Object.freeze({ kind: ast.kind, source: pattern, matchesMessage, matchesValue });
}
