/**
 * byteLookup (shared/prefilter/skip-records.ts) answers a value-set test on a member's raw bytes without
 * decoding them: it must say exactly what `values.has(bytes decoded as UTF-8)` says, invalid UTF-8 included.
 */
import fc from 'fast-check';
import { byteLookup } from '../shared/prefilter/skip-records';

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
