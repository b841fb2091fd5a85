/**
 * Deciding, per element of a skimmed record list, whether it must be parsed. An element is skipped only
 * when both hold:
 * - the function's need (need.ts) says no finding can come of it, and
 * - the skim proves the normalizer would take it (so skipping it rejects nothing) and gives its event id
 *   (so duplicate counting sees it): see `cloudTrailIdAt`.
 * A skipped record is still counted as a record (and as a duplicate when its id was seen), exactly as if it
 * had been parsed, normalized and found to match nothing. Its well-formedness was checked by the scan.
 */
import { FIELD_ABSENT, type RecordListSkim } from '../intake/decode-input';
import { isCanonicalUtcBytes, isWholeEpochMillis, normalizeTime } from '../normalize/normalize-time';
import { escapeProof, fieldNames, type Need, type RecordPrefilter } from './need';

/** Top-level members the CloudTrail check reads, before the need's own. */
const CLOUDTRAIL_KEYS = ['eventID', 'eventVersion', 'eventName', 'eventSource', 'eventTime', 'Sns'] as const;
const [EVENT_ID, EVENT_VERSION, EVENT_NAME, EVENT_SOURCE, EVENT_TIME, SNS] = [0, 1, 2, 3, 4, 5];

/** The schema's time form (trace-event.ts); normalizeTime gives it, checked anyway. */
const SCHEMA_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Top-level members the CTS check reads, before the need's own. */
const CTS_KEYS = ['trace_id', 'trace_name', 'service_type', 'time', 'record_time'] as const;
const [TRACE_ID, TRACE_NAME, SERVICE_TYPE, TIME, RECORD_TIME] = [0, 1, 2, 3, 4];

/** A prefilter ready for record lists: which members to skim, and the per-list decision. */
export interface ListPrefilter {
  /** Member names for scanRecordList's skim, per list key. */
  readonly keys: { readonly Records?: readonly string[]; readonly traces?: readonly string[] };
  /**
   * For one scanned list: element index → when it may be skipped, where its event id lies (the entry `at`
   * of `skim.fields`: the id is the plain string `data[fields[at], fields[at + 1])`), else -1.
   */
  forList(key: 'Records' | 'traces', skim: RecordListSkim): ((index: number) => number) | undefined;
}

/** Undefined when the declaration skips nothing (no kind declared, or `always`). */
export function compilePrefilter(prefilter: RecordPrefilter | undefined): ListPrefilter | undefined {
  const records = usable(prefilter?.cloudtrail);
  const traces = usable(prefilter?.cts);
  if (!records && !traces) return undefined;
  return {
    keys: {
      ...(records ? { Records: keysFor(CLOUDTRAIL_KEYS, records) } : {}),
      ...(traces ? { traces: keysFor(CTS_KEYS, traces) } : {}),
    },
    forList(key, skim) {
      const need = key === 'Records' ? records : traces;
      if (!need) return undefined;
      const idOf = key === 'Records' ? cloudTrailIdAt : ctsIdAt;
      const mayMatter = compileNeed(need, skim, { index: [], values: [], numberIndex: [], numbers: [] });
      return (index) => {
        // Member tests need plain names; a text search checks the record's escapes itself (compileNeed).
        if (!skim.plainNames(index)) return -1;
        const at = idOf(skim, index);
        if (at < 0 || mayMatter(index, skim.row(index))) return -1;
        return at;
      };
    },
  };
}

function usable(need: Need | undefined): Need | undefined {
  return need === undefined || need.type === 'always' ? undefined : need;
}

function keysFor(own: readonly string[], need: Need): string[] {
  const keys = [...own];
  // A name JSON writes with an escape is never skimmed (its tests then pass: such records are parsed).
  for (const name of fieldNames(need))
    if (!keys.includes(name) && name !== '' && !/["\\\u0000-\u001f]/.test(name)) keys.push(name);
  return keys;
}

/**
 * Where the event id normalizeCts would give this trace lies (an entry of `skim.fields`, see forList), when
 * the skim shows it would normalize and validate: `trace_id`, `trace_name` and `service_type` strings
 * starting with a visible ASCII character, and a `time` (else `record_time`) that normalizeTime reads, as a
 * string or a number. Else -1: parsed.
 */
export function ctsIdAt(skim: RecordListSkim, index: number): number {
  if (!visibleFirst(skim, index, TRACE_NAME)) return -1;
  if (!visibleFirst(skim, index, SERVICE_TYPE)) return -1;
  if (!visibleFirst(skim, index, TRACE_ID)) return -1;
  const time = timeOf(skim, index, TIME);
  if (time === null) return -1;
  const normalized = time ?? timeOf(skim, index, RECORD_TIME);
  if (normalized !== SCHEMA_TIME_OK && (typeof normalized !== 'string' || !SCHEMA_TIME.test(normalized))) return -1;
  // visibleFirst held, so the row exists and the id is one plain string.
  return skim.row(index) + 2 * TRACE_ID;
}

/** timeOf's answer for a time known to be a schema time without building its text. */
const SCHEMA_TIME_OK = true;

/**
 * normalizeTime of a member: its result (undefined when it reads none; SCHEMA_TIME_OK for whole epoch
 * milliseconds, the usual CTS time, whose text is a schema time); null when the skim cannot tell.
 */
function timeOf(skim: RecordListSkim, index: number, slot: number): string | typeof SCHEMA_TIME_OK | undefined | null {
  const start = skim.fieldStart(index, slot);
  if (start === FIELD_ABSENT) return undefined;
  if (start >= 0) return normalizeTime(skim.field(index, slot));
  const number = skim.number(index, slot);
  if (number === undefined) return null;
  return isWholeEpochMillis(number) ? SCHEMA_TIME_OK : normalizeTime(number);
}

/**
 * Where the event id normalizeCloudTrail would give this element lies (an entry of `skim.fields`, see
 * forList), when the skim shows it would normalize and validate: a plain object (no escapes), not an SNS
 * or S3/SQS notification record, with `eventID`, `eventName` and `eventSource` strings that start with a
 * visible ASCII character (asText keeps them as they are), `eventVersion` absent or `1.<digits>`, and an
 * `eventTime` normalizeTime reads. Anything else: -1, and the element is parsed (the normalizer then says
 * what is wrong, as before).
 */
export function cloudTrailIdAt(skim: RecordListSkim, index: number): number {
  // Read from the element's row directly: this runs for every record of every CloudTrail file.
  const row = skim.row(index);
  if (row < 0) return -1;
  const fields = skim.fields;
  const data = skim.data;
  if (fields[row + 2 * SNS] !== FIELD_ABSENT) return -1;
  if (!visibleFirstAt(data, fields, row + 2 * EVENT_NAME)) return -1;
  if (!visibleFirstAt(data, fields, row + 2 * EVENT_SOURCE)) return -1;
  if (!visibleFirstAt(data, fields, row + 2 * EVENT_ID)) return -1;
  const version = row + 2 * EVENT_VERSION;
  if (fields[version] !== FIELD_ABSENT && !isVersion1(data, fields[version], fields[version + 1])) return -1;
  if (isNotificationSource(data, fields[row + 2 * EVENT_SOURCE], fields[row + 2 * EVENT_SOURCE + 1])) return -1;
  const timeStart = fields[row + 2 * EVENT_TIME];
  if (timeStart < 0) return -1; // absent, or not one plain string
  const timeEnd = fields[row + 2 * EVENT_TIME + 1];
  // CloudTrail's own form: normalizeTime gives it back with `.000` at most, a schema time (no text built).
  if (!isCanonicalUtcBytes(data, timeStart, timeEnd)) {
    const normalized = normalizeTime(data.toString('utf8', timeStart, timeEnd));
    if (normalized === undefined || !SCHEMA_TIME.test(normalized)) return -1;
  }
  return row + 2 * EVENT_ID;
}

/** `eventSource` is `aws:s3` or `aws:sqs` (an S3 or SQS notification record, unwrapped otherwise). */
function isNotificationSource(data: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length !== 6 && length !== 7) return false;
  const text = data.toString('latin1', start, end);
  return text === 'aws:s3' || text === 'aws:sqs';
}

/** Member `slot` of element `index` is a plain string starting with a visible ASCII character. */
function visibleFirst(skim: RecordListSkim, index: number, slot: number): boolean {
  const row = skim.row(index);
  return row >= 0 && visibleFirstAt(skim.data, skim.fields, row + 2 * slot);
}

/** visibleFirst of the row entry at `at` (see RecordListSkim.row). */
function visibleFirstAt(data: Buffer, fields: Int32Array, at: number): boolean {
  const start = fields[at];
  if (start < 0 || start >= fields[at + 1]) return false;
  const first = data[start];
  return first > 32 && first < 127;
}

/** `1.` and one to four digits, as normalizeCloudTrail's isVersion1 reads it. */
function isVersion1(data: Buffer, start: number, end: number): boolean {
  if (start < 0 || end - start < 3 || end - start > 6) return false;
  if (data[start] !== 0x31 || data[start + 1] !== 0x2e) return false;
  for (let i = start + 2; i < end; i++) if (data[i] < 0x30 || data[i] > 0x39) return false;
  return true;
}

/** Per list: member values decoded for the element being decided (several tests of one member decode it once). */
interface FieldCache {
  index: number[];
  values: string[];
  numberIndex: number[];
  numbers: (number | undefined)[];
}

/**
 * Whether a text search may answer for element `index` (see Need `contains`): a record with no backslash,
 * or, for escape-proof texts, one with no `\u` in it.
 */
function searchable(skim: RecordListSkim, index: number, proof: boolean): boolean {
  return skim.plainObject(index) || (proof && skim.noUnicodeEscape(index));
}

/** A member that is a number passes `numberTest` (one that is something else passes). */
function numberPasses(
  skim: RecordListSkim,
  cache: FieldCache,
  index: number,
  slot: number,
  numberTest: (value: number) => boolean,
): boolean {
  let number: number | undefined;
  if (cache.numberIndex[slot] === index) number = cache.numbers[slot];
  else {
    number = skim.number(index, slot);
    cache.numberIndex[slot] = index;
    cache.numbers[slot] = number;
  }
  return number === undefined || numberTest(number);
}

/**
 * `values.has(decoded text)` asked of the raw bytes of a string without escapes, without decoding them:
 * for a value that is well-formed and holds no U+FFFD, the bytes decode to it exactly when they are its
 * UTF-8 (valid UTF-8 decodes one to one; invalid bytes decode to a text holding U+FFFD, which no such
 * value holds, and are no value's UTF-8). Undefined when a value is not of that kind: decoded as before.
 */
export function byteLookup(values: ReadonlySet<string>): ByteLookup | undefined {
  const byLength: Uint8Array[][] = [];
  for (const value of values) {
    const bytes = Buffer.from(value, 'utf8');
    // A lone surrogate does not survive the round trip.
    if (value.includes('\ufffd') || bytes.toString('utf8') !== value) return undefined;
    if (byLength[bytes.length] === undefined) byLength[bytes.length] = [];
    byLength[bytes.length].push(bytes);
  }
  return (data, start, end) => {
    const candidates = byLength[end - start];
    if (candidates === undefined) return false;
    next: for (const bytes of candidates) {
      for (let k = 0; k < bytes.length; k++) if (data[start + k] !== bytes[k]) continue next;
      return true;
    }
    return false;
  };
}

type ByteLookup = (data: Uint8Array, start: number, end: number) => boolean;

/** byteLookup per value set: a need's sets live as long as its prefilter, and lists are compiled per file. */
const byteLookups = new WeakMap<ReadonlySet<string>, ByteLookup | null>();

function byteLookupOf(values: ReadonlySet<string>): ByteLookup | undefined {
  let lookup = byteLookups.get(values);
  if (lookup === undefined) {
    lookup = byteLookup(values) ?? null;
    byteLookups.set(values, lookup);
  }
  return lookup ?? undefined;
}

/** ASCII letters folded to lower case, every other byte as it is: a RegExp `i` flag without `u` on ASCII. */
const FOLD_ASCII = Uint8Array.from({ length: 256 }, (_, byte) => (byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte));
const SAME_BYTE = Uint8Array.from({ length: 256 }, (_, byte) => byte);

type SpanSearch = (data: Uint8Array, start: number, end: number) => boolean;

/**
 * A `contains` need's test on raw bytes (see Need): does `data[start, end)` hold one of the texts' UTF-8,
 * with `anyCase` ASCII letters in either case and every other byte exactly. That is the need's definition
 * (the RegExp over latin1 text it replaces also folded latin1 letters: extra matches, never fewer).
 */
export function textSearch(texts: readonly string[], anyCase: boolean): SpanSearch {
  const fold = anyCase ? FOLD_ASCII : SAME_BYTE;
  const byFirst: Uint8Array[][] = [];
  for (const text of texts) {
    const needle = Uint8Array.from(Buffer.from(text, 'utf8'), (byte) => fold[byte]);
    if (needle.length === 0) return () => true;
    (byFirst[needle[0]] ??= []).push(needle);
  }
  return (data, start, end) => {
    for (let i = start; i < end; i++) {
      const candidates = byFirst[fold[data[i]]];
      if (candidates === undefined) continue;
      next: for (const needle of candidates) {
        if (i + needle.length > end) continue;
        for (let k = 1; k < needle.length; k++) if (fold[data[i + k]] !== needle[k]) continue next;
        return true;
      }
    }
    return false;
  };
}

/** textSearch per need: a need lives as long as its prefilter, and lists are compiled per file. */
const textSearches = new WeakMap<Need, SpanSearch>();

function textSearchOf(need: Extract<Need, { type: 'contains' }>): SpanSearch {
  let search = textSearches.get(need);
  if (search === undefined) {
    search = textSearch(need.texts, need.anyCase ?? false);
    textSearches.set(need, search);
  }
  return search;
}

/**
 * `need` as a test on element `index` of `skim`: true when the element may give a finding. Asked only of
 * elements with plain names, with their `row` (RecordListSkim.row).
 */
function compileNeed(need: Need, skim: RecordListSkim, cache: FieldCache): ElementTest {
  switch (need.type) {
    case 'always':
      return () => true;
    case 'never':
      return () => false;
    case 'field': {
      const slot = skim.keys.indexOf(need.name);
      if (slot < 0) return () => true;
      const { values, test, numberTest } = need;
      const absent = need.absent ?? false;
      // Exact values only: compared as bytes, no text decoded (byteLookup), where the values allow it.
      const inBytes = values && !test ? byteLookupOf(values) : undefined;
      const data = skim.data;
      const fields = skim.fields;
      return (index, row) => {
        const start = fields[row + 2 * slot];
        if (start === FIELD_ABSENT) return absent;
        // Not one plain string (FIELD_COMPLEX, or a number: its entry is below that).
        if (start < 0) return numberTest === undefined || numberPasses(skim, cache, index, slot, numberTest);
        const end = fields[row + 2 * slot + 1];
        if (inBytes) return inBytes(data, start, end);
        let value: string;
        if (cache.index[slot] === index) value = cache.values[slot];
        else {
          value = data.toString('utf8', start, end);
          cache.index[slot] = index;
          cache.values[slot] = value;
        }
        return (values?.has(value) ?? false) || (test?.(value) ?? false);
      };
    }
    case 'contains': {
      const data = skim.data;
      const proof = need.texts.every(escapeProof);
      // Several texts, or any case: one RegExp over the bytes read as latin1 (one character per byte, so a
      // UTF-8 text is its bytes). `i` without `u` folds ASCII letters only to ASCII letters; the latin1
      // letters it also folds can only add matches, never lose one.
      const pattern =
        need.texts.length === 1 && !need.anyCase
          ? undefined
          : new RegExp(
              need.texts
                .map((text) =>
                  Buffer.from(text, 'utf8')
                    .toString('latin1')
                    .replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'),
                )
                .join('|'),
              need.anyCase ? 'i' : '',
            );
      const bytes = Buffer.from(need.texts[0], 'utf8');
      // A member's value is a few hundred bytes: searched in place, no text built (textSearch).
      const search = textSearchOf(need);
      const inSpan = (start: number, end: number): boolean =>
        pattern ? pattern.test(data.toString('latin1', start, end)) : search(data, start, end);
      const slots = need.members?.map((name) => skim.keys.indexOf(name));
      if (slots && !slots.includes(-1)) {
        return (index) => {
          if (!searchable(skim, index, proof)) return true;
          for (const slot of slots) {
            const start = skim.valueStart(index, slot);
            if (start === FIELD_ABSENT) continue;
            // Written twice: the whole record, as if no member had been named.
            if (start < 0) return inSpan(skim.start(index), skim.end(index));
            if (search(data, start, skim.valueEnd(index, slot))) return true;
          }
          return false;
        };
      }
      if (pattern) return (index) => !searchable(skim, index, proof) || inSpan(skim.start(index), skim.end(index));
      // Elements are asked in order: the next occurrence at or after an element's start is found once and
      // kept until an element starts past it, so the whole list costs one search through the data.
      let next = -2;
      return (index) => {
        if (!searchable(skim, index, proof)) return true;
        const start = skim.start(index);
        if (next !== -1 && next < start) next = data.indexOf(bytes, start);
        return next !== -1 && next + bytes.length <= skim.end(index);
      };
    }
    case 'all': {
      const tests = ordered(need.needs).map((inner) => compileNeed(inner, skim, cache));
      return (index, row) => {
        for (const test of tests) if (!test(index, row)) return false;
        return true;
      };
    }
    case 'any': {
      const { needs, gate } = anyPlanOf(need);
      const tests = needs.map((inner) => compileNeed(inner, skim, cache));
      const slot = gate ? skim.keys.indexOf(gate.name) : -1;
      const inUnion = gate && slot >= 0 ? byteLookupOf(gate.union) : undefined;
      if (!gate || !inUnion) {
        return (index, row) => {
          for (const test of tests) if (test(index, row)) return true;
          return false;
        };
      }
      // The gated needs all require member `gate.name` to be one of their values: a record whose member is
      // a plain string in none of them fails every one, so only the others are asked (see anyPlanOf).
      const ungated = tests.filter((_, k) => !gate.gated[k]);
      const data = skim.data;
      const fields = skim.fields;
      return (index, row) => {
        const start = fields[row + 2 * slot];
        const passed = start >= 0 && !inUnion(data, start, fields[row + 2 * slot + 1]) ? ungated : tests;
        for (const test of passed) if (test(index, row)) return true;
        return false;
      };
    }
  }
}

/** An `any` need's members in the order they are asked, and its gate, when it has one. */
interface AnyPlan {
  readonly needs: readonly Need[];
  readonly gate?: {
    /** The member name the gated needs test. */
    readonly name: string;
    /** Every value any gated need accepts for it. */
    readonly union: ReadonlySet<string>;
    /** Per need of `needs`: gated or not. */
    readonly gated: readonly boolean[];
  };
}

/** Planned once per need: lists are compiled per file. */
const anyPlans = new WeakMap<Need, AnyPlan>();

/**
 * The CIS pack's `any` has a dozen members that each require `eventName` (or another member) to be one of
 * a few exact values; asking each in turn costs every record a dozen lookups. Gated by the member that most
 * of them require, one lookup of the union of their values answers for all of them when it fails.
 */
function anyPlanOf(need: Extract<Need, { type: 'any' }>): AnyPlan {
  let plan = anyPlans.get(need);
  if (plan !== undefined) return plan;
  const needs = ordered(need.needs);
  const counts = new Map<string, number>();
  for (const inner of needs)
    for (const name of new Set(requiredMembers(inner).map((field) => field.name)))
      counts.set(name, (counts.get(name) ?? 0) + 1);
  let name: string | undefined;
  let most = 1;
  for (const [candidate, count] of counts)
    if (count > most) {
      name = candidate;
      most = count;
    }
  if (name === undefined) plan = { needs };
  else {
    const union = new Set<string>();
    const gated = needs.map((inner) => {
      const field = requiredMembers(inner).find((required) => required.name === name);
      for (const value of field?.values ?? []) union.add(value);
      return field !== undefined;
    });
    plan = { needs, gate: { name, union, gated } };
  }
  anyPlans.set(need, plan);
  return plan;
}

type ExactField = Extract<Need, { type: 'field' }> & { readonly values: ReadonlySet<string> };

/**
 * Member tests `need` cannot pass without: a plain-string member value passes such a test only when it is
 * one of the test's values (no `test` function beside them).
 */
function requiredMembers(need: Need): readonly ExactField[] {
  if (need.type === 'field') return need.values && !need.test ? [need as ExactField] : [];
  if (need.type === 'all') return need.needs.flatMap((inner) => (inner.type === 'field' ? requiredMembers(inner) : []));
  return [];
}

type ElementTest = (index: number, row: number) => boolean;

/** Member tests first: they are cheaper than text searches. */
function ordered(needs: readonly Need[]): readonly Need[] {
  return [...needs].sort((a, b) => (a.type === 'contains' ? 1 : 0) - (b.type === 'contains' ? 1 : 0));
}
