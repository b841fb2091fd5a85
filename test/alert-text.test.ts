import fc from 'fast-check';
import {
  capMessage,
  DEFAULT_IGNORABLE_RANGES,
  escapeLoneSurrogates,
  formatFields,
  inlineValue,
  isUnsafeCodePoint,
  maskAccessKeyIds,
  safeSubject,
  TRUNCATION_MARKER,
  truncate,
} from '../shared/alert/alert-text';

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

describe('invisible characters and lone surrogates', () => {
  const isLoneSurrogate = /[\ud800-\udfff]/u;

  it("the escaped set holds exactly the running engine's Default_Ignorable_Code_Point property", () => {
    const engine = /^\p{Default_Ignorable_Code_Point}$/u;
    const ours = (code: number) => DEFAULT_IGNORABLE_RANGES.some(([from, to]) => code >= from && code <= to);
    const differences: string[] = [];
    for (let code = 0; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      if (engine.test(String.fromCodePoint(code)) !== ours(code)) differences.push(code.toString(16));
    }
    expect(differences).toEqual([]);
  });

  it.each([
    ['a tag character (hidden text)', 'admin\u{e0061}\u{e0064}', 'admin\\u{e0061}\\u{e0064}'],
    ['the Mongolian vowel separator', 'a\u180eb', 'a\\u180eb'],
    ['a soft hyphen', 'ad\u00admin', 'ad\\u00admin'],
    ['the combining grapheme joiner', 'a\u034fb', 'a\\u034fb'],
    ['the Hangul fillers', '\u115f\u1160\u3164\uffa0', '\\u115f\\u1160\\u3164\\uffa0'],
    ['variation selectors', 'x\ufe0fy\u{e0100}', 'x\\ufe0fy\\u{e0100}'],
    ['a lone high surrogate', 'a\ud800b', 'a\\ud800b'],
    ['a lone low surrogate', 'a\udc00b', 'a\\udc00b'],
    ['a reversed pair', '\ude00\ud83d', '\\ude00\\ud83d'],
    ['a high surrogate at the end', 'abc\udbff', 'abc\\udbff'],
  ])('%s is written as a visible escape', (_name, value, shown) => {
    expect(inlineValue(value)).toBe(shown);
  });

  it('a real surrogate pair (an emoji) is kept as it is', () => {
    expect(inlineValue('fire 🔥')).toBe('fire 🔥');
  });

  it('no character of any output is one the sanitizer escapes, and the output is always well-formed', () => {
    const hidden = fc.oneof(
      fc.constantFrom(...DEFAULT_IGNORABLE_RANGES).chain(([from, to]) => fc.integer({ min: from, max: to })),
      fc.integer({ min: 0xd800, max: 0xdfff }),
      fc.integer({ min: 0, max: 0x10ffff }),
    );
    const text = fc
      .array(
        fc.oneof(
          hidden.map((code) =>
            code >= 0xd800 && code <= 0xdfff ? String.fromCharCode(code) : String.fromCodePoint(code),
          ),
          fc.string(),
        ),
        {
          maxLength: 40,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 16, max: 600 }), (value, max) => {
        const line = inlineValue(value, max);
        expect([...line].filter((char) => isUnsafeCodePoint(char.codePointAt(0) as number))).toEqual([]);
        expect(line).not.toMatch(isLoneSurrogate);
        expect(() => encodeURIComponent(line)).not.toThrow();
      }),
    );
  });

  it('escapeLoneSurrogates and capMessage leave only well-formed text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 5 }),
        (text, lone) => {
          const mixed = text + lone + text;
          expect(() => encodeURIComponent(escapeLoneSurrogates(mixed))).not.toThrow();
          expect(() => encodeURIComponent(capMessage(mixed))).not.toThrow();
          expect(() => encodeURIComponent(capMessage(mixed, 64))).not.toThrow();
        },
      ),
    );
    expect(escapeLoneSurrogates('ok 🔥')).toBe('ok 🔥');
  });

  it('an access key id cut by the field limit is masked before the cut, so no prefix of it is left', () => {
    const key = 'AKIAIOSFODNN7EXAMPLE';
    for (let at = 480; at <= 512; at++) {
      const line = inlineValue(`${'x'.repeat(at)}${key}`, 512);
      expect(line).not.toContain('AKIAIOSF');
    }
  });

  it('the printable-ASCII shortcut gives what the whole definition gives (cut, mask, escape, cut)', () => {
    // The definition, written out: escape every code point isUnsafeCodePoint names, as inlineValue does.
    const escape = (text: string) =>
      Array.from(text, (char) => {
        const code = char.codePointAt(0) as number;
        if (!isUnsafeCodePoint(code)) return char;
        if (char === '\n') return '\\n';
        if (char === '\r') return '\\r';
        if (char === '\t') return '\\t';
        return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }).join('');
    const definition = (text: string, max: number) =>
      text === '' ? '-' : truncate(escape(maskAccessKeyIds(truncate(text, max * 2))), max);
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
    const keyed = fc.tuple(printable, fc.constantFrom('AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A'), printable);
    const text = fc.oneof(
      printable,
      keyed.map((parts) => parts.join('')),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.tuple(printable, fc.constantFrom('\x7f', '\x1f', '\n', '\u00e9')).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 16, max: 600 }), (value, max) => {
        expect(inlineValue(value, max)).toBe(definition(value, max));
      }),
      { numRuns: 3000 },
    );
  });
});
