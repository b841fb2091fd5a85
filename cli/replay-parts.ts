/**
 * `replay --threads N` on one big log file: gunzip runs in the background (zlib's thread pool) while the
 * records inflated so far are cut into parts of a few MiB at `},{` and parsed, normalized and detected on
 * the worker threads (or here, when they are all busy: zlib inflates on meanwhile). A cut inside a string or a nested value makes its
 * part invalid (it starts at a real boundary and does not end at one), so once every part is valid they
 * are exactly the file's list, and their outcomes, renumbered, are what reading the file in one go gives.
 * Anything else (not one `Records`/`traces` list, a gzip error, over the cap, nested payloads or S3
 * pointers in the records, a lost worker) and the file is read the ordinary way: nothing is counted twice,
 * and its messages are the one-thread messages.
 */
import { constants as bufferConstants } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { createInflationBudget, isGzip } from '../shared/intake/decode-input';
import {
  type DetectionRun,
  OUTCOME_FETCH,
  OUTCOME_FINDINGS,
  OUTCOME_RECORD,
  RECORD_LIST_BYTES,
  type RunOutcome,
} from '../shared/pipeline';
import { ingestPart, PART_POSITION, type PartResult, type ReplayWorkers } from './replay-workers';

/** About the size of a part: big enough that a job's cost dwarfs its message, small enough to spread. */
const PART_BYTES = 8 * 1024 * 1024;
/** Inflated pieces as zlib hands them over (and a plain file's bytes, viewed in pieces of this size). */
const CHUNK_BYTES = 1024 * 1024;
/** Past this much without a `},{`, the file is not a list of records as CloudTrail writes it. */
const MAX_PART_BYTES = 4 * PART_BYTES;
/** Decoded bytes zlib may run ahead of the parts (it inflates on while this thread reads a part itself). */
const INFLATE_AHEAD_BYTES = 32 * 1024 * 1024;

const TAIL = Buffer.from(']}', 'latin1');

export interface PartsSetup {
  workers: ReplayWorkers;
  /** A `recordOutcome` run of the same detector and config, for the parts this thread takes itself. */
  here: DetectionRun<unknown>;
  maxDecompressedBytes?: number;
}

/**
 * Ingests `bytes` (a file named `name`) into `run` in parts; false, with nothing ingested, when the file
 * must be read the ordinary way (run.ingestBytes).
 */
export async function ingestInParts(
  run: DetectionRun<unknown>,
  bytes: Buffer,
  name: string,
  setup: PartsSetup,
): Promise<boolean> {
  const gzipped = isGzip(bytes);
  if ((gzipped ? statedSize(bytes) : bytes.length) < RECORD_LIST_BYTES) return false;
  const limit = createInflationBudget(setup.maxDecompressedBytes).limit;
  const parts: Promise<PartResult>[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let head: Buffer | undefined;
  let key: 'Records' | 'traces' | undefined;
  let separator: Buffer | undefined;

  /** Hands the part to a worker with room, or reads it here when they are all busy (zlib runs on). */
  const send = async (part: Uint8Array): Promise<void> => {
    const started = setup.workers.tryPart(part);
    parts.push(started ?? Promise.resolve(await ingestPart(setup.here, part)));
  };
  const joined = (last: Buffer | undefined, extra: Buffer | undefined): Uint8Array => {
    const prefix = head ?? Buffer.alloc(0);
    const size = prefix.length + pendingBytes + (last?.length ?? 0) + (extra?.length ?? 0);
    const out = setup.workers.partBuffer(size);
    let at = prefix.copy(out, 0);
    for (const piece of pending) at += piece.copy(out, at);
    if (last) at += last.copy(out, at);
    if (extra) extra.copy(out, at);
    return out;
  };
  /** Takes one decoded piece; false when the file is not for parts after all. */
  const feed = async (piece: Buffer): Promise<boolean> => {
    if (key === undefined) {
      // The very first bytes: a byte-order mark goes (as decodeDocuments drops it), the list's key is read.
      if (piece.length >= 3 && piece[0] === 0xef && piece[1] === 0xbb && piece[2] === 0xbf) piece = piece.subarray(3);
      const start = listStart(piece);
      if (start === undefined) return false;
      key = start.key;
      separator = Buffer.from(`},{"${start.firstMember}":`, 'utf8');
    }
    if (pendingBytes + piece.length < PART_BYTES) {
      pending.push(piece);
      pendingBytes += piece.length;
      return true;
    }
    const at = piece.indexOf(separator as Buffer);
    if (at === -1) {
      pending.push(piece);
      pendingBytes += piece.length;
      return pendingBytes <= MAX_PART_BYTES;
    }
    // The part ends before the comma with `]}`; the next one starts at the `{` after it.
    const part = joined(piece.subarray(0, at + 1), TAIL);
    head ??= Buffer.from(`{"${key}":[`, 'latin1');
    pending = [piece.subarray(at + 2)];
    pendingBytes = pending[0].length;
    await send(part);
    return true;
  };

  let fits = true;
  let decoded = gzipped ? 0 : bytes.length;
  try {
    if (gzipped) {
      decoded = await inflateInto(bytes, limit, feed);
      fits = decoded >= 0;
    } else
      for (let at = 0; fits && at < bytes.length; at += CHUNK_BYTES)
        fits = await feed(bytes.subarray(at, Math.min(bytes.length, at + CHUNK_BYTES)));
  } catch {
    fits = false;
  }
  if (!fits || key === undefined || decoded > bufferConstants.MAX_STRING_LENGTH) return false;
  await send(joined(undefined, undefined));

  const results = await Promise.all(parts);
  let base = 0;
  const outcomes: RunOutcome[] = [];
  for (const result of results) {
    if (!('outcome' in result) || result.outcome.inflated > 0) return false;
    if (!renumber(result.outcome, name, key, base)) return false;
    base += result.count;
    outcomes.push(result.outcome);
  }
  // The file's budget: the gunzip of the whole file (its records inflated nothing, checked above).
  outcomes[0].inflated = gzipped ? decoded : 0;
  for (const outcome of outcomes) await run.applyOutcome(outcome);
  return true;
}

/**
 * `{"Records":[{"<name>":` at the start (JSON whitespace allowed): the list's key and the first member name
 * of its first record. Parts are cut where the next record starts with that name (`},{"eventVersion":` in a
 * CloudTrail log file): a bare `},{` is just as often between the objects of a record's `resources`.
 */
function listStart(data: Buffer): { key: 'Records' | 'traces'; firstMember: string } | undefined {
  const text = data.toString('latin1', 0, Math.min(data.length, 512));
  const match =
    /^[ \t\r\n]*\{[ \t\r\n]*"(Records|traces)"[ \t\r\n]*:[ \t\r\n]*\[[ \t\r\n]*\{"([A-Za-z0-9_]{1,64})":/.exec(text);
  return match ? { key: match[1] as 'Records' | 'traces', firstMember: match[2] } : undefined;
}

/**
 * Gunzips `bytes` in the background (zlib's thread pool), handing each inflated piece to `feed` as it
 * comes (one at a time: the stream's async iterator would join what piled up into one big copy). The
 * size inflated, or -1 when over `limit`, corrupt, or `feed` said no.
 */
function inflateInto(bytes: Buffer, limit: number, feed: (piece: Buffer) => Promise<boolean>): Promise<number> {
  return new Promise((resolve) => {
    const gunzip = createGunzip({ chunkSize: CHUNK_BYTES, readableHighWaterMark: INFLATE_AHEAD_BYTES } as object);
    let decoded = 0;
    let done = false;
    // The last piece's feed may still wait for a worker when the stream ends.
    let feeding = Promise.resolve();
    const finish = (size: number) => {
      if (done) return;
      done = true;
      if (size < 0) gunzip.destroy();
      resolve(size);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      decoded += chunk.length;
      if (decoded > limit) return finish(-1);
      gunzip.pause();
      feeding = feed(chunk).then(
        (ok) => void (ok ? gunzip.resume() : finish(-1)),
        () => finish(-1),
      );
    });
    gunzip.on('end', () => void feeding.then(() => finish(decoded)));
    gunzip.on('error', () => finish(-1));
    gunzip.end(bytes);
  });
}

/** The decoded size the gzip trailer states (mod 2^32): a hint only. */
function statedSize(bytes: Uint8Array): number {
  const end = bytes.length;
  if (end < 18) return 0;
  return (bytes[end - 4] | (bytes[end - 3] << 8) | (bytes[end - 2] << 16) | (bytes[end - 1] << 24)) >>> 0;
}

/**
 * A part's positions as the whole file's: `\0#Records[7]…` → `<name>#Records[<base + 7>]…`. False when the
 * part holds what must be read with the whole file (an S3 pointer, fetched after the whole list) or a
 * position that is not one of its records.
 */
function renumber(outcome: RunOutcome, name: string, key: 'Records' | 'traces', base: number): boolean {
  const prefix = key === 'Records' ? `${PART_POSITION}#Records[` : `${PART_POSITION}.traces[`;
  const rename = (position: string): string | undefined => {
    // Rejections past the first REPORTED_IN_FULL of a part are counted only: they carry no position.
    if (position === '') return position;
    if (position === PART_POSITION) return name;
    if (!position.startsWith(prefix)) return undefined;
    const close = position.indexOf(']', prefix.length);
    const index = Number(position.slice(prefix.length, close));
    if (close === -1 || !Number.isInteger(index)) return undefined;
    return `${name}${prefix.slice(1)}${base + index}${position.slice(close)}`;
  };
  let payload = 0;
  for (const code of outcome.codes) {
    if (code === OUTCOME_RECORD) continue;
    if (code === OUTCOME_FETCH) return false;
    const item = outcome.payloads[payload++] as { position: string };
    if (code === OUTCOME_FINDINGS) continue;
    const renamed = rename(item.position);
    if (renamed === undefined) return false;
    item.position = renamed;
  }
  return true;
}
