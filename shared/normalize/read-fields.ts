/**
 * Safe reads from untrusted JSON. Audit events are attacker-influenced, so every read is an own-property
 * read: a record whose prototype carries `eventName` (or a `__proto__` key) must not grow fields.
 */
import { createHash } from '../lazy-builtins';

export type JsonRecord = Readonly<Record<string, unknown>>;

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}

/** The value of an own property, or undefined (never a value inherited through the prototype chain). */
export function own(value: unknown, key: string): unknown {
  // isRecord(value) && hasOwn ? value[key] : undefined, with the array test only after a hit (hot path).
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key) || Array.isArray(value))
    return undefined;
  return (value as Record<string, unknown>)[key];
}

/** Follows own properties along a path: `path(r, 'userIdentity', 'sessionContext', 'attributes')`. */
export function path(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = own(current, key);
  return current;
}

/** Strings as they are; finite numbers as text (account ids arrive as numbers now and then); else undefined. */
export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Like asString, but blank text counts as missing (CloudTrail writes `"accessKeyId": ""`). */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    // Nearly every value starts with a visible ASCII character, and then it is not blank: skip the trim.
    const first = value.charCodeAt(0);
    if (first > 32 && first < 127) return value;
  }
  const text = asString(value);
  return text === undefined || text.trim() === '' ? undefined : text;
}

export function ownRecord(value: unknown, key: string): JsonRecord | undefined {
  return asRecord(own(value, key));
}

export function ownText(value: unknown, key: string): string | undefined {
  return asText(own(value, key));
}

/** Booleans, and the strings `"true"`/`"false"` in any case (CloudTrail writes `mfaAuthenticated` as a string). */
export function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

/** Omits undefined members, so events stay valid under `additionalProperties: false` and compare cleanly. */
export function dropUndefined<T extends object>(value: T): T {
  // A plain loop, not Object.fromEntries(Object.entries(…)): this runs several times per record, and the
  // entry arrays were the biggest cost of normalizing. Same result: own enumerable string keys, in order.
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    // Assignment to `__proto__` would set the prototype; fromEntries made an own property, so do that.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: member, enumerable: true, writable: true, configurable: true });
    else out[key] = member;
  }
  return out as T;
}

/**
 * CTS sends `user`, `request` and `response` as objects or as JSON text ("transmitted and stored as a
 * string in APIs"). Text that does not parse as JSON is returned unchanged.
 */
export function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!text.startsWith('{') && !text.startsWith('[')) return value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return value;
  }
}

/**
 * JSON text with object keys sorted at every level, so equal records give equal text whatever their key order.
 * Iterative, not recursive: JSON.parse accepts nesting a million levels deep, and a record like that
 * must still get an id instead of overflowing the stack.
 */
export function stableJson(value: unknown): string {
  return stableJsonOrUndefined(value) ?? 'null';
}

/** One container being written: its members still to visit, and whether it is an array. */
interface Frame {
  array: boolean;
  entries: [key: string | undefined, value: unknown][];
  next: number;
  parts: string[];
}

function stableJsonOrUndefined(root: unknown): string | undefined {
  const open = (value: unknown): Frame | string | undefined => {
    if (Array.isArray(value))
      return { array: true, entries: value.map((member) => [undefined, member]), next: 0, parts: [] };
    if (isRecord(value))
      return {
        array: false,
        entries: Object.keys(value)
          .sort()
          .map((key) => [key, value[key]]),
        next: 0,
        parts: [],
      };
    if (typeof value === 'bigint') return value.toString();
    // Like JSON.stringify: undefined, functions and symbols are left out of objects and null in arrays.
    return JSON.stringify(value) as string | undefined;
  };
  const close = (frame: Frame) => (frame.array ? `[${frame.parts.join(',')}]` : `{${frame.parts.join(',')}}`);
  const first = open(root);
  if (typeof first !== 'object') return first;
  const stack: Frame[] = [first];
  for (;;) {
    const frame = stack[stack.length - 1];
    if (frame.next === frame.entries.length) {
      stack.pop();
      const text = close(frame);
      if (stack.length === 0) return text;
      add(stack[stack.length - 1], text);
      continue;
    }
    const member = open(frame.entries[frame.next][1]);
    if (typeof member === 'object') stack.push(member);
    else add(frame, member);
  }

  function add(frame: Frame, text: string | undefined): void {
    const key = frame.entries[frame.next][0];
    frame.next += 1;
    if (frame.array) frame.parts.push(text ?? 'null');
    else if (text !== undefined) frame.parts.push(`${JSON.stringify(key)}:${text}`);
  }
}

/** Id for a record that has none: deterministic, so a re-delivered record de-duplicates. */
export function syntheticId(record: unknown): string {
  return `synthetic:${createHash('sha256').update(stableJson(record)).digest('hex')}`;
}
