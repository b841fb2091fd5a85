/**
 * AWS's number grammar for filter patterns: an integer or decimal with an optional sign, optionally followed
 * by `e` and a signed integer exponent (`500`, `+1000`, `55.5`, `10e-3`).
 */
const NUMBER_LITERAL = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The number `text` spells, or NaN when it is not a number literal. Linear: the grammar is unambiguous. */
export function parseNumberLiteral(text: string): number {
  return NUMBER_LITERAL.test(text) ? Number(text) : NaN;
}
