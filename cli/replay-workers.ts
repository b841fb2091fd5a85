/**
 * `replay --threads N`: gunzip, a third to a half of reading a CloudTrail file, runs in N-1 worker threads
 * while the main thread parses and detects the file before. The pipeline then gets the inflated bytes and
 * does exactly what it does with a plain file, in input order: the same alerts, in the same order, the same
 * rejections and exit code as one thread. Whatever a worker cannot inflate within the cap (corrupt, truncated,
 * a bomb, empty after gunzip) goes to the pipeline as it came, so its message is the one-thread message.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, isGzip } from '../shared/intake/decode-input';

/** The worker: inflates with zlib's output cap (as decode-input's gunzipCapped), or says it could not. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { gunzipSync } = require('node:zlib');
parentPort.on('message', ({ id, bytes, cap }) => {
  let out;
  try {
    out = gunzipSync(bytes, { maxOutputLength: cap });
  } catch {
    parentPort.postMessage({ id, bytes: undefined });
    return;
  }
  const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
  parentPort.postMessage({ id, bytes: own }, [own.buffer]);
});
`;

/** `--threads` when not given: the cores this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

export interface InflatePool {
  /** The inflated bytes, or the input itself when it is not gzip or a worker could not inflate it. */
  prepare(bytes: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Bytes scanned for JSON content after gunzip; past that the pipeline gunzips itself (its "empty" message). */
const CONTENT_PROBE = 4096;

export function createInflatePool(workers: number, maxDecompressedBytes: number | undefined): InflatePool {
  const cap = Math.max(1, Math.floor(maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES));
  const pending = new Map<number, (bytes: Uint8Array | undefined) => void>();
  const load: number[] = [];
  let started: Worker[] | undefined;
  // Started on the first gzip input: a run of plain files never pays for them.
  const threadsNow = () => (started ??= startWorkers());
  const startWorkers = () =>
    Array.from({ length: Math.max(1, workers) }, (_v, index) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      load.push(0);
      worker.on('message', ({ id, bytes }: { id: number; bytes?: Uint8Array }) => {
        load[index] -= 1;
        // An idle worker does not keep the process alive; a busy one must (the pipeline waits for it).
        if (load[index] === 0) worker.unref();
        pending.get(id)?.(bytes);
        pending.delete(id);
      });
      // A worker that dies leaves its files to the pipeline (which inflates them itself).
      worker.on('error', () => {
        for (const resolve of pending.values()) resolve(undefined);
        pending.clear();
      });
      worker.unref();
      return worker;
    });
  let nextId = 0;
  return {
    async prepare(bytes) {
      if (!isGzip(bytes)) return bytes;
      const threads = threadsNow();
      let index = 0;
      for (let i = 1; i < load.length; i++) if (load[i] < load[index]) index = i;
      const id = nextId++;
      load[index] += 1;
      threads[index].ref();
      const inflated = await new Promise<Uint8Array | undefined>((resolve) => {
        pending.set(id, resolve);
        threads[index].postMessage({ id, bytes, cap });
      });
      return inflated && hasContent(inflated) ? inflated : bytes;
    },
    async close() {
      await Promise.all((started ?? []).map((worker) => worker.terminate()));
    },
  };
}

function hasContent(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, CONTENT_PROBE);
  for (let i = 0; i < end; i++) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return true;
  }
  return false;
}

/** `--threads N`: a whole number from 1 to 256. */
export function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return /^[1-9]\d{0,2}$/.test(text) && Number(text) <= 256 ? Number(text) : Number.NaN;
}
