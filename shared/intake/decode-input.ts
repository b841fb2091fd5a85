/**
 * Bytes of an input file (an S3 object, a file given to the CLI) → JSON documents. Pure: the caller reads
 * the bytes. Never throws; whatever cannot be decoded comes back in `rejected` with its position.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { type ConfigProblems, readPositiveInteger, type Env } from '../env-config';
import { errorMessage } from '../errors';

/** CloudTrail log files are at most a few hundred MB unpacked; a bigger output is a gzip bomb. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024;

/**
 * The decompression cap from `MAX_DECOMPRESSED_MB`. On Lambda the default follows the function's memory
 * (a quarter of it): parsing needs several times the text, so a bigger file would crash the function
 * anyway, and a bomb must fail on the cap with a clear reason instead.
 */
export function maxDecompressedBytesFromEnv(env: Env, problems: ConfigProblems): number {
  const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const fallbackMb = Number.isInteger(memoryMb) && memoryMb > 0 ? Math.max(16, Math.min(512, Math.floor(memoryMb / 4))) : DEFAULT_MAX_DECOMPRESSED_BYTES / 1024 / 1024;
  return readPositiveInteger(env, 'MAX_DECOMPRESSED_MB', fallbackMb, problems) * 1024 * 1024;
}

export interface DecodedDocument {
  value: unknown;
  /** `name` for a whole-file document, `name:line N` for an NDJSON line. */
  position: string;
}

export interface DecodeRejection {
  reason: string;
  position: string;
}

export interface DecodedInput {
  documents: DecodedDocument[];
  rejected: DecodeRejection[];
}

export interface DecodeOptions {
  maxDecompressedBytes?: number;
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; reason: string };
export type GunzipResult = { ok: true; bytes: Buffer } | { ok: false; reason: string };

const MAX_REASON_DETAIL = 200;

/** JSON.parse without throwing. `__proto__` keys become plain own properties, as JSON.parse always does. */
export function parseJsonSafely(text: string): ParseResult {
  try {
    // A byte-order mark also turns up inside messages (an SNS or SMN message published from a file).
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${clip(errorMessage(error))}` };
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Gunzip with a hard output cap. zlib checks `maxOutputLength` chunk by chunk, so a bomb fails as soon as
 * the output passes the cap instead of after inflating all of it.
 */
export function gunzipCapped(bytes: Uint8Array, maxBytes: number): GunzipResult {
  const cap = clampCap(maxBytes);
  try {
    return { ok: true, bytes: gunzipSync(bytes, { maxOutputLength: cap }) };
  } catch (error) {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    if (code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, reason: `decompressed size exceeds ${cap} bytes` };
    if (code === 'Z_BUF_ERROR') return { ok: false, reason: 'truncated gzip: unexpected end of file' };
    return { ok: false, reason: `invalid gzip: ${clip(errorMessage(error))}` };
  }
}

export function decodeInput(bytes: Buffer | Uint8Array, name: string, options: DecodeOptions = {}): DecodedInput {
  const result: DecodedInput = { documents: [], rejected: [] };
  const reject = (reason: string): DecodedInput => {
    result.rejected.push({ reason, position: name });
    return result;
  };
  try {
    let data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (data.length === 0) return reject('empty input');
    // Magic bytes, not the file name: S3 objects are often renamed, and some tools store gzip without `.gz`.
    const gzipped = isGzip(data);
    if (gzipped) {
      const inflated = gunzipCapped(data, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
      if (!inflated.ok) return reject(inflated.reason);
      data = inflated.bytes;
    }
    if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    if (data.length > bufferConstants.MAX_STRING_LENGTH) {
      return reject(`decoded input is ${data.length} bytes, more than the longest string Node.js can hold`);
    }
    // UTF-16 with a byte-order mark is what Windows PowerShell writes with `>`; read it instead of rejecting.
    const text = utf16Text(data) ?? data.toString('utf8');
    if (!/\S/.test(text)) return reject(gzipped ? 'empty input (after gunzip)' : 'empty input');

    // The whole text first: a 250 MB CloudTrail file is one document, and splitting it into lines would
    // double the memory for nothing.
    const whole = parseJsonSafely(text);
    if (whole.ok) {
      result.documents.push({ value: whole.value, position: name });
      return result;
    }
    if (!parseNdjson(text, name, result)) return reject(whole.reason);
    return result;
  } catch (error) {
    return reject(`could not decode input: ${clip(errorMessage(error))}`);
  }
}

/**
 * One JSON value per non-blank line. Returns false (and adds nothing) unless there are several lines and at
 * least one parses: a single broken document is better reported once than as one rejection per line.
 */
function parseNdjson(text: string, name: string, result: DecodedInput): boolean {
  const lines = text.split('\n');
  if (lines.filter((line) => /\S/.test(line)).length < 2) return false;
  const documents: DecodedDocument[] = [];
  const rejected: DecodeRejection[] = [];
  lines.forEach((line, index) => {
    if (!/\S/.test(line)) return;
    const position = `${name}:line ${index + 1}`;
    const parsed = parseJsonSafely(line);
    if (parsed.ok) documents.push({ value: parsed.value, position });
    else rejected.push({ reason: parsed.reason, position });
  });
  if (documents.length === 0) return false;
  result.documents.push(...documents);
  result.rejected.push(...rejected);
  return true;
}

/** The text of UTF-16 bytes that start with a byte-order mark, or undefined for anything else. */
function utf16Text(data: Buffer): string | undefined {
  if (data.length < 2 || data.length % 2 !== 0) return undefined;
  if (data[0] === 0xff && data[1] === 0xfe) return data.subarray(2).toString('utf16le');
  if (data[0] === 0xfe && data[1] === 0xff) return Buffer.from(data.subarray(2)).swap16().toString('utf16le');
  return undefined;
}

function clampCap(maxBytes: number): number {
  if (!Number.isFinite(maxBytes) || maxBytes < 1) return DEFAULT_MAX_DECOMPRESSED_BYTES;
  return Math.min(Math.floor(maxBytes), bufferConstants.MAX_LENGTH);
}

function clip(text: string): string {
  return text.length > MAX_REASON_DETAIL ? `${text.slice(0, MAX_REASON_DETAIL)}…` : text;
}
