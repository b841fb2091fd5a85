/**
 * byteLookup (shared/prefilter/skip-records.ts) answers a value-set test on a member's raw bytes without
 * decoding them: it must say exactly what `values.has(bytes decoded as UTF-8)` says, invalid UTF-8 included.
 * textSearch answers a `contains` need on raw bytes: exactly the need's definition (UTF-8 bytes, ASCII
 * letters in either case with anyCase); the latin1 RegExp it replaces matched a superset.
 */
import fc from 'fast-check';
import { byteLookup, textSearch } from '../shared/prefilter/skip-records';

/** Texts, and their UTF-8 with a byte changed, cut or added: valid and invalid UTF-8 alike. */
const textOrBytes = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }).map((text) => Buffer.from(text, 'utf8')),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
    .map(([text, at, byte]) => {
      const bytes = Buffer.from(text, 'utf8');
      bytes[at % bytes.length] = byte;
      return bytes;
    }),
);

describe('byteLookup', () => {
  it('is values.has() of the decoded bytes, for any bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 6 }),
        textOrBytes,
        (list, bytes) => {
          const values = new Set(list);
          // The bytes sit in a larger buffer, as a member's value does in a record.
          const data = Buffer.concat([Buffer.from('{"a":"'), bytes, Buffer.from('"}')]);
          const lookup = byteLookup(values);
          const expected = values.has(bytes.toString('utf8'));
          if (lookup) expect(lookup(data, 6, 6 + bytes.length)).toBe(expected);
          // A value it cannot compare as bytes is left to decoding.
          else
            expect(list.some((value) => value.includes('\ufffd') || Buffer.from(value).toString() !== value)).toBe(
              true,
            );
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('also for a value that is in the set', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 10 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (list, pick) => {
          const value = list[pick % list.length];
          const lookup = byteLookup(new Set(list));
          const bytes = Buffer.from(value, 'utf8');
          if (lookup) expect(lookup(bytes, 0, bytes.length)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('textSearch', () => {
  /** The need's definition: fold ASCII letters of both sides (anyCase), then look for the bytes. */
  function holdsByDefinition(texts: readonly string[], anyCase: boolean, span: Buffer): boolean {
    const fold = (bytes: Buffer) => Buffer.from(bytes.map((b) => (anyCase && b >= 0x41 && b <= 0x5a ? b | 0x20 : b)));
    return texts.some((text) => fold(span).includes(fold(Buffer.from(text, 'utf8'))));
  }

  const alphabet = fc.constantFrom('a', 'A', 'b', 'B', 'é', 'É', '权', '限', ' ', '"', '[');
  const texts = fc.array(fc.string({ unit: alphabet, minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 });
  const span = fc.oneof(
    fc.string({ unit: alphabet, maxLength: 24 }).map((text) => Buffer.from(text, 'utf8')),
    fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
  );

  it('is the need definition on any span, at any offset in a larger buffer, in both modes', () => {
    fc.assert(
      fc.property(
        texts,
        fc.boolean(),
        span,
        fc.string({ unit: alphabet, maxLength: 6 }),
        (list, anyCase, bytes, pad) => {
          // Bytes around the span must not count: a text straddling its start or end is not in it.
          const before = Buffer.from(pad, 'utf8');
          const data = Buffer.concat([before, bytes, before]);
          const found = textSearch(list, anyCase)(data, before.length, before.length + bytes.length);
          expect(found).toBe(holdsByDefinition(list, anyCase, bytes));
          // The RegExp over latin1 text that it replaces matched all of these too (and more: it folded latin1 letters).
          const latin1 = new RegExp(
            list
              .map((text) =>
                Buffer.from(text, 'utf8')
                  .toString('latin1')
                  .replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'),
              )
              .join('|'),
            anyCase ? 'i' : '',
          );
          if (found) expect(latin1.test(bytes.toString('latin1'))).toBe(true);
        },
      ),
      { numRuns: 10000 },
    );
  });
});
