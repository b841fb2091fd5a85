/**
 * The record-list scan's compiled half (record-scan.c, WebAssembly with SIMD), loaded on first use:
 * - scanElementsInWasm: decode-input.ts's element walk, compiled, for documents up to WASM_SCAN_MAX_BYTES;
 * - stringStops: for the JavaScript walk (bigger documents, or a nesting deeper than WASM_STACK): where
 *   plain string content ends, one bit per byte, so that walk crosses a string by its next set bit.
 *
 * Without WebAssembly (a `--jitless` Node, a runtime without SIMD) both answer undefined and decode-input.ts
 * walks and tests bytes as before: the same answers, only slower.
 */
import { RECORD_SCAN_WASM } from './record-scan-wasm.generated';

/** What a walk of a record list's elements found (decode-input.ts reads it into a RecordList). */
export interface ScannedElements {
  count: number;
  /** Start and end offset of each element. */
  spans: Uint32Array;
  /** With skim keys, per element: 0 not an object or an escaped member name, 1 no backslash, 2 `\u`, 3 other escapes. */
  plain: Uint8Array;
  /** With skim keys, per element: its row in fields and values, or -1. */
  rowOf: Int32Array;
  /** Per row and key: the member's string value (start, end), NUMBER_AT - start for a number, or a FIELD_ code. */
  fields: Int32Array;
  /** Per row and key: where the member's raw value text lies, or a FIELD_ code. */
  values: Int32Array;
}

/** Documents above this are walked in JavaScript (with the stop bitmap): no second copy of them is made. */
export const WASM_SCAN_MAX_BYTES = 32 * 1024 * 1024;
/** Nesting the compiled walk follows; a deeper document is walked in JavaScript. */
const WASM_STACK = 4096;
/** Outputs sized for the worst case (every element one byte) are tried only while they stay below this. */
const WORST_CASE_OUTPUT_BYTES = 64 * 1024 * 1024;
const INVALID = -1;
const NO_ROOM = -2;

/** Bytes copied into WebAssembly memory and classified per call (a multiple of 32). */
const CHUNK = 64 * 1024;
const PAGE = 64 * 1024;

/** The little of the WebAssembly API used here (the project's lib has no DOM types, which declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}
interface Compiled {
  readonly memory: WasmMemory;
  readonly __heap_base: { readonly value: number };
  readonly classify: (src: number, length: number, dst: number) => void;
  readonly scan: (...args: number[]) => number;
}

/** undefined: not tried yet; null: not available here. */
let compiled: Compiled | null | undefined;
/** Test switches (useWasmScan). */
let walkEnabled = true;
let bitmapEnabled = true;

function load(): Compiled | undefined {
  if (compiled === undefined) {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    // The outputs are read through typed arrays in host byte order; WebAssembly memory is little-endian.
    const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    try {
      compiled =
        wasm && littleEndian
          ? (new wasm.Instance(new wasm.Module(Buffer.from(RECORD_SCAN_WASM, 'base64'))).exports as Compiled)
          : null;
    } catch {
      compiled = null;
    }
  }
  return compiled ?? undefined;
}

const align = (at: number, to: number) => Math.ceil(at / to) * to;

/** Memory up to `end` bytes, grown if need be; undefined if it cannot grow (the JavaScript walk needs none). */
function memoryTo(wasm: Compiled, end: number): ArrayBuffer | undefined {
  const have = wasm.memory.buffer.byteLength;
  if (have < end) {
    try {
      wasm.memory.grow(Math.ceil((end - have) / PAGE));
    } catch {
      return undefined;
    }
  }
  return wasm.memory.buffer;
}

/**
 * decode-input.ts's element walk, compiled: from `i` (the first byte after `[` and its whitespace) to the
 * end of `data`. null when the document is not valid JSON of that shape; undefined when the compiled walk
 * does not take it (no WebAssembly, a document above WASM_SCAN_MAX_BYTES, nesting deeper than WASM_STACK,
 * or outputs that do not fit): the caller walks it in JavaScript.
 */
export function scanElementsInWasm(
  data: Uint8Array,
  i: number,
  keys: readonly Uint8Array[],
): ScannedElements | null | undefined {
  const n = data.length;
  if (n > WASM_SCAN_MAX_BYTES || !walkEnabled) return undefined;
  const wasm = load();
  if (!wasm) return undefined;
  // Typical records are hundreds of bytes: outputs for one per 64 bytes, object rows for one per 256.
  const first = walk(wasm, data, i, keys, (n >>> 6) + 64, (n >>> 8) + 64);
  if (first !== NO_ROOM) return first;
  const worst = (n >>> 1) + 2;
  if (worst * (13 + keys.length * 16) > WORST_CASE_OUTPUT_BYTES) return undefined;
  const second = walk(wasm, data, i, keys, worst, worst);
  return second === NO_ROOM ? undefined : second;
}

function walk(
  wasm: Compiled,
  data: Uint8Array,
  i: number,
  keys: readonly Uint8Array[],
  elementCap: number,
  rowCap: number,
): ScannedElements | null | undefined | typeof NO_ROOM {
  const n = data.length;
  const slots = keys.length;
  const keyTotal = keys.reduce((sum, key) => sum + key.length, 0);
  // The document, then 64 zero bytes (the SIMD string search stops on them), keys, outputs, stack.
  const dataAt = align(wasm.__heap_base.value, 16);
  const keysAt = align(dataAt + n + 64, 16);
  const keyStartsAt = align(keysAt + keyTotal, 4);
  const spansAt = align(keyStartsAt + (slots + 1) * 4, 16);
  const rowOfAt = spansAt + elementCap * 8;
  const fieldsAt = rowOfAt + elementCap * 4;
  const valuesAt = fieldsAt + rowCap * slots * 8;
  const outAt = valuesAt + rowCap * slots * 8;
  const plainAt = outAt + 16;
  const stackAt = plainAt + align(elementCap, 16);
  const buffer = memoryTo(wasm, stackAt + WASM_STACK);
  if (!buffer) return undefined;
  const bytes = new Uint8Array(buffer);
  bytes.set(data, dataAt);
  bytes.fill(0, dataAt + n, dataAt + n + 64);
  const keyStarts = new Uint32Array(buffer, keyStartsAt, slots + 1);
  let at = 0;
  keys.forEach((key, k) => {
    bytes.set(key, keysAt + at);
    keyStarts[k] = at;
    at += key.length;
  });
  keyStarts[slots] = at;
  const count = wasm.scan(
    dataAt,
    n,
    i,
    keysAt,
    keyStartsAt,
    slots,
    spansAt,
    plainAt,
    rowOfAt,
    fieldsAt,
    valuesAt,
    elementCap,
    rowCap,
    stackAt,
    WASM_STACK,
    outAt,
  );
  if (count === INVALID) return null;
  if (count === NO_ROOM) return NO_ROOM;
  if (count < 0) return undefined;
  // Copied out: the next scan overwrites this memory, and a list lives until its file is done.
  const rows = slots > 0 ? new Int32Array(buffer, outAt, 1)[0] : 0;
  return {
    count,
    spans: new Uint32Array(buffer, spansAt, count * 2).slice(),
    plain: new Uint8Array(buffer, plainAt, slots > 0 ? count : 0).slice(),
    rowOf: new Int32Array(buffer, rowOfAt, slots > 0 ? count : 0).slice(),
    fields: new Int32Array(buffer, fieldsAt, rows * slots * 2).slice(),
    values: new Int32Array(buffer, valuesAt, rows * slots * 2).slice(),
  };
}

/**
 * The stop bitmap of `data`: bit `i & 31` of word `i >>> 5` is set when `data[i]` is `"`, `\` or below 0x20.
 * Every bit from `data.length` to the end of the last word is set too (the padding is zero bytes), so a
 * search for the next stop always ends inside the bitmap, at `data.length` at the latest. The words live
 * in WebAssembly memory and are overwritten by the next call: use them before asking again.
 */
export function stringStops(data: Uint8Array): Int32Array | undefined {
  if (!bitmapEnabled) return undefined;
  const wasm = load();
  if (!wasm) return undefined;
  const n = data.length;
  // Rounded up past n, so there is always at least one padding byte.
  const padded = (n + 32) & ~31;
  const scratchAt = align(wasm.__heap_base.value, 16);
  const bitmapAt = scratchAt + CHUNK + 32;
  const buffer = memoryTo(wasm, bitmapAt + padded / 8);
  if (!buffer) return undefined;
  const bytes = new Uint8Array(buffer);
  for (let at = 0; ; at += CHUNK) {
    const length = Math.min(CHUNK, n - at);
    bytes.set(data.subarray(at, at + length), scratchAt);
    if (length === CHUNK && at + CHUNK < n) {
      wasm.classify(scratchAt, CHUNK, bitmapAt + at / 8);
      continue;
    }
    // The last chunk (possibly empty, possibly full): zeros after it, classified up to the padded end.
    const end = (length + 32) & ~31;
    bytes.fill(0, scratchAt + length, scratchAt + end);
    wasm.classify(scratchAt, end, bitmapAt + at / 8);
    break;
  }
  return new Int32Array(buffer, bitmapAt, padded / 32);
}

/**
 * For tests, to compare the three walks: the compiled walk (`walk`), else the JavaScript walk with the stop
 * bitmap (`bitmap`), else the JavaScript walk testing bytes. Both true is the default.
 */
export function useWasmScan(walk: boolean, bitmap: boolean): void {
  walkEnabled = walk;
  bitmapEnabled = bitmap;
}
