/**
 * `replay --threads N`: N-1 worker threads run the pipeline's per-file work (read, gunzip, prefilter, parse,
 * normalize, detect) of local files, and of the parts of one big log file (cli/replay-parts.ts), while the
 * main thread works too. What a worker gives back is a RunOutcome (shared/pipeline.ts): the items of its
 * input in order, which the main thread replays into the one DetectionRun in input order. With one worker
 * (`--threads 2`) files are `decode` jobs instead: the worker only reads, gunzips and scans each file
 * (DetectionRun.predecode) and the main thread ingests what it gives (ingestPredecoded), which splits each
 * file's work about in half and keeps the worker's own code small and quickly warm. Ids seen,
 * duplicates, the memory stage, groups, stats, output and the exit code stay on the main thread, so
 * alerts, rejections and exit codes are the ones of `--threads 1`.
 * A worker that fails or dies loses nothing: what it held is done again on the main thread.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { isGzip, type PredecodedInput, scanRecordList } from '../shared/intake/decode-input';
import { adoptSpare } from '../shared/intake/spare-inflate';
import { type DetectionRun, type Predecoded, RECORD_LIST_BYTES, type RunOutcome } from '../shared/pipeline';
import { errorMessage } from '../shared/errors';
import { type InputFile, readInput, releaseInput } from './read-inputs';

/** `--threads` when not given: the cores this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** `--threads N`: a whole number from 1 to 256. */
export function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return /^[1-9]\d{0,2}$/.test(text) && Number(text) <= 256 ? Number(text) : Number.NaN;
}

/** Where a part of a list says its records are: no file name holds a NUL, so this never meets a real one. */
export const PART_POSITION = '\u0000';

/**
 * What a worker (or the main thread) gives for a job: a file's outcome, or with `decode` jobs its gunzip and
 * scan (DetectionRun.predecode). `lost`: it could not say; do the input again here.
 */
export type FileResult =
  | { outcome: RunOutcome }
  /** `worker`: decoded on a worker thread, whose spare buffer (if any) goes back to it (ReplayWorkers.giveBack). */
  | { decoded: Predecoded; worker?: true }
  | { readError: string }
  | { lost: true };
export type PartResult = { outcome: RunOutcome; count: number } | { invalid: true } | { lost: true };

export type Job =
  | { id: number; type: 'file' | 'decode'; path: string }
  | { id: number; type: 'part'; bytes: Uint8Array }
  /** A spare buffer a decoded file came in (spare-inflate.ts), back to the worker for its next files. */
  | { id: number; type: 'spare'; buffer: ArrayBuffer };

/**
 * A part of a record list (`{"Records":[` + some elements + `]}`) through a `recordOutcome` run: the
 * items of its elements at PART_POSITION, numbered from 0, or `invalid` when it is not such a document.
 */
export async function ingestPart(run: DetectionRun<unknown>, bytes: Uint8Array): Promise<PartResult> {
  // Whatever a part that failed half-way left behind is not this part's.
  run.takeOutcome();
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const list = scanRecordList(data, PART_POSITION, run.skimKeys);
  if (!list) return { invalid: true };
  await run.ingestListPart(list);
  return { outcome: run.takeOutcome(), count: list.count };
}

/**
 * A whole file through a `recordOutcome` run, as a worker and the main thread both read one: its outcome,
 * `readError` when it cannot be read, `lost` when the run failed on it (the file is then read again on the
 * main thread's own run, which says why).
 */
export async function ingestFile(
  run: DetectionRun<unknown>,
  file: InputFile,
  read: (file: InputFile) => Promise<Buffer> = readInput,
): Promise<FileResult> {
  const bytes = await readOrSay(read, file);
  if (!Buffer.isBuffer(bytes)) return bytes;
  try {
    await run.ingestBytes(bytes, file.path);
  } catch {
    run.takeOutcome();
    return { lost: true };
  } finally {
    releaseInput(bytes);
  }
  return { outcome: run.takeOutcome() };
}

/**
 * A whole file's first half (DetectionRun.predecode: read, gunzip, record-list scan), as a worker and the
 * main thread both do it for `decode` jobs; the main thread's run then ingests it (ingestPredecoded).
 */
export async function decodeFile(
  run: DetectionRun<unknown>,
  file: InputFile,
  read: (file: InputFile) => Promise<Buffer> = readInput,
): Promise<FileResult> {
  const bytes = await readOrSay(read, file);
  if (!Buffer.isBuffer(bytes)) return bytes;
  const decoded = run.predecode(bytes);
  // A gzip file's bytes are done with once inflated; a plain file's are the decoded bytes themselves.
  if (isGzip(bytes)) releaseInput(bytes);
  return { decoded };
}

/** The file's bytes, or the `readError` a job answers when it cannot be read. */
async function readOrSay(
  read: (file: InputFile) => Promise<Buffer>,
  file: InputFile,
): Promise<Buffer | { readError: string }> {
  try {
    return await read(file);
  } catch (error) {
    return { readError: errorMessage(error) };
  }
}

/**
 * The buffers a decoded file's data may travel in without a copy: its own (never Buffer's shared pool,
 * which other buffers of the thread still use; small ones are copied), once each.
 */
export function decodedTransfer(result: FileResult): ArrayBuffer[] {
  if (!('decoded' in result)) return [];
  const input = result.decoded.input;
  if (input.type === 'rejected') return [];
  const views: ArrayBufferView[] = [input.data];
  if (input.type === 'recordList') {
    const { spans, plain, rowOf, fields, values } = input.elements;
    views.push(spans, plain, rowOf, fields, values);
  }
  const buffers = new Set<ArrayBuffer>();
  for (const view of views)
    if (view.buffer instanceof ArrayBuffer && view.buffer.byteLength > 2 * Buffer.poolSize) buffers.add(view.buffer);
  return [...buffers];
}

/** A decoded file as it arrives from a worker: its data a Buffer again (a message carries plain Uint8Arrays). */
export function revived(decoded: Predecoded): Predecoded {
  const input = decoded.input;
  if (input.type === 'rejected' || Buffer.isBuffer(input.data)) return decoded;
  const data = input.data as Uint8Array;
  return { ...decoded, input: { ...input, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) } };
}

/**
 * Whether a local file is big enough to be read in parts over every thread (cli/replay-parts.ts) instead
 * of whole by one worker: RECORD_LIST_BYTES decoded, by its size or its gzip trailer's (a hint only).
 */
export function worthParts(file: InputFile): boolean {
  if (file.size >= RECORD_LIST_BYTES) return true;
  // Deflate packs JSON this repetitive at most about 1032:1; below that a file cannot be big.
  if (file.size < RECORD_LIST_BYTES / 1032 || file.object || file.path === '-') return false;
  let fd: number | undefined;
  try {
    fd = openSync(file.path, 'r');
    const ends = Buffer.alloc(4);
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    readSync(fd, ends, 0, 4, file.size - 4);
    return isGzip(head) && ends.readUInt32LE(0) >= RECORD_LIST_BYTES;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
/** How many files past the one being counted may be done (or under way) on workers. */
const FILES_AHEAD = 64;
/** The same for `decode` jobs, whose results hold a file's decoded bytes each: a few keep the worker busy. */
const DECODED_AHEAD = 6;

/** The size of the buffers parts travel in (a part is about PART_BYTES, cut at the next record). */
export const PART_BUFFER_BYTES = 12 * 1024 * 1024;

/** Parts a worker holds at once (one running, one waiting): enough to keep it busy, little memory. */
const JOBS_PER_WORKER = 2;
/**
 * Files a worker holds at once. A file job is a path, so more cost nothing; they keep a worker busy while the
 * main thread is inside a file of its own and cannot hand out more.
 */
const FILE_JOBS_PER_WORKER = 6;
/** Decode jobs a worker holds at once (their results wait in line, DECODED_AHEAD). */
const DECODE_JOBS_PER_WORKER = 3;

export interface ReplayWorkers {
  /**
   * Starts the job on a worker with room for it; undefined when every worker is full (or none is left). With
   * `decode` workers the job is a `decode` one: the file's first half only (decodeFile).
   */
  tryFile(path: string): Promise<FileResult> | undefined;
  /** Whether the workers' file jobs are `decode` ones. */
  readonly decode: boolean;
  /** After a worker's decoded file was ingested: its spare buffer back to a worker (or to this thread's). */
  giveBack(input: PredecodedInput): void;
  tryPart(bytes: Uint8Array): Promise<PartResult> | undefined;
  /** Resolves when a worker may have room (at once when one has), false when no worker is left. */
  room(): Promise<boolean>;
  /** A buffer for a part of `size` bytes: one a worker gave back when it fits (no fresh pages, no garbage). */
  partBuffer(size: number): Buffer;
  /** Called whenever a worker finished a job (and has room again). */
  onRoom?: () => void;
  close(): Promise<void>;
}

/**
 * Offers the files after the one being counted to the workers, as they have room. `take(index)`: that
 * file's result, or undefined when it is the main thread's to read (not offered, or lost by a worker).
 * With `here` (the main thread's own reader of a file into an outcome), the main thread does not sit idle
 * while a worker is still on the file it waits for: it reads the next file nobody has taken yet itself,
 * and its result waits in line like a worker's.
 */
export function offerAhead(
  files: readonly InputFile[],
  workers: ReplayWorkers,
  here?: (file: InputFile) => Promise<FileResult>,
): { take(index: number): Promise<FileResult | undefined> } {
  const started = new Map<number, Promise<FileResult>>();
  // worthParts may read a file's gzip trailer: once per file.
  const big: boolean[] = [];
  const bigAt = (index: number) => (big[index] ??= worthParts(files[index]));
  let current = 0;
  let next = 0;
  const window = workers.decode ? DECODED_AHEAD : FILES_AHEAD;
  const inWindow = () => next < files.length && next <= current + window;
  const offer = () => {
    next = Math.max(next, current + 1);
    while (inWindow()) {
      const file = files[next];
      if (!bigAt(next)) {
        const result = workers.tryFile(file.path);
        if (!result) return;
        started.set(next, result);
      }
      next++;
    }
  };
  workers.onRoom = offer;
  return {
    async take(index) {
      current = index;
      const result = started.get(index);
      started.delete(index);
      offer();
      if (result && here) {
        let settled = false;
        const done = () => {
          settled = true;
        };
        result.then(done, done);
        await Promise.resolve();
        // A big file is read in parts by the loop itself; the main thread takes only whole files here.
        while (!settled && inWindow() && !bigAt(next)) {
          const mine = next++;
          const answer = await here(files[mine]).catch((): FileResult => ({ lost: true }));
          started.set(mine, Promise.resolve(answer));
        }
      }
      const done = await result;
      return done && !('lost' in done) ? done : undefined;
    },
  };
}

/** The worker bundle beside the CLI bundle (dist/cli/replay-worker.js); absent when run from sources. */
export function workerScript(): string | undefined {
  const script = join(__dirname, 'replay-worker.js');
  return existsSync(script) ? script : undefined;
}

export interface WorkerSetup {
  /** The function to replay and the environment its config was loaded from (the worker loads it again). */
  functionName: string;
  env: Record<string, string | undefined>;
}

/** The workerData of a worker bin/trailguard.js started before the CLI loaded: its setup comes as a message. */
export const EARLY_WORKER = 'trailguard early replay worker';
export type SetupMessage = { type: 'setup'; setup: WorkerSetup };

/** Where bin/trailguard.js leaves the worker it started early. */
const EARLY_SLOT = Symbol.for('trailguard.earlyReplayWorker');
interface EarlyWorker {
  worker: Worker;
  script: string;
  exited: boolean;
}

/**
 * The worker bin/trailguard.js started while the CLI loaded (a replay over a folder, with threads), if it
 * runs `script` and still lives; it is this caller's from now on. Each worker spends its first ~100 ms
 * starting (Node's own bootstrap of a thread, then its bundle): started early, that overlaps the main
 * thread's own start instead of following it.
 */
function adoptEarlyWorker(script: string): Worker | undefined {
  const early = (globalThis as Record<symbol, EarlyWorker | undefined>)[EARLY_SLOT];
  (globalThis as Record<symbol, EarlyWorker | undefined>)[EARLY_SLOT] = undefined;
  if (!early) return undefined;
  if (early.script === script && !early.exited) return early.worker;
  void early.worker.terminate();
  return undefined;
}

/** Ends the early worker, when this replay turned out to need none (one file, S3 objects, stdin). */
export function discardEarlyWorker(): void {
  adoptEarlyWorker('');
}

/**
 * With `decode`, whole files are `decode` jobs: a worker reads, gunzips and scans them, and the main thread
 * does the rest (for one worker beside the main thread, where splitting each file that way keeps both
 * busy and the worker's code small and quickly warm). Otherwise a worker does all of a file's work.
 */
export function startReplayWorkers(
  count: number,
  script: string,
  setup: WorkerSetup,
  { decode = false }: { decode?: boolean } = {},
): ReplayWorkers {
  interface Slot {
    worker: Worker;
    jobs: Map<number, (result: FileResult | PartResult) => void>;
    alive: boolean;
    /**
     * It has loaded its config and said so. Jobs go to ready workers only: until one is, the main thread
     * reads every file itself rather than wait for a thread that is still starting.
     */
    ready: boolean;
  }
  let nextId = 0;
  const slots: Slot[] = [];
  const spare: ArrayBuffer[] = [];
  let waiting: (() => void)[] = [];
  const roomNow = () => slots.some((slot) => slot.alive && slot.ready && slot.jobs.size < JOBS_PER_WORKER);
  const wake = () => {
    const woken = waiting;
    waiting = [];
    for (const resolve of woken) resolve();
    pool.onRoom?.();
  };
  const pool: ReplayWorkers = {
    decode,
    tryFile: (path) =>
      post(
        (id) => ({ id, type: decode ? 'decode' : 'file', path }),
        decode ? DECODE_JOBS_PER_WORKER : FILE_JOBS_PER_WORKER,
      ) as Promise<FileResult> | undefined,
    tryPart: (bytes) =>
      post((id) => ({ id, type: 'part', bytes }), JOBS_PER_WORKER, [bytes.buffer as ArrayBuffer]) as
        | Promise<PartResult>
        | undefined,
    async room() {
      while (!roomNow()) {
        if (!slots.some((slot) => slot.alive)) return false;
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      return true;
    },
    giveBack(input) {
      const buffer = input.type === 'rejected' || !input.spare ? undefined : input.data.buffer;
      if (!(buffer instanceof ArrayBuffer)) return;
      const slot = slots.find((one) => one.alive && one.ready);
      try {
        if (slot) return slot.worker.postMessage({ id: -1, type: 'spare', buffer } satisfies Job, [buffer]);
      } catch {
        // Not sent (the worker is gone): kept here instead, unless it went anyway (then it is detached, and
        // too small to be kept).
      }
      // It came from another thread: this one's to keep only when adopted (releaseSpare takes back leases).
      adoptSpare(buffer);
    },
    partBuffer(size) {
      const reused = size <= PART_BUFFER_BYTES ? spare.pop() : undefined;
      return Buffer.from(reused ?? new ArrayBuffer(Math.max(size, PART_BUFFER_BYTES)), 0, size);
    },
    async close() {
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
  const lose = (slot: Slot) => {
    slot.alive = false;
    for (const settle of slot.jobs.values()) settle({ lost: true });
    slot.jobs.clear();
    slot.worker.unref();
    wake();
  };
  for (let k = 0; k < count; k++) {
    const early = k === 0 ? adoptEarlyWorker(script) : undefined;
    const worker = early ?? new Worker(script, { workerData: setup });
    if (early) early.postMessage({ type: 'setup', setup } satisfies SetupMessage);
    const slot: Slot = { worker, jobs: new Map(), alive: true, ready: false };
    worker.on('message', (message: { id: number; result: FileResult | PartResult; bytes?: Uint8Array } | 'ready') => {
      if (message === 'ready') {
        slot.ready = true;
        return wake();
      }
      const settle = slot.jobs.get(message.id);
      slot.jobs.delete(message.id);
      // An idle worker does not keep the process alive; a busy one must (the main thread waits for it).
      if (slot.jobs.size === 0) worker.unref();
      const buffer = message.bytes?.buffer;
      if (buffer instanceof ArrayBuffer && buffer.byteLength === PART_BUFFER_BYTES && spare.length < count * 2)
        spare.push(buffer);
      const result = message.result;
      settle?.('decoded' in result ? { decoded: revived(result.decoded), worker: true } : result);
      wake();
    });
    // A worker that could not start (its config) or died: its jobs are done again on the main thread.
    worker.on('error', () => lose(slot));
    worker.on('exit', () => lose(slot));
    worker.unref();
    slots.push(slot);
  }
  function post(
    job: (id: number) => Job,
    limit: number,
    transfer: ArrayBuffer[] = [],
  ): Promise<FileResult | PartResult> | undefined {
    let best: Slot | undefined;
    for (const slot of slots)
      if (slot.alive && slot.ready && slot.jobs.size < limit && (!best || slot.jobs.size < best.jobs.size)) best = slot;
    if (!best) return undefined;
    const chosen = best;
    const id = nextId++;
    return new Promise((resolve) => {
      chosen.jobs.set(id, resolve);
      chosen.worker.ref();
      try {
        chosen.worker.postMessage(job(id), transfer);
      } catch {
        chosen.jobs.delete(id);
        resolve({ lost: true });
      }
    });
  }
  return pool;
}
