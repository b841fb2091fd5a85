/**
 * Where plain string content ends, for a whole decoded document at once: one bit per byte, set for `"`, `\`
 * and the control characters JSON forbids raw (string-stops.wat, 16 bytes per WebAssembly SIMD compare).
 * The validating scan (decode-input.ts) then crosses a string by finding the next set bit instead of
 * testing its bytes one by one in JavaScript, which was the scan's floor.
 *
 * Without WebAssembly SIMD (a `--jitless` Node, a runtime without it) stringStops answers undefined and the
 * scan tests bytes as before: same answers, only slower.
 */
import { STRING_STOPS_WASM } from './string-stops-wasm.generated';

/** Bytes copied into WebAssembly memory and classified per call (a multiple of 32). */
const CHUNK = 64 * 1024;
/** The bitmap follows the chunk and its padding, 16-byte aligned. */
const BITMAP_AT = CHUNK + 32;
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

interface Classifier {
  readonly memory: WasmMemory;
  readonly classify: (src: number, length: number, dst: number) => void;
}

/** undefined: not tried yet; null: not available here. */
let classifier: Classifier | null | undefined;
let enabled = true;

function loadClassifier(wasm: WasmApi): Classifier | null {
  try {
    const module = new wasm.Module(Buffer.from(STRING_STOPS_WASM, 'base64'));
    const exports = new wasm.Instance(module).exports as Classifier;
    return { memory: exports.memory, classify: exports.classify };
  } catch {
    return null;
  }
}

/**
 * The stop bitmap of `data`: bit `i & 31` of word `i >>> 5` is set when `data[i]` is `"`, `\` or below 0x20.
 * Every bit from `data.length` to the end of the last word is set too (the padding is zero bytes), so a
 * search for the next stop always ends inside the bitmap, at `data.length` at the latest. The words live
 * in WebAssembly memory and are overwritten by the next call: use them before asking again.
 */
export function stringStops(data: Uint8Array): Int32Array | undefined {
  if (!enabled) return undefined;
  if (classifier === undefined) {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    classifier = wasm ? loadClassifier(wasm) : null;
  }
  if (classifier === null) return undefined;
  const n = data.length;
  // Rounded up past n, so there is always at least one padding byte.
  const padded = (n + 32) & ~31;
  const { memory, classify } = classifier;
  const need = BITMAP_AT + padded / 8;
  if (memory.buffer.byteLength < need) {
    try {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    } catch {
      return undefined; // no memory for the bitmap: the byte-by-byte scan needs none
    }
  }
  const bytes = new Uint8Array(memory.buffer);
  for (let at = 0; ; at += CHUNK) {
    const length = Math.min(CHUNK, n - at);
    bytes.set(data.subarray(at, at + length), 0);
    if (length === CHUNK && at + CHUNK < n) {
      classify(0, CHUNK, BITMAP_AT + at / 8);
      continue;
    }
    // The last chunk (possibly empty, possibly full): zeros after it, classified up to the padded end.
    const end = (length + 32) & ~31;
    bytes.fill(0, length, end);
    classify(0, end, BITMAP_AT + at / 8);
    break;
  }
  return new Int32Array(memory.buffer, BITMAP_AT, padded / 32);
}

/** For tests: the scan without the bitmap (false) or with it again (true), to check both give the same answers. */
export function useStringStops(on: boolean): void {
  enabled = on;
}
