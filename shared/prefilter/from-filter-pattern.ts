/**
 * The need (see need.ts) of a CloudWatch Logs filter pattern run on a CloudTrail record: a condition every
 * record it matches meets, read off the pattern's syntax tree. Conservative by construction: whatever is
 * not reduced exactly below becomes `always`, and `always` anywhere in an `||` makes the whole `always`.
 *
 * - `$.name = text` on a top-level member: that member is a string the value matches (exact, or the `*`
 *   glob filter patterns use, the same compileGlob). A number, object or doubled member is parsed anyway.
 * - `$.a.b = text`, any deeper or wildcard selector: the record's text contains the longest `*`-free part
 *   of the value, when that part has a character no number's text has (`= 1` matches `1.0`, `= "100"`
 *   matches `1e2`, `*nity` matches `1e999`) and none JSON would have to escape.
 * - `&&`: all of its reducible operands; `||`: any of them, if every one is reducible.
 * - anything else (`!=`, `<`, `NOT EXISTS`, `IS NULL`, `%regex%`, term and space-delimited patterns): always.
 */
import type { Condition } from '../detect/filter-pattern/ast';
import { compileGlob } from '../detect/filter-pattern/glob';
import { parseFilterPattern } from '../detect/filter-pattern/parser';
import { ALWAYS, allOf, anyOf, contains, type Need } from './need';

/** Characters a JSON number's text (as filter patterns print it) can hold, `Infinity` included. */
const NUMBER_TEXT_CHARS = /^[0-9+\-.eEInfity]*$/;
/** What JSON writes escaped, and what invalid UTF-8 decodes to: never compared as raw bytes. */
const UNSAFE_IN_RAW_TEXT = /["\\\u0000-\u001f\ufffd]|[\ud800-\udfff]/;

export function needOfFilterPattern(pattern: string): Need {
  let ast: ReturnType<typeof parseFilterPattern>;
  try {
    ast = parseFilterPattern(pattern);
  } catch {
    return ALWAYS;
  }
  return ast.kind === 'json' ? needOfCondition(ast.condition) : ALWAYS;
}

function needOfCondition(condition: Condition): Need {
  switch (condition.type) {
    case 'and':
      return allOf(condition.operands.map(needOfCondition));
    case 'or':
      return anyOf(condition.operands.map(needOfCondition));
    case 'compare': {
      const { operand, operator, value } = condition;
      if (operator !== '=' || operand.type !== 'selector' || value.type !== 'text') return ALWAYS;
      const steps = operand.steps;
      if (steps.length === 1 && steps[0].type === 'key') {
        const name = steps[0].key;
        const text = value.text;
        const label = `${name} = ${JSON.stringify(text)}`;
        if (!text.includes('*')) return { type: 'field', name, values: new Set([text]), label };
        const test = /^\*+$/.test(text) ? () => true : compileGlob(text);
        return { type: 'field', name, test, label };
      }
      return containsPart(value.text);
    }
    default:
      return ALWAYS;
  }
}

function containsPart(text: string): Need {
  const longest = text.split('*').reduce((best, part) => (part.length > best.length ? part : best), '');
  if (longest === '' || NUMBER_TEXT_CHARS.test(longest) || UNSAFE_IN_RAW_TEXT.test(longest)) return ALWAYS;
  return contains(longest);
}
