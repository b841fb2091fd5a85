/**
 * IP address parsing and source-address classification. Pure, never throws, bounded work per call.
 *
 * Canonical text (what `TraceEvent.sourceIp` and whitelist matching use):
 * - IPv4: dotted decimal without leading zeros (`35.249.253.232`).
 * - IPv6: lower-case RFC 5952 form: no leading zeros in a group, the first longest run of two or more
 *   zero groups compressed to `::` (`2001:db8::1`).
 * - IPv4-mapped IPv6 (`::ffff:203.0.113.5`, `::ffff:cb00:7105`, `0:0:0:0:0:ffff:…`) is the IPv4 address
 *   (`203.0.113.5`, version 4): a dual-stack socket reports the same host either way, so one spelling
 *   must not be allowed or alerted differently from the other. Other IPv4-embedding forms (`::1.2.3.4`,
 *   NAT64 `64:ff9b::…`) are different addresses and stay IPv6.
 */
import type { AddressKind } from './trace-event';

export interface ParsedIpv4 {
  version: 4;
  canonical: string;
  /** The address as an unsigned 32-bit integer. */
  value: number;
  /** A part had leading zeros (`035`); only possible with `allowLeadingZeros`. Parts are read as decimal. */
  leadingZeros?: true;
  /** Written as IPv4-mapped IPv6 (`::ffff:1.2.3.4`). */
  mapped?: true;
}

export interface ParsedIpv6 {
  version: 6;
  canonical: string;
  /** The 128 bits as four unsigned 32-bit integers, most significant first. */
  words: readonly [number, number, number, number];
}

export type ParsedIp = ParsedIpv4 | ParsedIpv6;

export interface ParseIpOptions {
  /**
   * Accept `035.249.253.232` and read every part as DECIMAL. Only for provider-written source
   * addresses (they are never octal); an operator-written whitelist must stay unambiguous.
   */
  allowLeadingZeros?: boolean;
}

/** Longest strict text: `0000:0000:0000:0000:0000:ffff:255.255.255.255`. */
const MAX_IP_LENGTH = 45;

/**
 * Parse one IPv4 or IPv6 address, strictly: exactly four decimal parts of 0–255 (no `1.2.3`, `0x7f.1`,
 * octal or other inet_aton shorthand), IPv6 groups of 1–4 hex digits with at most one `::`, an embedded
 * IPv4 only as the last 32 bits. No brackets, zone ids, ports, prefixes or surrounding whitespace.
 * Only ASCII digits count (`١٢٣.1.1.1` is not an address).
 */
export function parseIp(text: string, options?: ParseIpOptions): ParsedIp | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_IP_LENGTH) return undefined;
  if (!text.includes(':')) {
    const v4 = parseIpv4Parts(text, options?.allowLeadingZeros === true);
    if (v4 === undefined) return undefined;
    // Without leading zeros the text already is the canonical form (each part has one decimal spelling).
    return v4.leadingZeros
      ? { version: 4, canonical: formatIpv4(v4.value), value: v4.value, leadingZeros: true }
      : { version: 4, canonical: text, value: v4.value };
  }
  const h = parseIpv6Hextets(text);
  if (h === undefined) return undefined;
  if (isMappedHextets(h)) {
    const value = h[6] * 0x10000 + h[7];
    return { version: 4, canonical: formatIpv4(value), value, mapped: true };
  }
  const words = [h[0] * 0x10000 + h[1], h[2] * 0x10000 + h[3], h[4] * 0x10000 + h[5], h[6] * 0x10000 + h[7]] as const;
  return { version: 6, canonical: formatIpv6(words), words };
}

/** Exactly four dot-separated parts of 1–3 ASCII digits, each 0–255. One pass, no split (runs per record). */
function parseIpv4Parts(
  text: string,
  allowLeadingZeros: boolean,
): { value: number; leadingZeros: boolean } | undefined {
  const length = text.length;
  let value = 0;
  let leadingZeros = false;
  let parts = 0;
  let i = 0;
  for (;;) {
    const start = i;
    let n = 0;
    while (i < length) {
      const digit = text.charCodeAt(i) - 48;
      if (digit === -2) break; // '.'
      if (digit < 0 || digit > 9 || i - start === 3) return undefined;
      n = n * 10 + digit;
      i++;
    }
    if (i === start || n > 255) return undefined;
    if (i - start > 1 && text.charCodeAt(start) === 48) {
      if (!allowLeadingZeros) return undefined;
      leadingZeros = true;
    }
    // Multiplication, not `<<`, keeps the result an unsigned number.
    value = value * 256 + n;
    parts++;
    if (i === length) break;
    if (parts === 4) return undefined;
    i++; // past the '.'
  }
  return parts === 4 ? { value, leadingZeros } : undefined;
}

/** Eight 16-bit groups, or undefined. */
function parseIpv6Hextets(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = parseHextetList(halves[0], !compressed);
  if (head === undefined) return undefined;
  if (!compressed) return head.length === 8 ? head : undefined;
  const tail = parseHextetList(halves[1], true);
  // `::` stands for at least one zero group.
  if (tail === undefined || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function parseHextetList(text: string, ipv4Last: boolean): number[] | undefined {
  if (text === '') return [];
  const groups = text.split(':');
  const out: number[] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    if (ipv4Last && g === groups.length - 1 && group.includes('.')) {
      const v4 = parseIpv4Parts(group, false);
      if (v4 === undefined) return undefined;
      out.push(Math.floor(v4.value / 0x10000), v4.value & 0xffff);
      continue;
    }
    if (group.length === 0 || group.length > 4) return undefined;
    let n = 0;
    for (let i = 0; i < group.length; i++) {
      const digit = hexDigit(group.charCodeAt(i));
      if (digit < 0) return undefined;
      n = n * 16 + digit;
    }
    out.push(n);
  }
  return out.length > 8 ? undefined : out;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

function isMappedHextets(h: readonly number[]): boolean {
  return h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/**
 * RFC 5952 text of 128 bits given as four uint32 words. IPv4-mapped addresses come out as
 * `::ffff:a.b.c.d` (RFC 5952 §5); `parseIp` never returns those as IPv6, but whitelist messages
 * may show a mapped network.
 */
export function formatIpv6(words: readonly number[]): string {
  const h: number[] = [];
  for (const w of words) h.push(w >>> 16, w & 0xffff);
  if (isMappedHextets(h)) return `::ffff:${formatIpv4(words[3])}`;
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    h
      .slice(from, to)
      .map((n) => n.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Why the classified text differs from its canonical `ip`; the alert then shows the raw text too. */
export const ADDRESS_NOTES = ['leading-zeros', 'ipv4-mapped', 'brackets', 'zone-id', 'list'] as const;
export type AddressNote = (typeof ADDRESS_NOTES)[number];

export interface AddressClassification {
  kind: AddressKind;
  /** Canonical IP text, only for ipv4/ipv6. */
  ip?: string;
  /**
   * Set when the text needed interpretation: the `AddressNote`s that apply, comma-separated, e.g.
   * `leading-zeros` for `035.249.253.232`, `brackets,zone-id` for `[fe80::1%eth0]`.
   */
  note?: string;
  /** The IPv6 zone id (`eth0` of `fe80::1%eth0`); kept for display, ignored for matching. */
  zone?: string;
}

/** DNS names are at most 253 characters; anything longer is `other` without further work. */
const MAX_ADDRESS_LENGTH = 253;
const INTERNAL = /^AWS Internal(?:\/\d{1,10})?$/i;
/** Dot-separated LDH labels (RFC 1123) ending in a label that starts with a letter, so no IP shape. */
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
/** RFC 6874 allows unreserved characters in a zone id. */
const ZONE_ID = /^[a-z0-9._~-]{1,64}$/i;

/**
 * Classify a provider-written source address (CloudTrail `sourceIPAddress`, CTS `source_ip`).
 * Never throws.
 * - not a string, or empty after trimming → `empty`
 * - IPv4 / IPv6 → `ipv4` / `ipv6` with the canonical `ip`. Leading-zero dotted quads (`035.249.253.232`,
 *   seen in CloudTrail fixtures) are read as decimal, never octal, and noted. IPv4-mapped IPv6 is `ipv4`.
 *   `[2001:db8::1]` is accepted (brackets noted); a zone id is dropped from `ip` and kept in `zone`.
 * - `AWS Internal`, `AWS Internal/3` (any case) → `internal`
 * - a dotted DNS host name ending in a letter label (`signin.amazonaws.com`) → `service`
 * - a comma-separated list (`8.8.8.8, 10.0.0.1`, as in an X-Forwarded-For header) → its FIRST element,
 *   the original client in that convention, classified as above and noted `list`; the whole text stays
 *   in `sourceAddress` (and in the alert). A list whose first element is not an IP is `other`.
 * - anything else → `other`, including ports (`198.51.100.7:443`, `[::1]:443`): CloudTrail and CTS
 *   write bare addresses, so a port means the text is not what we think it is.
 */
export function classifyAddress(raw: unknown): AddressClassification {
  if (typeof raw !== 'string') return { kind: 'empty' };
  const text = raw.trim();
  if (text === '') return { kind: 'empty' };
  if (text.length > MAX_ADDRESS_LENGTH) return { kind: 'other' };
  const comma = text.indexOf(',');
  if (comma >= 0) {
    const first = classifyIp(text.slice(0, comma).trim());
    if (first === undefined) return { kind: 'other' };
    first.note = first.note === undefined ? 'list' : `${first.note},list`;
    return first;
  }
  const ip = classifyIp(text);
  if (ip !== undefined) return ip;
  if (INTERNAL.test(text)) return { kind: 'internal' };
  if (HOST_NAME.test(text)) return { kind: 'service' };
  return { kind: 'other' };
}

function classifyIp(text: string): AddressClassification | undefined {
  const notes: AddressNote[] = [];
  let body = text;
  if (body.startsWith('[')) {
    if (!body.endsWith(']')) return undefined;
    body = body.slice(1, -1);
    notes.push('brackets');
  }
  let zone: string | undefined;
  const percent = body.indexOf('%');
  if (percent >= 0) {
    zone = body.slice(percent + 1);
    if (!ZONE_ID.test(zone)) return undefined;
    body = body.slice(0, percent);
  }
  // Brackets and zone ids belong to IPv6 text only.
  if (notes.length > 0 || zone !== undefined) {
    if (!body.includes(':')) return undefined;
  }
  const parsed = parseIp(body, { allowLeadingZeros: true });
  if (parsed === undefined) return undefined;
  if (parsed.version === 4 && parsed.leadingZeros) notes.push('leading-zeros');
  if (parsed.version === 4 && parsed.mapped) notes.push('ipv4-mapped');
  if (zone !== undefined) notes.push('zone-id');
  const result: AddressClassification = { kind: parsed.version === 4 ? 'ipv4' : 'ipv6', ip: parsed.canonical };
  if (notes.length > 0) result.note = notes.join(',');
  if (zone !== undefined) result.zone = zone;
  return result;
}
