/**
 * digestText (shared/lazy-builtins.ts) keys the memory stage's state (storeKey): its digests must be the
 * createHash chain's, byte for byte, or keys written by an earlier version would no longer be found.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { digestText } from '../shared/lazy-builtins';
import { storeKey } from '../shared/memory/memory-stage';

describe('digestText', () => {
  it('is createHash(...).update(text).digest(encoding), for any text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.constantFrom('base64url', 'hex', 'base64') as fc.Arbitrary<'hex'>,
        (text, encoding) => {
          expect(digestText('sha256', text, encoding)).toBe(createHash('sha256').update(text).digest(encoding));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps the memory stage keys as they were', () => {
    // Computed with the createHash chain before digestText: a deployed store holds keys like these.
    const expected = createHash('sha256').update(['rule', 'key', 'id'].join('\u0000')).digest('base64url').slice(0, 32);
    expect(storeKey('e', 'unauthorized-api', 'rule', 'key', 'id')).toBe(`tg:e:unauthorized-api:${expected}`);
  });
});
