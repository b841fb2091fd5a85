/**
 * Bytes of an input file (an S3 object, a file given to the CLI) → JSON documents. Pure: the caller reads
 * the bytes. Never throws; whatever cannot be decoded comes back in `rejected` with its position.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from '../lazy-builtins';
import { type ConfigProblems, readPositiveInteger, type Env } from '../platform/env-config';
import { errorMessage } from '../errors';
import { gunzipIntoSpare, releaseSpare } from './spare-inflate';
import { type ScannedElements, scanElementsInWasm, stringStops } from './wasm-scan';

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
  /** Used for a budget of its own when `budget` is not given. */
  maxDecompressedBytes?: number;
  /** The input's inflation budget, shared with whatever its documents unwrap into. */
  budget?: InflationBudget;
  /**
   * From this many decoded bytes on, a document that is exactly one `Records` or `traces` list comes back as
   * a `recordList` (see scanRecordList) instead of one parsed document. Unset: never.
   */
  recordListsFrom?: number;
  /**
   * Top-level member names the record-list scan notes for each element (RecordListSkim), per list key. A
   * list whose key has names comes back as a `recordList` at any size, not only from `recordListsFrom`.
   */
  skimKeys?: SkimKeys;
  /**
   * The input's own gunzip (not those of payloads nested in it) may inflate into a spare buffer
   * (spare-inflate.ts): predecodeInput then says so (`spare`), and its caller gives the buffer back with
   * releasePredecoded once nothing reads the input's bytes any more. decodeDocuments ignores it.
   */
  spareOutput?: boolean;
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; reason: string };
export type GunzipResult = { ok: true; bytes: Buffer; spare?: true } | { ok: false; reason: string };

/**
 * How many bytes one input may still inflate to. One budget is shared by every gunzip and base64 decode
 * of one input (a file, an S3 object, one invocation's event), however deeply they nest: NDJSON lines of
 * CloudWatch Logs payloads, SNS or SQS messages that carry them. A cap per payload alone let a 62 KB
 * file of nested payloads inflate to 31 GiB, one 16 MiB at a time.
 */
export interface InflationBudget {
  /** `MAX_DECOMPRESSED_MB` in bytes. */
  readonly limit: number;
  /** Bytes inflated or decoded so far. */
  spent: number;
}

export function createInflationBudget(limit: number = DEFAULT_MAX_DECOMPRESSED_BYTES): InflationBudget {
  return { limit: clampCap(limit), spent: 0 };
}

/** Charges `bytes` to the budget; false (and nothing charged) when they do not fit. */
export function chargeBudget(budget: InflationBudget, bytes: number): boolean {
  if (budget.spent + bytes > budget.limit) return false;
  budget.spent += bytes;
  return true;
}

export function budgetExceeded(budget: InflationBudget): string {
  return `decompressed size exceeds ${budget.limit} bytes (MAX_DECOMPRESSED_MB, for the whole input with every payload nested in it)`;
}

/**
 * Gunzip charged to `budget`, with an optional cap of its own (`cap`) that is tighter than what is left.
 * The output is never larger than what is left of the budget: zlib stops at that size.
 */
export function gunzipWithin(
  bytes: Uint8Array,
  budget: InflationBudget,
  cap = Number.POSITIVE_INFINITY,
  /** Inflate into a spare buffer when it can (spare-inflate.ts); `spare` then says the output is one. */
  spare = false,
): GunzipResult {
  const left = budget.limit - budget.spent;
  if (left <= 0) return { ok: false, reason: budgetExceeded(budget) };
  const ownCapIsTighter = cap < left;
  const limit = ownCapIsTighter ? cap : left;
  const fast = spare ? gunzipIntoSpare(bytes, clampCap(limit), statedSize(bytes)) : undefined;
  if (fast) {
    budget.spent += fast.length;
    return { ok: true, bytes: fast, spare: true };
  }
  const inflated = gunzipCapped(bytes, limit);
  if (inflated.ok) {
    budget.spent += inflated.bytes.length;
    return inflated;
  }
  // A failed gunzip inflated data too, and zlib does not say how much: charge what it can have been
  // (all it was allowed when the cap was hit; deflate's ~1032:1 bound otherwise). Otherwise a file of
  // corrupt or oversized payloads would inflate up to the cap once per payload, for free.
  const tooLarge = inflated.reason.startsWith('decompressed size exceeds');
  budget.spent += tooLarge ? limit : Math.min(limit, bytes.length * MAX_DEFLATE_RATIO);
  if (tooLarge && !ownCapIsTighter) return { ok: false, reason: budgetExceeded(budget) };
  return inflated;
}

/** Deflate's output is at most about 1032 times its input. */
const MAX_DEFLATE_RATIO = 1032;

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

/** One piece of a decoded input, in input order. */
export type DecodedPiece =
  | ({ type: 'document' } & DecodedDocument)
  | ({ type: 'rejected' } & DecodeRejection)
  | { type: 'recordList'; list: RecordList };

/** decodeInput with everything collected; for callers that want arrays (tests, small inputs). */
export function decodeInput(bytes: Buffer | Uint8Array, name: string, options: DecodeOptions = {}): DecodedInput {
  const result: DecodedInput = { documents: [], rejected: [] };
  for (const piece of decodeDocuments(bytes, name, options)) {
    if (piece.type === 'document') result.documents.push({ value: piece.value, position: piece.position });
    else if (piece.type === 'rejected') result.rejected.push({ reason: piece.reason, position: piece.position });
    else result.recordList = piece.list;
  }
  return result;
}

/**
 * The documents of an input one at a time: an NDJSON file of millions of lines is never an array of
 * millions of parsed documents. Never throws.
 */
export function* decodeDocuments(
  bytes: Buffer | Uint8Array,
  name: string,
  options: DecodeOptions = {},
): Generator<DecodedPiece, void, undefined> {
  yield* decodePredecoded(predecodeInput(bytes, { ...options, spareOutput: false }), name);
}

/**
 * What decodeDocuments makes of an input before it reads it as text: the gunzip (charged to the budget),
 * the byte-order mark, the record-list scan. All of it is plain data (bytes and typed arrays), so another
 * thread can do it and hand the result over (`replay --threads 2`, cli/replay-workers.ts);
 * decodePredecoded then gives exactly the pieces decodeDocuments gives for the input.
 */
export type PredecodedInput =
  | { type: 'rejected'; reason: string }
  | {
      type: 'recordList';
      data: Buffer;
      key: RecordList['key'];
      skimKeys: readonly string[];
      elements: ScannedElements;
      /** `data` lies in a spare buffer (DecodeOptions.spareOutput). */
      spare?: true;
    }
  | { type: 'text'; data: Buffer; gzipped: boolean; spare?: true };

/** Gives a predecoded input's spare buffer back (DecodeOptions.spareOutput), once nothing reads its bytes. */
export function releasePredecoded(input: PredecodedInput): void {
  if (input.type !== 'rejected' && input.spare) releaseSpare(input.data.buffer);
}

/** decodeDocuments' first half (PredecodedInput). Never throws. */
export function predecodeInput(bytes: Buffer | Uint8Array, options: DecodeOptions = {}): PredecodedInput {
  try {
    let data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (data.length === 0) return { type: 'rejected', reason: 'empty input' };
    // Magic bytes, not the file name: S3 objects are often renamed, and some tools store gzip without `.gz`.
    const gzipped = isGzip(data);
    let spare: true | undefined;
    if (gzipped) {
      const budget = options.budget ?? createInflationBudget(options.maxDecompressedBytes);
      const inflated = gunzipWithin(data, budget, Number.POSITIVE_INFINITY, options.spareOutput === true);
      if (!inflated.ok) return { type: 'rejected', reason: inflated.reason };
      data = inflated.bytes;
      spare = inflated.spare;
    }
    const sparely = <T extends object>(input: T): T & { spare?: true } => (spare ? { ...input, spare } : input);
    if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    if (data.length > bufferConstants.MAX_STRING_LENGTH)
      return {
        type: 'rejected',
        reason: `decoded input is ${data.length} bytes, more than the longest string Node.js can hold`,
      };
    const wantsList = options.recordListsFrom !== undefined && data.length >= options.recordListsFrom;
    if (wantsList || options.skimKeys !== undefined) {
      const scanned = scanRecordListElements(data, options.skimKeys, !wantsList);
      if (scanned !== undefined) return sparely({ type: 'recordList' as const, data, ...scanned });
    }
    return sparely({ type: 'text' as const, data, gzipped });
  } catch (error) {
    return { type: 'rejected', reason: `could not decode input: ${clip(errorMessage(error))}` };
  }
}

/** decodeDocuments' second half: the pieces of a predecoded input, named `name`. Never throws. */
export function* decodePredecoded(input: PredecodedInput, name: string): Generator<DecodedPiece, void, undefined> {
  const reject = (reason: string): DecodedPiece => ({ type: 'rejected', reason, position: name });
  if (input.type === 'rejected') {
    yield reject(input.reason);
    return;
  }
  if (input.type === 'recordList') {
    yield { type: 'recordList', list: recordListOf(input.data, name, input.key, input.skimKeys, input.elements) };
    return;
  }
  let text: string;
  try {
    // UTF-16 with a byte-order mark is what Windows PowerShell writes with `>`; read it instead of rejecting.
    text = utf16Text(input.data) ?? input.data.toString('utf8');
  } catch (error) {
    yield reject(`could not decode input: ${clip(errorMessage(error))}`);
    return;
  }
  if (!NOT_JSON_WHITESPACE.test(text)) {
    yield reject(input.gzipped ? 'empty input (after gunzip)' : 'empty input');
    return;
  }
  // The whole text first: a 250 MB CloudTrail file is one document, and splitting it into lines would
  // double the memory for nothing.
  const whole = parseJsonSafely(text);
  if (whole.ok) {
    yield { type: 'document', value: whole.value, position: name };
    return;
  }
  if (!looksLikeNdjson(text)) {
    yield reject(whole.reason);
    return;
  }
  yield* ndjsonDocuments(text, name);
}

/**
 * Whether `text` is to be read as NDJSON: several non-blank lines, of which at least one parses. A single
 * broken document is better reported once than as one rejection per line. Stops at the first line that
 * parses (after a second non-blank line), so a valid file costs one parsed line here.
 */
function looksLikeNdjson(text: string): boolean {
  let nonBlank = 0;
  let parses = false;
  for (let start = 0; start <= text.length; ) {
    const end = lineEnd(text, start);
    const line = text.slice(start, end);
    start = end + 1;
    if (!NOT_JSON_WHITESPACE.test(line)) continue;
    nonBlank += 1;
    if (!parses) parses = parseJsonSafely(line).ok;
    if (parses && nonBlank >= 2) return true;
  }
  return false;
}

/** One JSON value per non-blank line, one line at a time. */
function* ndjsonDocuments(text: string, name: string): Generator<DecodedPiece, void, undefined> {
  let lineNumber = 0;
  for (let start = 0; start <= text.length; ) {
    const end = lineEnd(text, start);
    const line = text.slice(start, end);
    start = end + 1;
    lineNumber += 1;
    if (!NOT_JSON_WHITESPACE.test(line)) continue;
    const position = `${name}:line ${lineNumber}`;
    const parsed = parseJsonSafely(line);
    if (parsed.ok) yield { type: 'document', value: parsed.value, position };
    else yield { type: 'rejected', reason: parsed.reason, position };
  }
}

function lineEnd(text: string, start: number): number {
  const end = text.indexOf('\n', start);
  return end === -1 ? text.length : end;
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
  const stated = statedSize(bytes);
  // Never more than the cap allows, and never a large allocation for an input that could not produce it
  // (deflate expands at most about 1032:1).
  const plausible = Math.min(stated + 1024, cap + 1, bytes.length * 1032 + 1024);
  return Math.max(plausible, DEFAULT);
}

/** The size the gzip trailer states for the last member (mod 2^32): a hint only. */
function statedSize(bytes: Uint8Array): number {
  const end = bytes.length;
  if (end < 18) return 0;
  return (bytes[end - 4] | (bytes[end - 3] << 8) | (bytes[end - 2] << 16) | (bytes[end - 1] << 24)) >>> 0;
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
  /** The decoded bytes of the whole document. */
  readonly data: Buffer;
  /** Element `index`, parsed. The scan validated the whole document, so this does not throw. */
  at(index: number): unknown;
  /** Set when the scan was asked to skim (scanRecordList's `skimKeys`): each element's top level, unparsed. */
  readonly skim?: RecordListSkim;
}

/** Absent from the element's top level (RecordListSkim.field). */
export const FIELD_ABSENT = -1;
/** Present but not one plain string: another type, written twice, or the element has an escape (RecordListSkim.field). */
export const FIELD_COMPLEX = -2;
/** Number values are noted as `NUMBER_AT - start` (so fieldStart still says FIELD_COMPLEX for them). */
const NUMBER_AT = -3;

/**
 * What the validating scan saw of each element without parsing it: where it lies in the decoded bytes,
 * whether it is an object with no backslash anywhere in it (so every string in it is its bytes, no
 * escapes), and, for the asked top-level member names, where their string values lie.
 */
export interface RecordListSkim {
  readonly data: Buffer;
  readonly keys: readonly string[];
  start(index: number): number;
  end(index: number): number;
  /** An object, and no backslash anywhere in its text. */
  plainObject(index: number): boolean;
  /**
   * An object whose top-level member names have no escapes (its values may): the fields are then exact,
   * a value with an escape being FIELD_COMPLEX; only a search of its raw text needs plainObject.
   */
  plainNames(index: number): boolean;
  /**
   * An object with no `\u` in its text: no `\u` escape, and no escaped backslash before a `u` (which a JSON
   * text held in one of its strings would read as an escape). Its escapes are then all simple ones (`\"`,
   * `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`), and none of those writes a letter or a digit.
   */
  noUnicodeEscape(index: number): boolean;
  /**
   * Where the raw text of member `keys[slot]`'s value lies, whatever its type (a string with its quotes):
   * its start, or FIELD_ABSENT, or FIELD_COMPLEX when the member is written twice. With valueEnd.
   */
  valueStart(index: number, slot: number): number;
  valueEnd(index: number, slot: number): number;
  /** Start offset of member `keys[slot]`'s string value (without quotes), or FIELD_ABSENT / FIELD_COMPLEX. */
  fieldStart(index: number, slot: number): number;
  fieldEnd(index: number, slot: number): number;
  /** The value of member `keys[slot]` when it is a plain string; undefined when absent; null otherwise. */
  field(index: number, slot: number): string | undefined | null;
  /** The value of member `keys[slot]` when it is one number (as JSON.parse reads it), else undefined. */
  number(index: number, slot: number): number | undefined;
  /**
   * For readers of several members of one element: where its entries start in `fields`, or -1 when
   * plainNames is false. `fields[row + 2 * slot]` is then fieldStart (FIELD_ABSENT, FIELD_COMPLEX, or below
   * FIELD_COMPLEX for a number) and `fields[row + 2 * slot + 1]` fieldEnd.
   */
  row(index: number): number;
  readonly fields: Int32Array;
}

/** Member names to skim, for either list key or per key. */
export type SkimKeys =
  | readonly string[]
  | { readonly Records?: readonly string[]; readonly traces?: readonly string[] };

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
export function scanRecordList(
  data: Buffer,
  position: string,
  skimKeysByList: SkimKeys = [],
  /** Only a list with skim keys for its key: any other is left to the caller at once, unscanned. */
  skimmedOnly = false,
): RecordList | undefined {
  const scanned = scanRecordListElements(data, skimKeysByList, skimmedOnly);
  return scanned && recordListOf(data, position, scanned.key, scanned.skimKeys, scanned.elements);
}

/** The skim keys' UTF-8 bytes, made once per list of keys (a prefilter's are the same for every file). */
const KEY_BYTES = new WeakMap<readonly string[], readonly Uint8Array[]>();
function keyBytesOf(skimKeys: readonly string[]): readonly Uint8Array[] {
  let bytes = KEY_BYTES.get(skimKeys);
  if (!bytes) KEY_BYTES.set(skimKeys, (bytes = skimKeys.map((name) => Buffer.from(name, 'utf8'))));
  return bytes;
}

/** scanRecordList without the RecordList: what the scan found, as plain data. */
function scanRecordListElements(
  data: Buffer,
  skimKeysByList: SkimKeys = [],
  skimmedOnly = false,
): { key: RecordList['key']; skimKeys: readonly string[]; elements: ScannedElements } | undefined {
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

  const skimKeys: readonly string[] =
    (Array.isArray(skimKeysByList) ? skimKeysByList : (skimKeysByList as Exclude<SkimKeys, readonly string[]>)[key]) ??
    [];
  if (skimmedOnly && skimKeys.length === 0) return undefined;
  const keyBytes = keyBytesOf(skimKeys);
  // The compiled walk (wasm-scan.ts) where it takes the document, else this file's: the same answers.
  let scanned = scanElementsInWasm(data, i, keyBytes);
  if (scanned === undefined) {
    stops = stringStops(data);
    try {
      scanned = scanElements(data, i, keyBytes);
    } finally {
      stops = undefined;
    }
  }
  return scanned === null ? undefined : { key, skimKeys, elements: scanned };
}

/** The elements from `i` (the first byte after `[` and its whitespace) on, walked here; null if invalid. */
function scanElements(data: Buffer, i: number, keyBytes: readonly Uint8Array[]): ScannedElements | null {
  const n = data.length;
  // Offsets fit in 32 bits: decoded inputs are capped far below 4 GiB.
  let spans = new Uint32Array(2048);
  let count = 0;
  const stack: ContainerStack = { kinds: new Uint8Array(64) };
  const skimming = keyBytes.length > 0;
  const slots = keyBytes.length;
  // Rows of noted fields, only for elements that are objects (a list of a million numbers costs no rows).
  let fields = new Int32Array(skimming ? 1024 * slots * 2 : 0);
  let rowOf = new Int32Array(skimming ? 1024 : 0);
  let values = new Int32Array(skimming ? 1024 * slots * 2 : 0);
  let plain = new Uint8Array(skimming ? 1024 : 0);
  let rows = 0;
  const skim: SkimState = {
    keys: keyBytes,
    fields,
    values,
    base: 0,
    backslash: false,
    nameEscape: false,
    unicode: false,
  };
  if (i < n && data[i] === 0x5d) i++;
  else {
    for (;;) {
      const object = skimming && data[i] === 0x7b;
      if (object) {
        if ((rows + 1) * slots * 2 > fields.length) {
          const bigger = new Int32Array(fields.length * 2);
          bigger.set(fields);
          skim.fields = fields = bigger;
          const biggerValues = new Int32Array(values.length * 2);
          biggerValues.set(values);
          skim.values = values = biggerValues;
        }
        skim.base = rows * slots * 2;
        fields.fill(FIELD_ABSENT, skim.base, skim.base + slots * 2);
        values.fill(FIELD_ABSENT, skim.base, skim.base + slots * 2);
        skim.backslash = false;
        skim.nameEscape = false;
        skim.unicode = false;
      }
      const end = skipValue(data, i, n, stack, object ? skim : undefined);
      if (end < 0) return null;
      if (skimming) {
        if (count + 1 > rowOf.length) {
          const biggerRows = new Int32Array(rowOf.length * 2);
          biggerRows.set(rowOf);
          rowOf = biggerRows;
          const biggerPlain = new Uint8Array(plain.length * 2);
          biggerPlain.set(plain);
          plain = biggerPlain;
        }
        rowOf[count] = object ? rows++ : -1;
        plain[count] = !object || skim.nameEscape ? 0 : !skim.backslash ? 1 : skim.unicode ? 2 : 3;
      }
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
      return null;
    }
  }
  i = skipWhitespace(data, i, n);
  if (i >= n || data[i] !== 0x7d) return null;
  if (skipWhitespace(data, i + 1, n) !== n) return null;
  return { count, spans, plain, rowOf, fields, values };
}

/** The RecordList of a scanned document. */
function recordListOf(
  data: Buffer,
  position: string,
  key: 'Records' | 'traces',
  skimKeys: readonly string[],
  { count, spans, plain, rowOf, fields, values }: ScannedElements,
): RecordList {
  const slots = skimKeys.length;
  const offsets = spans;
  const list: RecordList = {
    key,
    position,
    count,
    data,
    at: (index) => JSON.parse(data.toString('utf8', offsets[index * 2], offsets[index * 2 + 1])) as unknown,
  };
  if (slots === 0) return list;
  const found = fields;
  const valueSpans = values;
  const plainObjects = plain;
  const rowOfElement = rowOf;
  /** Where element `index`'s entry for `slot` is in `found` (the element is an object: plainObjects > 0). */
  const entry = (index: number, slot: number): number => (rowOfElement[index] * slots + slot) * 2;
  const fieldStart = (index: number, slot: number): number => {
    if (plainObjects[index] === 0) return FIELD_COMPLEX;
    const start = found[entry(index, slot)];
    return start <= NUMBER_AT ? FIELD_COMPLEX : start;
  };
  return {
    ...list,
    skim: {
      data,
      keys: skimKeys,
      start: (index) => offsets[index * 2],
      end: (index) => offsets[index * 2 + 1],
      plainObject: (index) => plainObjects[index] === 1,
      plainNames: (index) => plainObjects[index] !== 0,
      noUnicodeEscape: (index) => plainObjects[index] === 1 || plainObjects[index] === 3,
      valueStart: (index, slot) => (plainObjects[index] === 0 ? FIELD_COMPLEX : valueSpans[entry(index, slot)]),
      valueEnd: (index, slot) => (plainObjects[index] === 0 ? FIELD_COMPLEX : valueSpans[entry(index, slot) + 1]),
      fieldStart,
      fieldEnd: (index, slot) => (plainObjects[index] === 0 ? FIELD_COMPLEX : found[entry(index, slot) + 1]),
      field: (index, slot) => {
        const start = fieldStart(index, slot);
        if (start === FIELD_ABSENT) return undefined;
        if (start === FIELD_COMPLEX) return null;
        return data.toString('utf8', start, found[entry(index, slot) + 1]);
      },
      number: (index, slot) => {
        if (plainObjects[index] === 0) return undefined;
        const at = entry(index, slot);
        if (found[at] > NUMBER_AT) return undefined;
        return numberAt(data, NUMBER_AT - found[at], found[at + 1]);
      },
      row: (index) => (plainObjects[index] === 0 ? -1 : rowOfElement[index] * slots * 2),
      fields: found,
    },
  };
}

/**
 * The JSON number `data[start, end)` (the scan checked its grammar) as JSON.parse reads it. Up to 15 digits
 * with no fraction or exponent (CTS epoch-millisecond times): summed digit by digit, exact below 2^53,
 * with no string built; anything else through Number(), which reads the grammar to the same double.
 */
function numberAt(data: Buffer, start: number, end: number): number {
  const negative = data[start] === 0x2d;
  const from = negative ? start + 1 : start;
  if (end - from <= 15) {
    let value = 0;
    let i = from;
    for (; i < end; i++) {
      const digit = data[i] - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    // `-0` is negative zero, as JSON.parse reads it.
    if (i === end) return negative ? -value : value;
  }
  return Number(data.toString('latin1', start, end));
}

/** The skim of the element being scanned: top-level member names to note, and where their values went. */
interface SkimState {
  keys: readonly Uint8Array[];
  fields: Int32Array;
  /** Per slot, where the member's raw value text starts and ends (valueStart). */
  values: Int32Array;
  /** This element's first entry in `fields`. */
  base: number;
  /** A backslash somewhere in this element. */
  backslash: boolean;
  /** A backslash in one of this element's top-level member names. */
  nameEscape: boolean;
  /** `\u` somewhere in this element (RecordListSkim.noUnicodeEscape). */
  unicode: boolean;
}

/** Notes where a skimmed member's value starts; a second member of the same name makes it FIELD_COMPLEX. */
function noteField(skim: SkimState, slot: number, start: number): void {
  const at = skim.base + slot * 2;
  skim.fields[at] = skim.fields[at] === FIELD_ABSENT || start === FIELD_COMPLEX ? start : FIELD_COMPLEX;
}

/** Notes where a skimmed member's raw value starts; a second member of the same name makes it FIELD_COMPLEX. */
function noteValue(skim: SkimState, slot: number, start: number): void {
  const at = skim.base + slot * 2;
  skim.values[at] = skim.values[at] === FIELD_ABSENT ? start : FIELD_COMPLEX;
}

function noteValueEnd(skim: SkimState, slot: number, end: number): void {
  const at = skim.base + slot * 2;
  if (skim.values[at] >= 0) skim.values[at + 1] = end;
}

function noteEnd(skim: SkimState, slot: number, end: number): void {
  const at = skim.base + slot * 2;
  if (skim.fields[at] >= 0 || skim.fields[at] <= NUMBER_AT) skim.fields[at + 1] = end;
}

/**
 * `i` at a member name of the element's top level: its skim slot, or -1. A key (no quote, no backslash in
 * it) followed by a closing quote is the whole name; skipMemberName validates the name afterwards.
 */
function memberSlot(skim: SkimState, data: Uint8Array, i: number, n: number): number {
  if (i >= n || data[i] !== 0x22) return -1;
  const from = i + 1;
  const keys = skim.keys;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const length = key.length;
    if (from + length >= n || data[from] !== key[0] || data[from + length] !== 0x22) continue;
    let same = true;
    for (let j = 1; j < length; j++)
      if (key[j] !== data[from + j]) {
        same = false;
        break;
      }
    if (same) return k;
  }
  return -1;
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

/** Set by skipString whenever it passes an escape; the skim reads and clears it. */
let sawBackslash = false;
/** Set by skipString when it passes a `\u` escape or an escaped backslash before a `u`; the skim reads and clears it. */
let sawUnicodeEscape = false;

/** The stop bitmap of the document being scanned (wasm-scan.ts stringStops), when WebAssembly gave one. */
let stops: Int32Array | undefined;

/** `i` at an opening quote: the index after the closing quote, or -1 if the string is not valid JSON. */
function skipString(data: Uint8Array, i: number, n: number): number {
  i++;
  const map = stops;
  for (;;) {
    if (map !== undefined) {
      // The next stop byte at or after i: the lowest set bit from i on (the bitmap ends in set bits).
      let word = i >>> 5;
      let bits = map[word] & (-1 << (i & 31));
      while (bits === 0) bits = map[++word];
      i = word * 32 + 31 - Math.clz32(bits & -bits);
    } else {
      i = skipPlainBytes(data, i, n);
    }
    if (i >= n) return -1;
    const c = data[i++];
    if (c === 0x22) return i;
    if (c !== 0x5c || i >= n) return -1; // a raw control character, or a backslash at the very end
    sawBackslash = true;
    const escaped = data[i++];
    if (escaped === 0x75) {
      sawUnicodeEscape = true;
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
    } else if (escaped === 0x5c && i < n && data[i] === 0x75) {
      sawUnicodeEscape = true;
    }
  }
}

/** Without a bitmap: the index of the first stop byte at or after i (or n), testing the bytes. */
function skipPlainBytes(data: Uint8Array, i: number, n: number): number {
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
  return i;
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
function skipValue(data: Uint8Array, i: number, n: number, stack: ContainerStack, skim?: SkimState): number {
  let depth = 0;
  let kinds = stack.kinds;
  /** With a skim: the slot of the top-level member whose value starts at i, or -1. */
  let slot = -1;
  /** With a skim: the slot of the top-level member whose value is being read, until it ends. */
  let reading = -1;
  if (skim) {
    sawBackslash = false;
    sawUnicodeEscape = false;
  }
  for (;;) {
    // A value starts at i.
    if (i >= n) return -1;
    const c = data[i];
    const noted = slot;
    slot = -1;
    if (noted >= 0) {
      noteField(
        skim as SkimState,
        noted,
        c === 0x22 ? i + 1 : c === 0x2d || (c >= 0x30 && c <= 0x39) ? NUMBER_AT - i : FIELD_COMPLEX,
      );
      noteValue(skim as SkimState, noted, i);
      reading = noted;
    }
    if (c === 0x22) {
      if (noted >= 0) {
        // A value with an escape is not its bytes: the skim leaves it to JSON.parse.
        const before = sawBackslash;
        sawBackslash = false;
        i = skipString(data, i, n);
        if (sawBackslash) noteField(skim as SkimState, noted, FIELD_COMPLEX);
        else noteEnd(skim as SkimState, noted, i - 1);
        sawBackslash = sawBackslash || before;
      } else i = skipString(data, i, n);
    } else if (c === 0x7b || c === 0x5b) {
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
          if (skim !== undefined && depth === 1) {
            slot = memberSlot(skim, data, i, n);
            i = skimMemberName(skim, data, i, n);
          } else i = skipMemberName(data, i, n);
          if (i < 0) return -1;
        }
        continue;
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      i = skipNumber(data, i, n);
      if (noted >= 0) noteEnd(skim as SkimState, noted, i);
    } else if (c === 0x74) i = skipLiteral(data, i, n, 'true');
    else if (c === 0x66) i = skipLiteral(data, i, n, 'false');
    else if (c === 0x6e) i = skipLiteral(data, i, n, 'null');
    else return -1;
    if (i < 0) return -1;
    // After a value: close containers, or take a comma and (in an object) the next member's name.
    for (;;) {
      if (depth === 0) {
        if (skim !== undefined) {
          skim.backslash = sawBackslash;
          skim.unicode = sawUnicodeEscape;
        }
        return i;
      }
      // Back at the element's top level: the value of the member being read ends here.
      if (reading >= 0 && depth === 1) {
        noteValueEnd(skim as SkimState, reading, i);
        reading = -1;
      }
      i = skipWhitespace(data, i, n);
      if (i >= n) return -1;
      const d = data[i];
      const inObject = kinds[depth - 1] === IN_OBJECT;
      if (d === 0x2c) {
        i = skipWhitespace(data, i + 1, n);
        if (inObject) {
          if (skim !== undefined && depth === 1) {
            slot = memberSlot(skim, data, i, n);
            i = skimMemberName(skim, data, i, n);
          } else i = skipMemberName(data, i, n);
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

/** skipMemberName for a top-level member of a skimmed element, noting an escape in the name. */
function skimMemberName(skim: SkimState, data: Uint8Array, i: number, n: number): number {
  const before = sawBackslash;
  sawBackslash = false;
  const next = skipMemberName(data, i, n);
  if (sawBackslash) skim.nameEscape = true;
  sawBackslash = sawBackslash || before;
  return next;
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
