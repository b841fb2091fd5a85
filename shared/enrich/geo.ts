/**
 * Geo and network facts about a public source address: its country and autonomous system. Pure: the
 * databases are read at the edge (geo-database.ts) and handed in as a lookup function.
 */
import { parseWhitelist } from '../detect/ip-whitelist';

export interface Geo {
  /** ISO 3166-1 alpha-2, upper case (`US`). */
  country?: string;
  /** Autonomous system number (`15169`). */
  asn?: number;
  /** The AS's organisation (`Google LLC`), as the database names it. */
  org?: string;
}

/** Canonical IP text → what the databases know of it; undefined for private, reserved or unknown addresses. */
export type GeoLookup = (ip: string) => Geo | undefined;

/**
 * Addresses that are not globally reachable (IANA IPv4 and IPv6 Special-Purpose Address Registries,
 * RFC 6890): no country or AS means anything for them, and a database that names one is wrong. The
 * documentation ranges are here too: they appear in samples and tests, never on the Internet.
 */
const NOT_PUBLIC = parseWhitelist(
  [
    '0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24',
    '192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/4 240.0.0.0/4',
    '::/128 ::1/128 64:ff9b::/96 64:ff9b:1::/48 100::/64 2001::/23 2001:db8::/32 2002::/16 3fff::/20',
    '5f00::/16 fc00::/7 fe80::/10 ff00::/8',
  ].join(' '),
);

/** Every IPv4 and IPv6 address: contains() is false for anything that is not an IP. */
const ANY_IP = parseWhitelist('0.0.0.0/0 ::/0');

/** Whether geo means anything for this address: a valid IP that is globally reachable. */
export function isPublicIp(ip: string): boolean {
  return ANY_IP.contains(ip) && !NOT_PUBLIC.contains(ip);
}

/** `US, AS15169 Google LLC`; the parts that are known, `undefined` when none is. */
export function formatGeo(geo: Geo | undefined): string | undefined {
  if (!geo) return undefined;
  const as =
    geo.asn !== undefined ? `AS${geo.asn}${geo.org ? ` ${geo.org}` : ''}` : geo.org !== undefined ? geo.org : undefined;
  const parts = [geo.country, as].filter((part): part is string => part !== undefined && part !== '');
  return parts.length > 0 ? parts.join(', ') : undefined;
}

const MAX_ORG_CHARS = 200;

function own(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * The country of one database record, in any of the shapes in use: DB-IP lite as ip-location-db packs it
 * (`country_code`), GeoLite2 / GeoIP2 Country, City and Enterprise (`country.iso_code`, else
 * `registered_country.iso_code` for addresses with no located country).
 */
export function countryOfRecord(record: unknown): string | undefined {
  const code =
    own(record, 'country_code') ??
    own(own(record, 'country'), 'iso_code') ??
    own(own(record, 'registered_country'), 'iso_code');
  if (typeof code !== 'string') return undefined;
  const upper = code.toUpperCase();
  return /^[A-Z]{2}$/.test(upper) ? upper : undefined;
}

/** AS number and organisation of one record: GeoLite2-ASN / GeoIP2-ISP field names (also our asn.mmdb's). */
export function asnOfRecord(record: unknown): Pick<Geo, 'asn' | 'org'> {
  const number = own(record, 'autonomous_system_number');
  const org = own(record, 'autonomous_system_organization');
  const out: Pick<Geo, 'asn' | 'org'> = {};
  if (typeof number === 'number' && Number.isInteger(number) && number > 0 && number <= 0xffffffff) out.asn = number;
  if (typeof org === 'string' && org.trim() !== '') out.org = org.trim().slice(0, MAX_ORG_CHARS);
  return out;
}

/** Combines what the country and the ASN database said; undefined when neither knew the address. */
export function geoOf(countryRecord: unknown, asnRecord: unknown): Geo | undefined {
  const geo: Geo = {};
  const country = countryOfRecord(countryRecord);
  if (country) geo.country = country;
  // A combined database (GeoIP2 Enterprise, ISP) answers both from one record.
  const as = { ...asnOfRecord(countryRecord), ...asnOfRecord(asnRecord) };
  if (as.asn !== undefined) geo.asn = as.asn;
  if (as.org !== undefined) geo.org = as.org;
  return Object.keys(geo).length > 0 ? geo : undefined;
}
