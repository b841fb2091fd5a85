/**
 * The record-list scan has three walks that must give the same answers (shared/intake/wasm-scan.ts): the
 * compiled one (record-scan.c), the JavaScript one with the stop bitmap, and the JavaScript one testing
 * bytes (no WebAssembly). The bitmap must mark exactly the bytes the byte test stops at, at every length and
 * chunk boundary. The compiled module must be the one generated from the current record-scan.c.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { scanRecordList } from '../shared/intake/decode-input';
import { scanElementsInWasm, stringStops, useWasmScan } from '../shared/intake/wasm-scan';

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

afterEach(() => useWasmScan(true, true));

/** Everything a scan gives, as text: the compiled walk, the JavaScript walk with the bitmap, without it. */
function scanThree(bytes: Buffer, keys: readonly string[], withElements = true): [string, string, string] {
  const describeScan = (): string => {
    const list = scanRecordList(bytes, 'x', keys);
    if (list === undefined) return 'undefined';
    const skim = list.skim;
    const rows = Array.from({ length: list.count }, (_, index) => [
      withElements ? list.at(index) : list.count,
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
  try {
    useWasmScan(true, true);
    const compiled = describeScan();
    useWasmScan(false, true);
    const bitmap = describeScan();
    useWasmScan(false, false);
    return [compiled, bitmap, describeScan()];
  } finally {
    useWasmScan(true, true);
  }
}

describe('the string stop bitmap', () => {
  it('comes from the current shared/intake/record-scan.c (by its hash; with the same clang, by its bytes)', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'generate-record-scan-wasm.mjs'), '--check'], {
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

describe('scanRecordList by each of its three walks', () => {
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
        const [compiled, bitmap, bytesOnly] = scanThree(bytes, ['eventName', 'eventID', 'x']);
        expect(compiled).toBe(bytesOnly);
        expect(bitmap).toBe(bytesOnly);
        if (compiled !== 'undefined') expect(() => JSON.parse(bytes.toString('utf8'))).not.toThrow();
      }),
      { numRuns: 10000 },
    );
  });

  it('gives the same answers on a document spanning several chunks, with a string across each boundary', () => {
    const record = (i: number) => ({ eventName: `E${i}`, eventID: `id-${i}`, x: 'y'.repeat((i * 37) % 900) });
    const bytes = Buffer.from(JSON.stringify({ Records: Array.from({ length: 400 }, (_, i) => record(i)) }));
    expect(bytes.length).toBeGreaterThan(CHUNK * 2);
    const [compiled, bitmap, bytesOnly] = scanThree(bytes, ['eventName', 'eventID', 'x']);
    expect(compiled).not.toBe('undefined');
    expect([compiled, bitmap]).toEqual([bytesOnly, bytesOnly]);
    // Cut inside the last string: rejected by all three.
    const cut = bytes.subarray(0, bytes.length - 5);
    expect(scanThree(cut, ['eventName'])).toEqual(['undefined', 'undefined', 'undefined']);
  });

  it('takes a log file in the compiled walk (so the walk the tests compare is the one that runs)', () => {
    const bytes = Buffer.from(JSON.stringify({ Records: [{ eventName: 'a', eventID: '1' }, 2, 'x'] }));
    const scanned = scanElementsInWasm(bytes, '{"Records":['.length, [Buffer.from('eventName')]);
    expect(scanned?.count).toBe(3);
    expect(Array.from(scanned?.rowOf ?? [])).toEqual([0, -1, -1]);
  });

  it('agrees on a list of 100,000 one-byte elements (outputs sized for the worst case on a second try)', () => {
    const bytes = Buffer.from(
      `{"Records":[${Array.from({ length: 100_000 }, (_, i) => (i % 7 === 0 ? '{}' : '1')).join(',')}]}`,
    );
    const [compiled, bitmap, bytesOnly] = scanThree(bytes, ['eventName']);
    expect(compiled).not.toBe('undefined');
    expect([compiled, bitmap]).toEqual([bytesOnly, bytesOnly]);
  });

  it('agrees on a record nested deeper than the compiled walk follows (it leaves that to JavaScript)', () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const bytes = Buffer.from(`{"Records":[{"eventName":"a","x":${deep}},{"eventName":"b"}]}`);
    // Spans and skim only: the parsed element is too deep for JSON.stringify.
    const [compiled, bitmap, bytesOnly] = scanThree(bytes, ['eventName', 'x'], false);
    expect(compiled).not.toBe('undefined');
    expect([compiled, bitmap]).toEqual([bytesOnly, bytesOnly]);
    expect(scanThree(bytes.subarray(0, bytes.length - 30), ['eventName'], false)).toEqual([
      'undefined',
      'undefined',
      'undefined',
    ]);
  });
});

describe('the three walks at chunk and word boundaries', () => {
  const CHUNK_SIZE = 64 * 1024;
  const offsets = [31, 32, 63, 64, CHUNK_SIZE - 32, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, CHUNK_SIZE + 32];
  const specials = ['"', '\n', '\\u0041', '\\\\u', '\u0001', '\\"', 'é'];

  it('agree with a quote, an escape or a control byte at every boundary offset, and when cut there', () => {
    fc.assert(
      fc.property(fc.constantFrom(...offsets), fc.constantFrom(...specials), fc.nat(40), (offset, special, cut) => {
        // One long string member, its special text placed so it lands on `offset` in the document.
        const head = '{"Records":[{"eventName":"';
        const filler = 'y'.repeat(Math.max(0, offset - head.length));
        const text = `${head}${filler}${special}${'z'.repeat(200)}"},{"eventName":"b"}]}`;
        const bytes = Buffer.from(text, 'utf8');
        const [compiled, bitmap, bytesOnly] = scanThree(bytes, ['eventName']);
        expect([compiled, bitmap]).toEqual([bytesOnly, bytesOnly]);
        const shorter = bytes.subarray(0, Math.max(0, offset + 1 - (cut % 3)));
        const cutThree = scanThree(shorter, ['eventName']);
        expect(cutThree).toEqual(['undefined', 'undefined', 'undefined']);
      }),
      { numRuns: 300 },
    );
  });
});
