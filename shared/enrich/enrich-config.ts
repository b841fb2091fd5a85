/**
 * The enrichment settings, checked at cold start with every other variable (pure: the file system comes
 * in through `options`):
 *   GEOIP_DB       a MaxMind DB with countries (GeoLite2/GeoIP2 Country or City, DB-IP); `off`: no geo at all
 *   GEOIP_ASN_DB   a MaxMind DB with AS numbers (GeoLite2-ASN); `off`: no AS
 *   ACCOUNT_NAMES  account id → name, as JSON or the path of a JSON file
 *   ACCOUNT_NAMES_FROM_ORGANIZATIONS  `true`: also AWS Organizations ListAccounts (AWS only)
 *   ORGANIZATIONS_ENDPOINT  endpoint override for that call
 * Without GEOIP_DB / GEOIP_ASN_DB the embedded databases (geo/ beside the bundle) are used.
 */
import { type ConfigProblems, readBoolean, readEnv, type Env } from '../platform/env-config';
import { parseAccountNames } from './account-names';
import { EMBEDDED_ASN_DB, EMBEDDED_COUNTRY_DB, type GeoDatabasePaths, type GeoFiles } from './geo-database';
import { join } from 'node:path';

export interface EnrichConfig {
  /** The databases to read; undefined when geo is off or no database is available. */
  geo?: GeoDatabasePaths & {
    /** Where they come from, for check-config and docs: `embedded` or the variable that named them. */
    source: { country?: string; asn?: string };
  };
  /** GEOIP_DB=off. */
  geoOff?: boolean;
  /** ACCOUNT_NAMES. */
  accountNames: ReadonlyMap<string, string>;
  /** ACCOUNT_NAMES_FROM_ORGANIZATIONS: ListAccounts, cached per instance. */
  organizations?: { endpoint?: string };
}

export interface EnrichConfigOptions {
  /** Reads an ACCOUNT_NAMES file. */
  readFile?: (path: string) => string;
  /** Finds and checks the geo databases; without it (pure callers) geo stays off unless named. */
  geoFiles?: GeoFiles;
  platform?: 'aws' | 'functiongraph' | 'cli';
}

const OFF = /^(off|none|false)$/i;

function readDatabase(
  env: Env,
  name: 'GEOIP_DB' | 'GEOIP_ASN_DB',
  embedded: string | undefined,
  problems: ConfigProblems,
  files: GeoFiles | undefined,
): { path?: string; from?: string; off: boolean } {
  const set = readEnv(env, name);
  if (set === undefined) return embedded ? { path: embedded, from: 'embedded', off: false } : { off: false };
  if (set.value === '') {
    problems.add(`${name} is set but empty: give the path of a MaxMind DB (.mmdb) file, or off`);
    return { off: false };
  }
  if (OFF.test(set.value)) return { off: true };
  const problem = files ? files.check(set.value) : undefined;
  if (problem) {
    problems.add(`${name}=${JSON.stringify(set.value)}: the file ${problem}`);
    return { off: false };
  }
  return { path: set.value, from: name, off: false };
}

export function loadEnrichConfig(env: Env, problems: ConfigProblems, options: EnrichConfigOptions = {}): EnrichConfig {
  const files = options.geoFiles;
  const embeddedDir = files?.embeddedDir();
  const country = readDatabase(env, 'GEOIP_DB', embeddedDir && join(embeddedDir, EMBEDDED_COUNTRY_DB), problems, files);
  const asn = readDatabase(env, 'GEOIP_ASN_DB', embeddedDir && join(embeddedDir, EMBEDDED_ASN_DB), problems, files);
  const config: EnrichConfig = { accountNames: new Map(), ...(country.off ? { geoOff: true } : {}) };
  // GEOIP_DB=off turns geo off altogether; GEOIP_ASN_DB=off only the AS part.
  if (!country.off && (country.path || (!asn.off && asn.path))) {
    config.geo = { source: {} };
    if (country.path) {
      config.geo.country = country.path;
      config.geo.source.country = country.from;
    }
    if (!asn.off && asn.path) {
      config.geo.asn = asn.path;
      config.geo.source.asn = asn.from;
    }
  }

  const names = readEnv(env, 'ACCOUNT_NAMES');
  if (names) {
    const list: string[] = [];
    const value = names.value;
    // JSON text inline (an object, or something that tried to be JSON); anything else names a file.
    if (/^[[{"]/.test(value)) config.accountNames = parseAccountNames(value, 'ACCOUNT_NAMES', list);
    else {
      let text: string | undefined;
      try {
        if (!options.readFile) throw new Error('no file system here');
        text = options.readFile(value);
      } catch (error) {
        list.push(
          `ACCOUNT_NAMES ${JSON.stringify(value)}: not a JSON object and not a readable file (${(error as Error).message})`,
        );
      }
      if (text !== undefined) config.accountNames = parseAccountNames(text, `ACCOUNT_NAMES file ${value}`, list);
    }
    for (const problem of list) problems.add(problem);
  }

  if (readBoolean(env, 'ACCOUNT_NAMES_FROM_ORGANIZATIONS', false, problems)) {
    if (options.platform === 'functiongraph')
      problems.add(
        'ACCOUNT_NAMES_FROM_ORGANIZATIONS is for AWS; on FunctionGraph the domain name comes from the trace (or use ACCOUNT_NAMES)',
      );
    const endpoint = readEnv(env, 'ORGANIZATIONS_ENDPOINT')?.value;
    if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint))
      problems.add(`ORGANIZATIONS_ENDPOINT=${JSON.stringify(endpoint)} is not an http(s) URL`);
    config.organizations = endpoint ? { endpoint } : {};
  }
  return config;
}
