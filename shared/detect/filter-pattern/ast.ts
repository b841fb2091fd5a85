/**
 * The parsed form of a filter pattern. Offsets (`start`) are 0-based positions in the pattern as given;
 * errors report them as 1-based columns.
 */

export type PatternKind = 'json' | 'terms' | 'space-delimited';

/** One step of a JSON selector: `.name` / `.['a.b']`, `[0]`, or one of the wildcards `[*]` / `.*`. */
export type SelectorStep =
  | { readonly type: 'key'; readonly key: string }
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'wildcard' };

/** The right-hand side of a comparison, as written. */
export type ValueLiteral =
  /** Quoted or bare text; `*` inside it is a wildcard. */
  | { readonly type: 'text'; readonly text: string; readonly quoted: boolean; readonly start: number }
  /** `%...%`; `source` is what is between the percent signs. */
  | { readonly type: 'regex'; readonly source: string; readonly start: number };

export const COMPARISON_OPERATORS = ['=', '!=', '<', '<=', '>', '>='] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/** What a comparison looks at: a JSON selector, or a named field of a space-delimited pattern. */
export type Operand =
  | {
      readonly type: 'selector';
      readonly text: string;
      readonly steps: readonly SelectorStep[];
      readonly start: number;
    }
  | { readonly type: 'field'; readonly name: string; readonly start: number };

export type Condition =
  | {
      readonly type: 'compare';
      readonly operand: Operand;
      readonly operator: ComparisonOperator;
      readonly value: ValueLiteral;
    }
  /** `IS NULL`, `IS TRUE`, `IS FALSE` (JSON only). */
  | { readonly type: 'is'; readonly operand: Operand; readonly what: 'null' | 'true' | 'false' }
  /** `NOT EXISTS` (JSON only). */
  | { readonly type: 'not-exists'; readonly operand: Operand }
  /** `&&` / `||` chains are flattened: `a && b && c` is one node with three operands. */
  | { readonly type: 'and'; readonly operands: readonly Condition[] }
  | { readonly type: 'or'; readonly operands: readonly Condition[] };

export interface JsonPatternAst {
  readonly kind: 'json';
  readonly condition: Condition;
}

/** One space-delimited slot: `name` (maybe with conditions), an empty slot, or `...`. */
export type FieldSlot =
  | { readonly type: 'named'; readonly name: string; readonly start: number }
  | { readonly type: 'unnamed'; readonly start: number }
  | { readonly type: 'ellipsis'; readonly start: number };

export interface SpaceDelimitedPatternAst {
  readonly kind: 'space-delimited';
  readonly slots: readonly FieldSlot[];
  /** All slot conditions joined with `&&`; null when no slot has one. */
  readonly condition: Condition | null;
}

export type TermRole = 'required' | 'optional' | 'excluded';

export interface Term {
  readonly role: TermRole;
  readonly text: string;
}

export type TermsPatternAst =
  | { readonly kind: 'terms'; readonly type: 'terms'; readonly terms: readonly Term[] }
  /** A whole-pattern regex: `%...%`. */
  | { readonly kind: 'terms'; readonly type: 'regex'; readonly source: string; readonly start: number };

export type PatternAst = JsonPatternAst | SpaceDelimitedPatternAst | TermsPatternAst;
