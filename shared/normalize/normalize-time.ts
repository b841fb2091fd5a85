/**
 * Provider timestamps to ISO-8601 UTC with milliseconds (`2024-01-02T03:04:05.000Z`).
 *
 * Accepted forms:
 * - ISO-8601 text (CloudTrail `eventTime`), with or without fraction, `Z`, `±hh:mm`, `±hhmm` or `±hh`;
 * - epoch milliseconds as a number or digit string (CTS `time`/`record_time`);
 * - epoch seconds, as in the OTC community sample `"time": 1529996047` (see SECONDS_BELOW);
 * - the CTS console form `2016/12/08 11:07:28 GMT+08:00` (also `GMT+0800`, `GMT+8`, `UTC`).
 *
 * Text without any zone is read as UTC, never as the host's local time: the result must not depend on
 * where the function runs. We do not use `Date.parse` on free text, because it accepts almost anything
 * (`Date.parse('1')` is a date in 2001).
 */

/**
 * Epoch numbers below 1e11 are seconds, the rest milliseconds. 1e11 ms is 1973-03-03, before any cloud
 * audit trail existed; 1e11 s is the year 5138. So no real timestamp is ambiguous.
 */
const SECONDS_BELOW = 1e11;

/** The schema wants exactly four year digits, so 0000-01-01 … 9999-12-31. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

const EPOCH_TEXT = /^\d{1,16}(?:\.\d{1,9})?$/;

const DATE_TIME_TEXT = new RegExp(
  '^(\\d{4})([-/])(\\d{1,2})\\2(\\d{1,2})' + // date, `-` or `/` between the parts
    '(?:T|\\s+)(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?' + // time, optional seconds and fraction
    '\\s*(?:(Z)|(?:(?:GMT|UTC)\\s*)?([+-])(\\d{1,2})(?::?(\\d{2}))?|GMT|UTC)?$', // zone
  'i',
);

export function normalizeTime(value: unknown): string | undefined {
  // CloudTrail's own form (`2024-06-03T17:22:09Z`) is already canonical but for the milliseconds.
  if (typeof value === 'string' && isCanonicalUtc(value))
    return value.length === 20 ? `${value.slice(0, 19)}.000Z` : value;
  const ms = toEpochMillis(value);
  if (ms === undefined) return undefined;
  return ms >= 0 && Number.isInteger(ms) ? isoText(ms) : new Date(ms).toISOString();
}

/**
 * `new Date(ms).toISOString()` for whole milliseconds from 1970 to 9999 (every epoch-number time lands here),
 * by arithmetic: CTS times are epoch numbers, and building a Date per trace showed up in profiles.
 * Days to civil date as in Howard Hinnant's `civil_from_days`.
 */
function isoText(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** Epoch milliseconds for any accepted form, or undefined. */
export function toEpochMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return fromEpochNumber(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length > 64) return undefined;
  return EPOCH_TEXT.test(text) ? fromEpochNumber(Number(text)) : fromDateTimeText(text);
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ` (upper-case T and Z) naming a real date and time: then
 * the ISO text of the instant is the input with `.000` added, exactly what the general path produces.
 */
export function isCanonicalUtc(text: string): boolean {
  return canonicalUtcAt(text, 0, text.length);
}

/**
 * isCanonicalUtc of the UTF-8 text `data[start, end)`, read from the bytes: the form is ASCII only, and
 * UTF-8 decodes an ASCII byte, and nothing else, to an ASCII character, so the bytes have the form exactly
 * when their text has it.
 */
export function isCanonicalUtcBytes(data: Uint8Array, start: number, end: number): boolean {
  return canonicalUtcAt(data, start, end - start);
}

function canonicalUtcAt(source: string | Uint8Array, at: number, length: number): boolean {
  if (length !== 20 && length !== 24) return false;
  if (
    codeAt(source, at + 4) !== 45 ||
    codeAt(source, at + 7) !== 45 ||
    codeAt(source, at + 10) !== 84 ||
    codeAt(source, at + 13) !== 58 ||
    codeAt(source, at + 16) !== 58
  )
    return false;
  if (codeAt(source, at + length - 1) !== 90) return false;
  if (length === 24 && (codeAt(source, at + 19) !== 46 || digits(source, at + 20, at + 23) < 0)) return false;
  const year = digits(source, at, at + 4);
  const month = digits(source, at + 5, at + 7);
  const day = digits(source, at + 8, at + 10);
  const hour = digits(source, at + 11, at + 13);
  const minute = digits(source, at + 14, at + 16);
  const second = digits(source, at + 17, at + 19);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

function codeAt(source: string | Uint8Array, i: number): number {
  return typeof source === 'string' ? source.charCodeAt(i) : source[i];
}

/** The ASCII digits source[from, to) as a number, or -1 if any is not a digit. */
function digits(source: string | Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = codeAt(source, i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * normalizeTime(n) is a schema time, known without building it: whole epoch milliseconds from 1973 to 9999
 * (the prefilter asks this of every CTS trace it skips).
 */
export function isWholeEpochMillis(n: number): boolean {
  return Number.isInteger(n) && n >= SECONDS_BELOW && n <= MAX_MS;
}

function fromEpochNumber(n: number): number | undefined {
  // Negative epochs are garbage in an audit event, not dates before 1970.
  if (!Number.isFinite(n) || n < 0) return undefined;
  return inRange(n < SECONDS_BELOW ? Math.round(n * 1000) : Math.trunc(n));
}

function fromDateTimeText(text: string): number | undefined {
  const m = DATE_TIME_TEXT.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[3], m[4], m[5], m[6], m[7] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((m[8] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetHours = Number(m[11] ?? '0');
  const offsetMinutes = Number(m[12] ?? '0');
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;

  // setUTCFullYear, because Date.UTC maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const sign = m[10] === '-' ? -1 : 1;
  return inRange(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function inRange(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS ? ms : undefined;
}
