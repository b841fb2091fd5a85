/**
 * Rule `country-not-allowed` (COUNTRY_ALLOWLIST): a console login or logout from a public address whose
 * country is not in the list. The country comes from the geo databases through a lookup the edge binds
 * into the config (Detector.geoRule): detection stays pure. Private and reserved addresses have no
 * country and are the IP whitelist's business alone; a public address the database does not know is
 * treated as outside the list (its country cannot be shown to be allowed).
 */
import type { GeoLookup } from '../../shared/enrich/geo';
import { isPublicIp } from '../../shared/enrich/geo';
import type { ConfigProblems, Env } from '../../shared/platform/env-config';
import { readEnv } from '../../shared/platform/env-config';

export const RULE_COUNTRY_NOT_ALLOWED = 'country-not-allowed';

/** Two-letter codes the region data names that are not countries a database reports. */
const NOT_COUNTRIES: Record<string, string> = {
  UK: 'the ISO code of the United Kingdom is GB',
  EU: 'EU is a union, not a country: list its members',
  EZ: 'EZ is the eurozone, not a country: list its members',
  UN: 'UN is not a country',
  ZZ: 'ZZ means an unknown region',
  QO: 'QO is not a country',
};

let regionNames: Intl.DisplayNames | undefined;

/** The English name of an ISO 3166-1 alpha-2 code, from the runtime's region data; undefined if unassigned. */
export function countryName(code: string): string | undefined {
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  try {
    return regionNames.of(code);
  } catch {
    return undefined;
  }
}

/** COUNTRY_ALLOWLIST: ISO 3166-1 alpha-2 codes, any case, separated by commas and/or spaces. */
export function readCountryAllowlist(env: Env, problems: ConfigProblems): string[] | undefined {
  const set = readEnv(env, 'COUNTRY_ALLOWLIST');
  if (!set) return undefined;
  const tokens = set.value.split(/[\s,;]+/).filter(Boolean);
  if (tokens.length === 0) {
    problems.add('COUNTRY_ALLOWLIST is set but empty: list ISO 3166-1 alpha-2 country codes (DE, FR), or unset it');
    return undefined;
  }
  const codes = new Set<string>();
  const bad: string[] = [];
  for (const token of tokens) {
    const code = token.toUpperCase();
    const note = NOT_COUNTRIES[code];
    if (!/^[A-Z]{2}$/.test(code)) bad.push(`${JSON.stringify(token.slice(0, 20))} is not a two-letter code`);
    else if (note) bad.push(`${code}: ${note}`);
    else if (countryName(code) === undefined) bad.push(`${code} is not an assigned ISO 3166-1 alpha-2 code`);
    else codes.add(code);
  }
  for (const problem of bad) problems.add(`COUNTRY_ALLOWLIST: ${problem}`);
  return bad.length === 0 ? [...codes].sort() : undefined;
}

/**
 * For one login: `undefined` when the rule does not apply (no list, no lookup, not a public IP) or the
 * country is allowed; otherwise the country found (`undefined` country: the database does not know it).
 */
export function disallowedCountry(
  ip: string | undefined,
  allowlist: readonly string[] | undefined,
  lookup: GeoLookup | undefined,
): { country?: string } | undefined {
  if (!allowlist || !lookup || ip === undefined || !isPublicIp(ip)) return undefined;
  const country = lookup(ip)?.country;
  if (country !== undefined && allowlist.includes(country)) return undefined;
  return country === undefined ? {} : { country };
}
