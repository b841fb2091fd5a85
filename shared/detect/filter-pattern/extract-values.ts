// placeholder; the engine's implementation replaces this file

/**
 * The `extractedValues` TestMetricFilter returns for a matching message: the named fields of a
 * space-delimited pattern (`$user`, `$1`, …), `{}` for every other kind of pattern.
 */
export function extractValues(pattern: string, message: string): Record<string, string> {
  void pattern;
  void message;
  return {};
}
