/**
 * Making attacker-influenced text safe for alert subjects and messages.
 *
 * Every field that reaches an alert (user names, user agents, error messages, resource names) is
 * written by whoever made the API call. It must never make a publish fail (SNS rejects non-ASCII or
 * multi-line subjects and messages over 256 KB) and must never forge lines that look like our own
 * `Field: value` lines, so values are escaped to a single line before they are placed in a template.
 */

export const TRUNCATION_MARKER = '…[truncated]';

/** SNS: subject is ASCII, no line breaks or control characters, fewer than 100 characters. */
export const SUBJECT_MAX_CHARS = 99;
/** SNS: 256 KB including attributes; leave room for attributes and the JSON envelope of SQS/HTTP subscribers. */
export const MESSAGE_MAX_BYTES = 240 * 1024;
/** Longest value one field may take in a message. */
export const FIELD_MAX_CHARS = 512;

/**
 * Unicode Default_Ignorable_Code_Point, Unicode 17.0.0, from DerivedCoreProperties.txt
 * (https://www.unicode.org/Public/17.0.0/ucd/DerivedCoreProperties.txt): characters a renderer may
 * show as nothing at all. They hide text in alerts (tag characters U+E0020–E007F spell invisible
 * words, U+115F/U+3164 look like blanks, variation selectors and U+034F attach to anything). The
 * bidi controls (U+061C, U+200E/F, U+202A–E, U+2066–9) are all in this set. Kept as a literal table,
 * not `\p{Default_Ignorable_Code_Point}`, so every Node version escapes the same characters; a test
 * compares it with the running engine's property.
 */
export const DEFAULT_IGNORABLE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfff8],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];

// C0 and C1 controls and DEL, line and paragraph separators, the interlinear annotation controls
// (they hide the text between them), every Default_Ignorable_Code_Point (above) and, with the `u`
// flag, only *unpaired* surrogates: a lone surrogate cannot be encoded as UTF-8, so it makes SNS's
// form encoding throw (`URIError: URI malformed`) and SMN replace or reject it. None belongs in an alert.
const OTHER_UNSAFE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x2028, 0x2029],
  [0xfff9, 0xfffb],
  [0xd800, 0xdfff],
];
const codePointRange = ([from, to]: readonly [number, number]) => `\\u{${from.toString(16)}}-\\u{${to.toString(16)}}`;
const UNSAFE = new RegExp(
  `[${[...OTHER_UNSAFE_RANGES, ...DEFAULT_IGNORABLE_RANGES].map(codePointRange).join('')}]`,
  'gu',
);
const UNSAFE_ONE = new RegExp(`^${UNSAFE.source}$`, 'u');
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

function hexEscape(char: string): string {
  const code = char.codePointAt(0) as number;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

function escapeUnsafe(char: string): string {
  switch (char) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return hexEscape(char);
  }
}

/**
 * Unpaired UTF-16 surrogates written as `\ud800` text; everything else unchanged. The last line of
 * defence for any text that leaves for a sink (subject, message, attributes, ids): a lone surrogate
 * makes the SDK's encoder throw, which fails the whole publish.
 */
export function escapeLoneSurrogates(text: string): string {
  return text.replace(LONE_SURROGATE, hexEscape);
}

/** Whether a code point is one that inlineValue escapes (for tests and for checks elsewhere). */
export function isUnsafeCodePoint(codePoint: number): boolean {
  return UNSAFE_ONE.test(String.fromCodePoint(codePoint));
}

/** Truncates to at most `max` UTF-16 code units without splitting a surrogate pair, adding the marker. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - TRUNCATION_MARKER.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // never cut a surrogate pair in half
  return text.slice(0, end) + TRUNCATION_MARKER;
}

/**
 * One attacker-influenced value as a single safe line: control, bidi and separator characters are
 * written as visible escapes, the result is truncated. Missing values print as `-`.
 */
export function inlineValue(value: unknown, max = FIELD_MAX_CHARS): string {
  if (value === undefined || value === null || value === '') return '-';
  const text = typeof value === 'string' ? value : String(value);
  // Most values are short printable ASCII: nothing to escape or cut, and masking keeps the length.
  if (text.length <= max && PRINTABLE_ASCII.test(text)) return maskAccessKeyIds(text);
  // Truncate first (bounded work on huge values), then mask access key ids (before the final cut, which
  // could leave a key's first characters that no longer look like a key), escape, truncate again.
  return truncate(maskAccessKeyIds(truncate(text, max * 2)).replace(UNSAFE, escapeUnsafe), max);
}

/**
 * A subject every sink accepts: printable ASCII only (others become `?`), single spaces, starting with
 * a letter, digit or punctuation (SNS), fewer than 100 characters.
 */
export function safeSubject(text: string): string {
  let subject = truncate(text, SUBJECT_MAX_CHARS * 4)
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (subject === '') subject = 'trailguard alert';
  if (subject.length > SUBJECT_MAX_CHARS) subject = `${subject.slice(0, SUBJECT_MAX_CHARS - 3)}...`;
  return subject;
}

/** Caps a whole message to a UTF-8 byte budget, cutting on a character boundary, with the marker. */
export function capMessage(text: string, maxBytes = MESSAGE_MAX_BYTES): string {
  // A lone surrogate would be 3 bytes of U+FFFD on the wire but fails SNS's encoder first.
  const message = escapeLoneSurrogates(text);
  if (Buffer.byteLength(message, 'utf8') <= maxBytes) return message;
  const budget = maxBytes - Buffer.byteLength(`\n${TRUNCATION_MARKER}`, 'utf8');
  const bytes = Buffer.from(message, 'utf8');
  let end = budget;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end -= 1; // back off continuation bytes
  return `${bytes.subarray(0, end).toString('utf8')}\n${TRUNCATION_MARKER}`;
}

/**
 * AWS access key ids, long-term (AKIA) and temporary (ASIA), inside free text. No word boundary on the
 * left: in URL-encoded text (`%20AKIA…`) a digit comes right before the key.
 */
const ACCESS_KEY_ID = /(?:AKIA|ASIA)[A-Z0-9]{16,124}(?![A-Z0-9])/g;

/**
 * An access key id as alerts show it: every character but the last 4 replaced by `*`. The tail is
 * enough for a responder to find the key in the IAM console or the credential report; the whole id
 * is an identifier attackers collect, and alerts travel by e-mail and SMS.
 */
export function maskAccessKey(key: string): string {
  return key.length <= 4 ? '*'.repeat(key.length) : '*'.repeat(key.length - 4) + key.slice(-4);
}

/** Masks AWS access key ids found anywhere in `text`, and the given keys (e.g. a Huawei AK, which has no fixed shape). */
export function maskAccessKeyIds(text: string, keys: readonly (string | undefined)[] = []): string {
  // Most texts hold no key id: two substring searches are much cheaper than the RegExp's replace, and
  // a text shorter than a key id (20 characters) or than a given key holds none.
  let out =
    text.length >= 20 && (text.includes('AKIA') || text.includes('ASIA'))
      ? text.replace(ACCESS_KEY_ID, maskAccessKey)
      : text;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key && key.length >= 8 && out.length >= key.length && out.includes(key))
      out = out.split(key).join(maskAccessKey(key));
  }
  return out;
}

/** `Label: value` lines with every value made safe; labels are ours and trusted. */
export function formatFields(fields: ReadonlyArray<readonly [label: string, value: unknown]>): string {
  return fields.map(([label, value]) => `${label}: ${inlineValue(value)}`).join('\n');
}
