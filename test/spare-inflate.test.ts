/**
 * The gunzip into spare buffers (shared/intake/spare-inflate.ts, used by the replay CLI) must give exactly
 * what gunzipSync gives: the same bytes, the same error, the same share of the inflation budget, for
 * every input: plain gzip, several members, trailing zeros or garbage, a trailer that lies about the size
 * (smaller or larger), truncated or corrupt data, outputs at and over the cap, empty ones. Where it cannot
 * take the input it falls back to gunzipSync; the tests also check that it does take the plain case, and
 * that a buffer still in use is never handed out again.
 */
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { createInflationBudget, gunzipWithin } from '../shared/intake/decode-input';
import { releaseSpare, spareStats } from '../shared/intake/spare-inflate';

function both(bytes: Uint8Array, limit: number, cap?: number) {
  const plainBudget = createInflationBudget(limit);
  const spareBudget = createInflationBudget(limit);
  const plain = gunzipWithin(bytes, plainBudget, cap);
  const spare = gunzipWithin(bytes, spareBudget, cap, true);
  const view = (result: typeof plain) =>
    result.ok ? { ok: true, bytes: Buffer.from(result.bytes).toString('base64') } : result;
  expect(view(spare)).toEqual(view(plain));
  expect(spareBudget.spent).toBe(plainBudget.spent);
  if (spare.ok && spare.spare) releaseSpare(spare.bytes.buffer);
  return spare;
}

function withTrailer(gz: Buffer, size: number): Buffer {
  const copy = Buffer.from(gz);
  copy.writeUInt32LE(size >>> 0, copy.length - 4);
  return copy;
}

const MIB = 1024 * 1024;
const text = Buffer.from(JSON.stringify({ Records: Array.from({ length: 3000 }, (_, k) => ({ eventID: `e-${k}` })) }));
const gz = gzipSync(text);

describe('gunzip into spare buffers = gunzipSync', () => {
  it.each([
    ['a plain gzip', gz, 64 * MIB],
    ['two members', Buffer.concat([gz, gzipSync('more')]), 64 * MIB],
    ['trailing zeros', Buffer.concat([gz, Buffer.alloc(50)]), 64 * MIB],
    ['trailing garbage', Buffer.concat([gz, Buffer.from('garbage')]), 64 * MIB],
    ['a trailer that says less', withTrailer(gz, 10), 64 * MIB],
    ['a trailer that says more', withTrailer(gz, 30 * MIB), 64 * MIB],
    ['a trailer past the largest spare', withTrailer(gz, 400 * MIB), 512 * MIB],
    ['truncated', gz.subarray(0, gz.length - 30), 64 * MIB],
    ['corrupt', Buffer.concat([gz.subarray(0, 12), Buffer.alloc(100, 9)]), 64 * MIB],
    ['a gzip of nothing', gzipSync(Buffer.alloc(0)), 64 * MIB],
    ['exactly at the cap', gz, text.length],
    ['one byte over the cap', gz, text.length - 1],
    ['a bomb over the cap', gzipSync(Buffer.alloc(8 * MIB, 0x20)), 2 * MIB],
  ])('%s', (_name, bytes, limit) => {
    both(bytes, limit);
  });

  it('a cap of its own tighter than the budget', () => {
    both(gz, 64 * MIB, text.length - 1);
    both(gz, 64 * MIB, text.length);
  });

  it('random data, gzipped, with the trailer left or changed, under random caps', () => {
    const before = spareStats.inflated;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40_000 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.integer({ min: 1, max: 80_000 }),
        fc.nat(),
        (data, trailer, limit, cut) => {
          let bytes: Uint8Array = gzipSync(data);
          if (trailer !== undefined) bytes = withTrailer(Buffer.from(bytes), trailer);
          if (cut % 4 === 0) bytes = bytes.subarray(0, cut % bytes.length);
          both(bytes, limit);
        },
      ),
      { numRuns: 300, seed: 20261204 },
    );
    // Some took the spare path; the rest (cut, over the cap, a trailer that says less than the output)
    // fell back to gunzipSync, and both were checked against it.
    expect(spareStats.inflated - before).toBeGreaterThan(25);
  });

  it('takes the plain case, and hands a buffer out again only once it was given back', () => {
    const before = spareStats.inflated;
    const first = gunzipWithin(gz, createInflationBudget(64 * MIB), undefined, true);
    const second = gunzipWithin(gz, createInflationBudget(64 * MIB), undefined, true);
    expect(first.ok && first.spare && second.ok && second.spare).toBe(true);
    expect(spareStats.inflated).toBe(before + 2);
    if (!first.ok || !second.ok) return;
    // Both in use: two buffers, and the first output is intact after the second inflate.
    expect(second.bytes.buffer).not.toBe(first.bytes.buffer);
    expect(first.bytes.equals(text)).toBe(true);
    const used = first.bytes.buffer;
    releaseSpare(used);
    const third = gunzipWithin(gz, createInflationBudget(64 * MIB), undefined, true);
    expect(third.ok && third.bytes.buffer).toBe(used);
    if (third.ok) releaseSpare(third.bytes.buffer);
    releaseSpare(second.bytes.buffer);
  });
});
