import { compileSpaceDelimitedBinder, type SpaceDelimitedBinder } from './evaluate';
import { parseFilterPattern } from './parser';

/** The last pattern's binder: `match` calls this once per line with the same pattern. */
let cached: { pattern: string; binder: SpaceDelimitedBinder | undefined } | undefined;

/**
 * The `extractedValues` CloudWatch Logs' TestMetricFilter returns for `message`: for a space-delimited
 * pattern that matches, each slot's value keyed `$name` (named slots) or `$N` (unnamed slots and the
 * fields a `...` covers, N counting the message's fields from 1); `{}` for any other pattern kind and
 * for a message that does not match. Throws FilterPatternError for a pattern CloudWatch would reject.
 */
export function extractValues(pattern: string, message: string): Record<string, string> {
  if (cached?.pattern !== pattern) {
    const ast = parseFilterPattern(pattern);
    cached = { pattern, binder: ast.kind === 'space-delimited' ? compileSpaceDelimitedBinder(ast) : undefined };
  }
  return cached.binder?.extract(message) ?? {};
}
