/**
 * Gunzip into output buffers that are used again, for callers that read many files one after another
 * (the replay CLI, DetectionRun's `reuseBuffers`). A new output buffer per file is fresh memory, and
 * touching fresh memory costs a page fault per 4 KiB: on the machines we measure on (a sandboxed kernel)
 * that is ~2.5 ms per MiB, more than inflating the MiB. Inflating 150 one-MiB log files into reused
 * buffers took 195-214 ms and 5,000 page faults, against 315-353 ms and 15,000 for gunzipSync.
 *
 * Node has no public API that inflates into a buffer of the caller's: this uses the zlib stream's own
 * handle (`_handle.writeSync`, `_writeState`), the call gunzipSync itself makes, and checks it is there.
 * It only ever takes the plain case: the whole input inflates without an error into the room given,
 * within the cap. Anything else (an error, a cap reached, an output larger than the room, a Node whose
 * zlib is built otherwise) answers undefined, and the caller inflates with gunzipSync as before, which
 * gives every result and every error message it always gave.
 */
import type { Gunzip } from 'node:zlib';
import { nodeZlib } from '../lazy-builtins';

/** The largest output inflated this way; larger ones (replay reads them in parts anyway) take gunzipSync. */
const MAX_SPARE = 40 * 1024 * 1024;
/** Spare buffers kept for the next inputs, at most this many bytes in all. */
const MAX_KEPT_BYTES = 96 * 1024 * 1024;
const MAX_KEPT = 16;
/** Room is given in whole MiB, so one buffer serves files of about the same size. */
const STEP = 1024 * 1024;

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    out: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  onerror: unknown;
}

interface Inflater {
  gunzip: Gunzip;
  handle: ZlibHandle;
  /** [output room left, input left] after writeSync. */
  state: Uint32Array;
  failed: boolean;
}

let inflater: Inflater | undefined;
/** False once this Node turned out not to have the handle this needs. */
let supported = true;
const kept: ArrayBuffer[] = [];
let keptBytes = 0;
/**
 * The spare buffers handed out and not given back yet: only those are taken back (releaseSpare), so a
 * buffer that merely looks like one (another caller's, a slice of something still in use) never is.
 */
const leased = new WeakSet<ArrayBuffer>();
/** How many inputs were inflated into a spare buffer (the tests check the fast path is taken). */
export const spareStats = { inflated: 0 };

function inflaterNow(): Inflater | undefined {
  if (inflater) return inflater;
  if (!supported) return undefined;
  try {
    const gunzip = new (nodeZlib().Gunzip)();
    const internals = gunzip as unknown as { _handle?: ZlibHandle; _writeState?: unknown };
    const handle = internals._handle;
    const state = internals._writeState;
    // By tag, not instanceof: the handle's arrays may come from another realm (a vm context, jest's).
    if (!handle || typeof handle.writeSync !== 'function' || tag(state) !== '[object Uint32Array]') {
      supported = false;
      return undefined;
    }
    if ((state as Uint32Array).length < 2) {
      supported = false;
      return undefined;
    }
    const made: Inflater = { gunzip, handle, state: state as Uint32Array, failed: false };
    // An error says so here instead of destroying the stream; the caller then takes gunzipSync.
    handle.onerror = () => {
      made.failed = true;
    };
    inflater = made;
    return made;
  } catch {
    supported = false;
    return undefined;
  }
}

/** A spare buffer of at least `room` bytes (whole MiB), the caller's until it gives it back (releaseSpare). */
export function takeSpare(room: number): Buffer {
  const size = Math.min(Math.max(Math.ceil(room / STEP), 1) * STEP, Math.max(MAX_SPARE, room));
  let best = -1;
  for (let k = 0; k < kept.length; k++)
    if (kept[k].byteLength >= size && (best < 0 || kept[k].byteLength < kept[best].byteLength)) best = k;
  const buffer = best < 0 ? Buffer.allocUnsafeSlow(size).buffer : kept.splice(best, 1)[0];
  if (best >= 0) keptBytes -= buffer.byteLength;
  leased.add(buffer as ArrayBuffer);
  return Buffer.from(buffer, 0, buffer.byteLength);
}

/** The largest buffer takeSpare hands out for reuse (larger ones are made, and not kept). */
export const MAX_SPARE_BYTES = MAX_SPARE;

/**
 * Takes a spare buffer that comes back from another thread (the replay CLI's worker protocol) as this
 * thread's own, then gives it back.
 */
export function adoptSpare(buffer: ArrayBufferLike): void {
  if (tag(buffer) !== '[object ArrayBuffer]') return;
  leased.add(buffer as ArrayBuffer);
  releaseSpare(buffer);
}

/**
 * Gives a spare buffer back (one takeSpare handed out on this thread) once nothing reads what was put in
 * it any more. Anything else is ignored.
 */
export function releaseSpare(buffer: ArrayBufferLike): void {
  if (tag(buffer) !== '[object ArrayBuffer]' || !leased.has(buffer as ArrayBuffer)) return;
  leased.delete(buffer as ArrayBuffer);
  if (buffer.byteLength < STEP || buffer.byteLength > MAX_SPARE) return;
  // Keep the larger ones: a small one is easy to make again, and a large one serves small files too.
  while (kept.length >= MAX_KEPT || (kept.length > 0 && keptBytes + buffer.byteLength > MAX_KEPT_BYTES)) {
    let smallest = 0;
    for (let k = 1; k < kept.length; k++) if (kept[k].byteLength < kept[smallest].byteLength) smallest = k;
    if (kept[smallest].byteLength >= buffer.byteLength) return;
    keptBytes -= kept[smallest].byteLength;
    kept.splice(smallest, 1);
  }
  if (keptBytes + buffer.byteLength > MAX_KEPT_BYTES) return;
  kept.push(buffer as ArrayBuffer);
  keptBytes += buffer.byteLength;
}

function tag(value: unknown): string {
  return Object.prototype.toString.call(value);
}

/**
 * The whole of `bytes` (a gzip input) inflated into a spare buffer: a view of it from offset 0, or
 * undefined when the plain case does not hold (see above) or `stated` (the trailer's size, a hint only)
 * says it would not fit. The output is at most `limit` bytes; the buffer is the caller's until it gives it
 * back with releaseSpare.
 */
export function gunzipIntoSpare(bytes: Uint8Array, limit: number, stated: number): Buffer | undefined {
  if (stated >= MAX_SPARE || limit < 1) return undefined;
  const z = inflaterNow();
  if (!z) return undefined;
  // One byte more than the output may be: a full buffer then means "more than fits", never "it fitted".
  const out = takeSpare(Math.min(stated + 1024, MAX_SPARE));
  const length = Math.min(out.length, limit + 1);
  let produced = -1;
  try {
    z.failed = false;
    z.state[0] = 0;
    z.handle.writeSync(nodeZlib().constants.Z_FINISH, bytes, 0, bytes.length, out, 0, length);
    if (!z.failed && z.state[0] > 0) produced = length - z.state[0];
  } catch {
    z.failed = true;
  }
  try {
    if (z.failed) inflater = undefined;
    else (z.gunzip as unknown as { reset(): void }).reset();
  } catch {
    inflater = undefined;
  }
  if (produced < 0) {
    releaseSpare(out.buffer);
    return undefined;
  }
  spareStats.inflated += 1;
  return out.subarray(0, produced);
}
