/**
 * `*` wildcards in filter-pattern values, matched in linear time.
 *
 * The text between stars is literal. A match needs the first part as a prefix, the last part as a suffix,
 * and each middle part somewhere in between, in order. Taking the leftmost occurrence of every middle part
 * is always safe (it leaves the most room for the rest), so each part is searched once, left to right, and
 * nothing is ever retried: no backtracking, whatever the input.
 */
export type StringTest = (value: string) => boolean;

/** A test for `text` with `*` as "any run of characters, possibly empty". */
export function compileGlob(text: string): StringTest {
  if (!text.includes('*')) return (value) => value === text;

  const parts = text.split('*');
  const prefix = parts[0]!;
  const suffix = parts[parts.length - 1]!;
  const middles = parts.slice(1, -1).filter((part) => part.length > 0);
  const minLength = prefix.length + suffix.length + middles.reduce((sum, part) => sum + part.length, 0);

  if (middles.length === 0) {
    if (prefix === '' && suffix === '') return () => true;
    if (suffix === '') return (value) => value.startsWith(prefix);
    if (prefix === '') return (value) => value.endsWith(suffix);
    return (value) => value.length >= minLength && value.startsWith(prefix) && value.endsWith(suffix);
  }
  if (middles.length === 1 && prefix === '' && suffix === '') {
    const only = middles[0]!;
    return (value) => value.includes(only);
  }
  return (value) => {
    if (value.length < minLength || !value.startsWith(prefix) || !value.endsWith(suffix)) return false;
    let from = prefix.length;
    const end = value.length - suffix.length;
    for (let i = 0; i < middles.length; i++) {
      const part = middles[i]!;
      const at = value.indexOf(part, from);
      if (at === -1 || at + part.length > end) return false;
      from = at + part.length;
    }
    return true;
  };
}
