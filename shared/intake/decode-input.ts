/**
 * Bytes of an input file (an S3 object, a file given to the CLI) → JSON documents. Pure: the caller reads
 * the bytes. Never throws; whatever cannot be decoded comes back in `rejected` with its position.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { type ConfigProblems, readPositiveInteger, type Env } from '../platform/env-config';
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
  const fallbackMb =
    Number.isInteger(memoryMb) && memoryMb > 0
      ? Math.max(16, Math.min(512, Math.floor(memoryMb / 4)))
      : DEFAULT_MAX_DECOMPRESSED_BYTES / 1024 / 1024;
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
  /**
   * Set instead of `documents` when `recordListsFrom` allowed it and the input is one `{"Records":[…]}` or
   * `{"traces":[…]}` object: its elements, to be parsed one at a time.
   */
  recordList?: RecordList;
}

export interface DecodeOptions {
  maxDecompressedBytes?: number;
  /**
   * From this many decoded bytes on, a document that is exactly one `Records` or `traces` list comes back as
   * a `recordList` (see scanRecordList) instead of one parsed document. Unset: never.
   */
  recordListsFrom?: number;
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; reason: string };
export type GunzipResult = { ok: true; bytes: Buffer } | { ok: false; reason: string };

const MAX_REASON_DETAIL = 200;
/**
 * Blank means JSON whitespace only. Not `\S`: a line holding a vertical tab, a no-break space or U+2028
 * is not blank to JSON.parse, and counting it as blank turned a file of one good record and one such
 * line into "not NDJSON", rejecting the good record with it.
 */
const NOT_JSON_WHITESPACE = /[^ \t\r\n]/;

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
    return { ok: true, bytes: gunzipSync(bytes, { maxOutputLength: cap, chunkSize: outputChunkSize(bytes, cap) }) };
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
    if (options.recordListsFrom !== undefined && data.length >= options.recordListsFrom) {
      const recordList = scanRecordList(data, name);
      if (recordList !== undefined) {
        result.recordList = recordList;
        return result;
      }
    }
    // UTF-16 with a byte-order mark is what Windows PowerShell writes with `>`; read it instead of rejecting.
    const text = utf16Text(data) ?? data.toString('utf8');
    if (!NOT_JSON_WHITESPACE.test(text)) return reject(gzipped ? 'empty input (after gunzip)' : 'empty input');

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
  if (lines.filter((line) => NOT_JSON_WHITESPACE.test(line)).length < 2) return false;
  const documents: DecodedDocument[] = [];
  const rejected: DecodeRejection[] = [];
  lines.forEach((line, index) => {
    if (!NOT_JSON_WHITESPACE.test(line)) return;
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

/**
 * zlib's sync API collects output in `chunkSize` pieces and then copies them into one buffer: for a 250 MB
 * log file that is a second 250 MB and a copy. The gzip trailer states the size (mod 2^32) of the last
 * member, so one chunk of that size (plus room to see the end) usually holds it all. Only a hint: a wrong
 * or hostile trailer just means more chunks, and the cap is enforced by maxOutputLength either way.
 */
function outputChunkSize(bytes: Uint8Array, cap: number): number {
  const DEFAULT = 64 * 1024;
  if (bytes.length < 18) return DEFAULT;
  const end = bytes.length;
  const stated = (bytes[end - 4] | (bytes[end - 3] << 8) | (bytes[end - 2] << 16) | (bytes[end - 1] << 24)) >>> 0;
  // Never more than the cap allows, and never a large allocation for an input that could not produce it
  // (deflate expands at most about 1032:1).
  const plausible = Math.min(stated + 1024, cap + 1, bytes.length * 1032 + 1024);
  return Math.max(plausible, DEFAULT);
}

function clampCap(maxBytes: number): number {
  if (!Number.isFinite(maxBytes) || maxBytes < 1) return DEFAULT_MAX_DECOMPRESSED_BYTES;
  return Math.min(Math.floor(maxBytes), bufferConstants.MAX_LENGTH);
}

function clip(text: string): string {
  return text.length > MAX_REASON_DETAIL ? `${text.slice(0, MAX_REASON_DETAIL)}…` : text;
}

// ---- record lists: huge log files one record at a time ----------------------------------------------------

/**
 * The elements of a `{"Records":[…]}` (CloudTrail log file) or `{"traces":[…]}` (CTS trace list) document,
 * parsed one at a time, so a 250 MB log file never exists as one string and one object graph at once.
 */
export interface RecordList {
  readonly key: 'Records' | 'traces';
  /** The input's name: the position of the whole document, as decodeInput gives it. */
  readonly position: string;
  readonly count: number;
  /** Element `index`, parsed. The scan validated the whole document, so this does not throw. */
  at(index: number): unknown;
}

const WHITESPACE = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WHITESPACE[c] = 1;
/** Bytes that end a run of plain string content: `"`, `\` and the control characters JSON forbids raw. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[0x22] = 1;
STRING_STOP[0x5c] = 1;
/** The characters JSON allows after a backslash, other than `u`. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
const HEX_DIGIT = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX_DIGIT[c.charCodeAt(0)] = 1;

const RECORDS_KEY = Buffer.from('"Records"', 'latin1');
const TRACES_KEY = Buffer.from('"traces"', 'latin1');

/**
 * If `data` is exactly one JSON object whose only member is `"Records"` or `"traces"` holding an array, and
 * the whole text is valid JSON, the array's elements as a RecordList; otherwise undefined, and the caller
 * parses the text as before. Validating everything first is what keeps the result identical to parsing
 * the whole text: a document broken anywhere is rejected as a whole, before any of its records is used.
 * Only that exact shape qualifies, because a second member (`awslogs`, `cts`, another `Records`) could
 * change what the document means. The scan allocates nothing per element but two offsets.
 */
export function scanRecordList(data: Buffer, position: string): RecordList | undefined {
  const n = data.length;
  let i = skipWhitespace(data, 0, n);
  if (i >= n || data[i] !== 0x7b) return undefined;
  i = skipWhitespace(data, i + 1, n);
  let key: 'Records' | 'traces';
  if (startsWithAt(data, i, RECORDS_KEY)) key = 'Records';
  else if (startsWithAt(data, i, TRACES_KEY)) key = 'traces';
  else return undefined;
  i = skipWhitespace(data, i + (key === 'Records' ? RECORDS_KEY.length : TRACES_KEY.length), n);
  if (i >= n || data[i] !== 0x3a) return undefined;
  i = skipWhitespace(data, i + 1, n);
  if (i >= n || data[i] !== 0x5b) return undefined;
  i = skipWhitespace(data, i + 1, n);

  // Offsets fit in 32 bits: decoded inputs are capped far below 4 GiB.
  let spans = new Uint32Array(2048);
  let count = 0;
  const stack: ContainerStack = { kinds: new Uint8Array(64) };
  if (i < n && data[i] === 0x5d) i++;
  else {
    for (;;) {
      const end = skipValue(data, i, n, stack);
      if (end < 0) return undefined;
      if (count * 2 + 2 > spans.length) {
        const bigger = new Uint32Array(spans.length * 2);
        bigger.set(spans);
        spans = bigger;
      }
      spans[count * 2] = i;
      spans[count * 2 + 1] = end;
      count++;
      i = skipWhitespace(data, end, n);
      if (i < n && data[i] === 0x2c) {
        i = skipWhitespace(data, i + 1, n);
        continue;
      }
      if (i < n && data[i] === 0x5d) {
        i++;
        break;
      }
      return undefined;
    }
  }
  i = skipWhitespace(data, i, n);
  if (i >= n || data[i] !== 0x7d) return undefined;
  if (skipWhitespace(data, i + 1, n) !== n) return undefined;

  const offsets = spans;
  return {
    key,
    position,
    count,
    at: (index) => JSON.parse(data.toString('utf8', offsets[index * 2], offsets[index * 2 + 1])) as unknown,
  };
}

function startsWithAt(data: Uint8Array, at: number, word: Uint8Array): boolean {
  if (at + word.length > data.length) return false;
  for (let k = 0; k < word.length; k++) if (data[at + k] !== word[k]) return false;
  return true;
}

function skipWhitespace(data: Uint8Array, i: number, n: number): number {
  while (i < n && WHITESPACE[data[i]] === 1) i++;
  return i;
}

/** `i` at an opening quote: the index after the closing quote, or -1 if the string is not valid JSON. */
function skipString(data: Uint8Array, i: number, n: number): number {
  i++;
  for (;;) {
    // Eight at a time through plain content, which is nearly all of a CloudTrail file.
    while (
      i + 8 <= n &&
      (STRING_STOP[data[i]] |
        STRING_STOP[data[i + 1]] |
        STRING_STOP[data[i + 2]] |
        STRING_STOP[data[i + 3]] |
        STRING_STOP[data[i + 4]] |
        STRING_STOP[data[i + 5]] |
        STRING_STOP[data[i + 6]] |
        STRING_STOP[data[i + 7]]) ===
        0
    ) {
      i += 8;
    }
    while (i < n && STRING_STOP[data[i]] === 0) i++;
    if (i >= n) return -1;
    const c = data[i++];
    if (c === 0x22) return i;
    if (c !== 0x5c || i >= n) return -1; // a raw control character, or a backslash at the very end
    const escaped = data[i++];
    if (escaped === 0x75) {
      if (
        i + 4 > n ||
        HEX_DIGIT[data[i]] === 0 ||
        HEX_DIGIT[data[i + 1]] === 0 ||
        HEX_DIGIT[data[i + 2]] === 0 ||
        HEX_DIGIT[data[i + 3]] === 0
      )
        return -1;
      i += 4;
    } else if (SIMPLE_ESCAPE[escaped] === 0) {
      return -1;
    }
  }
}

function skipDigits(data: Uint8Array, i: number, n: number): number {
  while (i < n && data[i] >= 0x30 && data[i] <= 0x39) i++;
  return i;
}

/** JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. */
function skipNumber(data: Uint8Array, i: number, n: number): number {
  if (data[i] === 0x2d) i++;
  if (i >= n) return -1;
  if (data[i] === 0x30) i++;
  else if (data[i] >= 0x31 && data[i] <= 0x39) i = skipDigits(data, i + 1, n);
  else return -1;
  if (i < n && data[i] === 0x2e) {
    const start = ++i;
    i = skipDigits(data, i, n);
    if (i === start) return -1;
  }
  if (i < n && (data[i] === 0x65 || data[i] === 0x45)) {
    i++;
    if (i < n && (data[i] === 0x2b || data[i] === 0x2d)) i++;
    const start = i;
    i = skipDigits(data, i, n);
    if (i === start) return -1;
  }
  return i;
}

function skipLiteral(data: Uint8Array, i: number, n: number, word: string): number {
  if (i + word.length > n) return -1;
  for (let k = 0; k < word.length; k++) if (data[i + k] !== word.charCodeAt(k)) return -1;
  return i + word.length;
}

interface ContainerStack {
  kinds: Uint8Array;
}
const IN_OBJECT = 1;
const IN_ARRAY = 2;

/**
 * `i` at the first byte of a JSON value: the index after it, or -1 unless it is valid JSON by the grammar
 * JSON.parse implements (RFC 8259 whitespace, escapes, numbers and literals; no raw control characters
 * in strings; any other byte, invalid UTF-8 included, is allowed inside strings, where the decoder turns
 * it into U+FFFD exactly as for the whole text). Iterative, so nesting depth costs no stack.
 */
function skipValue(data: Uint8Array, i: number, n: number, stack: ContainerStack): number {
  let depth = 0;
  let kinds = stack.kinds;
  for (;;) {
    // A value starts at i.
    if (i >= n) return -1;
    const c = data[i];
    if (c === 0x22) i = skipString(data, i, n);
    else if (c === 0x7b || c === 0x5b) {
      i = skipWhitespace(data, i + 1, n);
      if (i < n && data[i] === (c === 0x7b ? 0x7d : 0x5d)) i++;
      else {
        if (depth === kinds.length) {
          const deeper = new Uint8Array(kinds.length * 2);
          deeper.set(kinds);
          stack.kinds = kinds = deeper;
        }
        kinds[depth++] = c === 0x7b ? IN_OBJECT : IN_ARRAY;
        if (c === 0x7b) {
          i = skipMemberName(data, i, n);
          if (i < 0) return -1;
        }
        continue;
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) i = skipNumber(data, i, n);
    else if (c === 0x74) i = skipLiteral(data, i, n, 'true');
    else if (c === 0x66) i = skipLiteral(data, i, n, 'false');
    else if (c === 0x6e) i = skipLiteral(data, i, n, 'null');
    else return -1;
    if (i < 0) return -1;
    // After a value: close containers, or take a comma and (in an object) the next member's name.
    for (;;) {
      if (depth === 0) return i;
      i = skipWhitespace(data, i, n);
      if (i >= n) return -1;
      const d = data[i];
      const inObject = kinds[depth - 1] === IN_OBJECT;
      if (d === 0x2c) {
        i = skipWhitespace(data, i + 1, n);
        if (inObject) {
          i = skipMemberName(data, i, n);
          if (i < 0) return -1;
        }
        break;
      }
      if (d === (inObject ? 0x7d : 0x5d)) {
        i++;
        depth--;
        continue;
      }
      return -1;
    }
  }
}

/** `"name" :` and the whitespace after it; the index of the member's value, or -1. */
function skipMemberName(data: Uint8Array, i: number, n: number): number {
  if (i >= n || data[i] !== 0x22) return -1;
  i = skipString(data, i, n);
  if (i < 0) return -1;
  i = skipWhitespace(data, i, n);
  if (i >= n || data[i] !== 0x3a) return -1;
  return skipWhitespace(data, i + 1, n);
}
