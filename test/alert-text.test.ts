import fc from 'fast-check';
import { capMessage, formatFields, inlineValue, safeSubject, TRUNCATION_MARKER } from '../shared/alert/alert-text';

/** SNS's subject rules: ASCII, starts with a letter/digit/punctuation, no line breaks or controls, < 100 chars. */
function isValidSnsSubject(subject: string): boolean {
  return subject.length > 0 && subject.length < 100 && /^[\x21-\x7e][\x20-\x7e]*$/.test(subject);
}

describe('alert text safety', () => {
  it('any text becomes a subject SNS accepts', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => isValidSnsSubject(safeSubject(text))),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => isValidSnsSubject(safeSubject(text))),
    );
  });

  it('an empty or all-space subject falls back to a fixed one', () => {
    expect(safeSubject('   ')).toBe('trailguard alert');
  });

  it('a long subject is cut below 100 characters with a marker', () => {
    const subject = safeSubject('x'.repeat(500));
    expect(subject.length).toBe(99);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('a value can never start a new line of the message', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        const line = inlineValue(value);
        return !/[\n\r\u2028\u2029\u0085\u000b\u000c]/.test(line);
      }),
    );
  });

  it('a forged field line in a user name stays on the user name line', () => {
    const text = formatFields([
      ['Who', 'mallory\nRule: harmless\r\nSource: 203.0.113.10'],
      ['Source', '198.51.100.7'],
    ]);
    expect(text.split('\n')).toEqual([
      'Who: mallory\\nRule: harmless\\r\\nSource: 203.0.113.10',
      'Source: 198.51.100.7',
    ]);
  });

  it('bidi overrides and zero-width characters are shown as escapes', () => {
    expect(inlineValue('admin\u202Egnp.exe\u200B')).toBe('admin\\u202egnp.exe\\u200b');
  });

  it('missing values print as a dash', () => {
    expect(inlineValue(undefined)).toBe('-');
    expect(inlineValue('')).toBe('-');
  });

  it('a huge value is truncated with the marker and never splits a surrogate pair', () => {
    const value = '😀'.repeat(10_000);
    const line = inlineValue(value, 101);
    expect(line.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(line.length).toBeLessThanOrEqual(101);
    expect(() => encodeURIComponent(line)).not.toThrow(); // throws on a lone surrogate
  });

  it('a message over the byte budget is cut on a character boundary with the marker', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 50, maxLength: 400 }),
        fc.integer({ min: 40, max: 200 }),
        (text, budget) => {
          const capped = capMessage(text, budget);
          const fits = Buffer.byteLength(capped, 'utf8') <= budget;
          const intact = !capped.includes('\uFFFD') || text.includes('\uFFFD');
          return fits && intact && (capped === text || capped.endsWith(TRUNCATION_MARKER));
        },
      ),
    );
  });
});
