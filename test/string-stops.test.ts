/**
 * The stop bitmap (shared/intake/string-stops.ts, WebAssembly SIMD) must mark exactly the bytes the
 * byte-by-byte scan stops at, at every length and chunk boundary, and the scan must give the same answers
 * with it and without it.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { scanRecordList } from '../shared/intake/decode-input';
import { stringStops, useStringStops } from '../shared/intake/string-stops';

const ROOT = join(__dirname, '..');
const CHUNK = 64 * 1024;

function isStop(byte: number): boolean {
  return byte === 0x22 || byte === 0x5c || byte < 0x20;
}

/** Every bit of the bitmap against the definition, padding bits included (all set). */
function expectExactBitmap(data: Uint8Array): void {
  const map = stringStops(data);
  expect(map).toBeDefined();
  const words = map as Int32Array;
  expect(words.length * 32).toBeGreaterThan(data.length);
  for (let i = 0; i < words.length * 32; i++) {
    const bit = (words[i >>> 5] >>> (i & 31)) & 1;
    if (bit !== (i >= data.length || isStop(data[i]) ? 1 : 0))
      throw new Error(`bit ${i} is ${bit} for byte ${data[i]} (length ${data.length})`);
  }
}

afterEach(() => useStringStops(true));

describe('the string stop bitmap', () => {
  it('is up to date with shared/intake/string-stops.wat', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'generate-string-stops-wasm.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect([result.status, result.stderr]).toEqual([0, '']);
  });

  it('marks exactly the quote, the backslash and the bytes below 0x20, for every byte value', () => {
    const every = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
    expectExactBitmap(every);
  });

  it.each([0, 1, 31, 32, 33, 63, 64, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * 2, CHUNK * 3 + 17])(
    'is exact, padding included, for %i bytes (lengths at word and chunk boundaries)',
    (length) => {
      const data = Uint8Array.from({ length }, (_, i) => ((i * 7919) % 97 === 0 ? 0x22 : 0x61 + (i % 26)));
      data[length - 1] = length > 0 ? 0x5c : 0;
      expectExactBitmap(data);
    },
  );

  it('is exact on random bytes, and a later, shorter document leaves no bits of an earlier one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), (first, second) => {
        expectExactBitmap(first);
        expectExactBitmap(second);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('scanRecordList with and without the bitmap', () => {
  function scanBoth(bytes: Buffer, keys: readonly string[]): [string, string] {
    const describeScan = (): string => {
      const list = scanRecordList(bytes, 'x', keys);
      if (list === undefined) return 'undefined';
      const skim = list.skim;
      const rows = Array.from({ length: list.count }, (_, index) => [
        skim?.start(index),
        skim?.end(index),
        skim?.plainObject(index),
        skim?.plainNames(index),
        skim?.noUnicodeEscape(index),
        keys.map((_, slot) => [
          skim?.fieldStart(index, slot),
          skim?.fieldEnd(index, slot),
          skim?.valueStart(index, slot),
          skim?.valueEnd(index, slot),
          skim?.number(index, slot),
        ]),
      ]);
      return JSON.stringify({ key: list.key, count: list.count, rows });
    };
    useStringStops(true);
    const withBitmap = describeScan();
    useStringStops(false);
    const without = describeScan();
    useStringStops(true);
    return [withBitmap, without];
  }

  const strings = fc.string({ unit: fc.constantFrom('a', '"', '\\', 'u', '0', '\n', '\u0001', 'é', '\ufffd', ' ') });
  const records = fc.array(
    fc.dictionary(fc.constantFrom('eventName', 'eventID', 'a\\"b', 'x', 'eventName'), fc.oneof(strings, fc.integer())),
    { maxLength: 6 },
  );

  it('gives the same answers on documents with escapes, control bytes and edits, and accepts only what JSON.parse accepts', () => {
    fc.assert(
      fc.property(records, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (list, at, byte, change) => {
        const bytes = Buffer.from(JSON.stringify({ Records: list }), 'utf8');
        if (change && bytes.length > 0) bytes[at % bytes.length] = byte;
        const [withBitmap, without] = scanBoth(bytes, ['eventName', 'eventID', 'x']);
        expect(withBitmap).toBe(without);
        if (withBitmap !== 'undefined') expect(() => JSON.parse(bytes.toString('utf8'))).not.toThrow();
      }),
      { numRuns: 10000 },
    );
  });

  it('gives the same answers on a document spanning several chunks, with a string across each boundary', () => {
    const record = (i: number) => ({ eventName: `E${i}`, eventID: `id-${i}`, x: 'y'.repeat((i * 37) % 900) });
    const bytes = Buffer.from(JSON.stringify({ Records: Array.from({ length: 400 }, (_, i) => record(i)) }));
    expect(bytes.length).toBeGreaterThan(CHUNK * 2);
    const [withBitmap, without] = scanBoth(bytes, ['eventName', 'eventID', 'x']);
    expect(withBitmap).not.toBe('undefined');
    expect(withBitmap).toBe(without);
    // Cut inside the last string: rejected by both.
    const cut = bytes.subarray(0, bytes.length - 5);
    expect(scanBoth(cut, ['eventName'])).toEqual(['undefined', 'undefined']);
  });
});
