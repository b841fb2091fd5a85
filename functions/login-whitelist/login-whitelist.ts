/**
 * login-whitelist: a console login or logout from a source address outside the configured whitelist
 * raises an alert. Pure: config from an env map, detection and text from TraceEvents.
 */
import { safeSubject, formatFields, inlineValue } from '../../shared/alert/alert-text';
import type { Detector, Finding, FindingGroup } from '../../shared/detect/detector';
import { ConfigProblems, readBoolean, readChoice, readEnv, type Env } from '../../shared/platform/env-config';
import { ConfigError } from '../../shared/errors';
import { parseWhitelist, type IpWhitelist } from '../../shared/detect/ip-whitelist';
import type { TraceEvent } from '../../shared/normalize/trace-event';
import {
  CONFIGURED_REGION,
  describeActor,
  describeSourceAddress,
  describeWhere,
  eventIdLines,
} from '../../shared/alert/alert-fields';
import { describeFailedLogins, detectFailedLogins, failedLoginRuleEnabled, RULE_LOGIN_FAILED } from './failed-logins';
import { countryName, disallowedCountry, RULE_COUNTRY_NOT_ALLOWED, readCountryAllowlist } from './country-allowlist';
import type { GeoLookup } from '../../shared/enrich/geo';
import { loginWhitelistPrefilter } from './prefilter';

export const NON_IP_POLICIES = ['alert', 'ignore'] as const;
export type NonIpPolicy = (typeof NON_IP_POLICIES)[number];

export interface LoginWhitelistConfig {
  whitelist: IpWhitelist;
  /** Also alert on failed console logins from outside the whitelist. */
  alertOnFailedLogin: boolean;
  /**
   * What to do with a login whose source is not an IP (empty, `AWS Internal`, a host name): it cannot
   * be checked against the whitelist, so by default it is reported as its own rule.
   */
  nonIpSource: NonIpPolicy;
  /** The function's configured region (ALERT_REGION / RegionName), shown when an event names none. */
  region?: string;
  /** Accepted but worth a look (a whitelist entry that allows every address): logged once at cold start. */
  warnings: string[];
  /** Rule `login-failed` (failed-logins.ts): on when THRESHOLDS gives it a threshold. */
  failedLogins?: boolean;
  /** COUNTRY_ALLOWLIST, sorted ISO codes: rule `country-not-allowed` (country-allowlist.ts). */
  countryAllowlist?: string[];
  /** The geo lookup, bound in by the edge when countryAllowlist is set (Detector.geoRule). */
  countryOf?: GeoLookup;
}

export const RULE_OUTSIDE_WHITELIST = 'ip-not-whitelisted';
export const RULE_NON_IP_SOURCE = 'source-not-an-ip';

/** The whitelist variables: the documented one, and the Huawei sample's. */
const WHITELIST_VARIABLES = ['IP_WHITELIST', 'IP'] as const;

/** `IP_WHITELIST`, or `IP` as the Huawei sample names it; both set to different lists is an error. */
function readWhitelist(env: Env, problems: ConfigProblems): { name: string; value: string } | undefined {
  const set = WHITELIST_VARIABLES.filter((name) => typeof env[name] === 'string').map((name) => ({
    name,
    value: (env[name] as string).trim(),
  }));
  if (set.length === 0) {
    problems.add(
      'IP_WHITELIST is not set: list the allowed source addresses (IPv4, IPv6 or CIDR), separated by commas or spaces',
    );
    return undefined;
  }
  const entries = (value: string) =>
    value
      .split(/[\s,;]+/)
      .filter(Boolean)
      .join(',');
  if (set.length === 2 && entries(set[0].value) !== entries(set[1].value)) {
    problems.add(
      `IP_WHITELIST=${JSON.stringify(set[0].value)} and IP=${JSON.stringify(set[1].value)} are both set and differ: set only one of them (IP is the Huawei sample's name for IP_WHITELIST)`,
    );
    return undefined;
  }
  const chosen = set[0];
  if (chosen.value === '') {
    problems.add(
      `${chosen.name} is set but empty: list the allowed source addresses (IPv4, IPv6 or CIDR), separated by commas or spaces`,
    );
    return undefined;
  }
  return chosen;
}

export function loadLoginWhitelistConfig(env: Env): LoginWhitelistConfig {
  const problems = new ConfigProblems();
  const list = readWhitelist(env, problems);
  let whitelist: IpWhitelist | undefined;
  if (list) {
    try {
      whitelist = parseWhitelist(list.value);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.add(`${list.name}: ${problem}`);
    }
  }
  const alertOnFailedLogin = readBoolean(env, 'ALERT_ON_FAILED_LOGIN', false, problems);
  const nonIpSource = readChoice(env, 'NON_IP_SOURCE', NON_IP_POLICIES, 'alert', problems);
  const countryAllowlist = readCountryAllowlist(env, problems);
  problems.throwIfAny('login-whitelist');
  const warnings = (whitelist?.allowsEverything ?? []).map(
    (entry) =>
      `${list?.name}: entry ${entry} allows every ${entry.includes(':') ? 'IPv6' : 'IPv4'} address: ` +
      (countryAllowlist
        ? 'no login from that family will alert for the IP whitelist (COUNTRY_ALLOWLIST still applies)'
        : 'no login from that family will ever alert'),
  );
  const region = readEnv(env, ...CONFIGURED_REGION)?.value;
  return {
    whitelist: whitelist as IpWhitelist,
    alertOnFailedLogin,
    nonIpSource,
    warnings,
    ...(region ? { region } : {}),
    failedLogins: failedLoginRuleEnabled(env),
    ...(countryAllowlist ? { countryAllowlist } : {}),
  };
}

function isWatchedLogin(event: TraceEvent, config: LoginWhitelistConfig): boolean {
  if (event.category === 'login' || event.category === 'logout') return true;
  return event.category === 'login-failed' && config.alertOnFailedLogin;
}

export function detectLoginOutsideWhitelist(event: TraceEvent, config: LoginWhitelistConfig): Finding[] {
  if (!isWatchedLogin(event, config)) return [];
  const who = event.actor.id ?? event.actor.arn ?? event.actor.name ?? '';
  if (event.sourceIp !== undefined) {
    // One alert per login: a country outside COUNTRY_ALLOWLIST outranks (and includes) being outside the
    // whitelist; a whitelisted address from such a country alerts too, the list being checked for every login.
    if (disallowedCountry(event.sourceIp, config.countryAllowlist, config.countryOf))
      return [
        {
          rule: RULE_COUNTRY_NOT_ALLOWED,
          severity: event.category === 'login-failed' ? 'medium' : 'high',
          event,
          groupKey: `${RULE_COUNTRY_NOT_ALLOWED}\u0000${event.category}\u0000${event.sourceIp}\u0000${who}`,
        },
      ];
    if (config.whitelist.contains(event.sourceIp)) return [];
    return [
      {
        rule: RULE_OUTSIDE_WHITELIST,
        severity: event.category === 'login-failed' ? 'medium' : 'high',
        event,
        groupKey: `${RULE_OUTSIDE_WHITELIST}\u0000${event.category}\u0000${event.sourceIp}\u0000${who}`,
      },
    ];
  }
  if (config.nonIpSource === 'ignore') return [];
  return [
    {
      rule: RULE_NON_IP_SOURCE,
      severity: 'medium',
      event,
      groupKey: `${RULE_NON_IP_SOURCE}\u0000${event.category}\u0000${event.sourceAddress}\u0000${who}`,
    },
  ];
}

/** The address as the classic first line shows it: the canonical IP, or the raw text made safe. */
function shownAddress(event: TraceEvent): string {
  return event.sourceIp ?? inlineValue(event.sourceAddress, 128);
}

function describeSource(event: TraceEvent): string {
  return describeSourceAddress(event, 'not an IP address, cannot be checked against the whitelist') ?? '-';
}

function describeMfa(mfa: boolean | undefined): string {
  if (mfa === undefined) return 'unknown';
  return mfa ? 'yes' : 'no';
}

const CATEGORY_PHRASES: Partial<Record<TraceEvent['category'], string>> = {
  login: 'login',
  logout: 'logout',
  'login-failed': 'failed login',
};

/** The classic first line's `Action:` word, the same on every cloud (the Huawei sample's `login`/`logout`). */
export const FIRST_LINE_ACTIONS: Partial<Record<TraceEvent['category'], string>> = {
  login: 'login',
  logout: 'logout',
  'login-failed': 'loginFailed',
};

/** The classic first line: `Illegal operation[IP:<address>, Action:<login|logout|loginFailed>]`. */
function firstLineOf(event: TraceEvent): string {
  return `Illegal operation[IP:${shownAddress(event)}, Action:${FIRST_LINE_ACTIONS[event.category] ?? event.category}]`;
}

/** The fields of every login alert, with the rule's own ones (`extra`) after `Source`. */
function loginFields(
  group: FindingGroup,
  region: string | undefined,
  extra: ReadonlyArray<readonly [label: string, value: unknown]> = [],
): string {
  const event = group.first;
  return formatFields([
    ['Rule', group.rule],
    ['Who', describeActor(event)],
    ['MFA', describeMfa(event.actor.mfa)],
    ['Outcome', event.outcome + (event.error?.message ? ` (${event.error.message})` : '')],
    ['When', event.time],
    ['Where', describeWhere(event, region)],
    ['Source', describeSource(event)],
    ...extra,
    ['Provider action', event.action],
    ['User agent', event.userAgent],
    ['Service', event.service],
  ]);
}

export function describeLoginAlert(
  group: FindingGroup,
  config: Partial<Pick<LoginWhitelistConfig, 'region' | 'countryAllowlist' | 'countryOf' | 'whitelist'>> = {},
): { subject: string; message: string } {
  if (group.rule === RULE_COUNTRY_NOT_ALLOWED) return describeCountryAlert(group, config);
  const event = group.first;
  const address = shownAddress(event);
  // The same words for every cloud (a mail filter on `Action:login` must catch AWS logins too); the
  // provider's own name (`ConsoleLogin`, `login`, `scanQrCodeLogin`…) is the `Provider action` field.
  const firstLine = firstLineOf(event);
  const what = CATEGORY_PHRASES[event.category] ?? event.category;
  const reason =
    group.rule === RULE_OUTSIDE_WHITELIST
      ? `A ${what} came from an address outside the IP whitelist.`
      : `A ${what} came from a source that is not an IP address; it could not be checked against the whitelist.`;
  const fields = loginFields(group, config.region);
  return {
    subject: safeSubject(
      `trailguard: ${what} from ${group.rule === RULE_OUTSIDE_WHITELIST ? `${address} outside IP whitelist` : `non-IP source ${address}`}`,
    ),
    message: [firstLine, reason, '', fields, eventIdLines(group)].join('\n'),
  };
}

/** `country-not-allowed`: the classic first line, then which country and what the list allows. */
function describeCountryAlert(
  group: FindingGroup,
  config: Partial<Pick<LoginWhitelistConfig, 'region' | 'countryAllowlist' | 'countryOf' | 'whitelist'>>,
): { subject: string; message: string } {
  const event = group.first;
  const address = shownAddress(event);
  const what = CATEGORY_PHRASES[event.category] ?? event.category;
  const country = event.geo?.country ?? (event.sourceIp ? config.countryOf?.(event.sourceIp)?.country : undefined);
  const from = country ? `${countryName(country) ?? country} (${country})` : 'an unknown country';
  const inWhitelist = event.sourceIp !== undefined && config.whitelist?.contains(event.sourceIp) === true;
  const firstLine = firstLineOf(event);
  const reason = `A ${what} came from ${from}, outside the country allowlist; the address is ${inWhitelist ? 'in' : 'outside'} the IP whitelist.`;
  const fields = loginFields(group, config.region, [
    ['Country', country ?? 'unknown (not in the geo database)'],
    ['Allowed countries', (config.countryAllowlist ?? []).join(', ')],
    ['IP whitelist', inWhitelist ? 'in the whitelist' : 'outside the whitelist'],
  ]);
  return {
    subject: safeSubject(
      `trailguard: ${what} from ${address} (${country ?? 'unknown country'}) outside country allowlist`,
    ),
    message: [firstLine, reason, '', fields, eventIdLines(group)].join('\n'),
  };
}

export const loginWhitelist: Detector<LoginWhitelistConfig> = {
  name: 'login-whitelist',
  prefilter: loginWhitelistPrefilter,
  loadConfig: loadLoginWhitelistConfig,
  geoRule: {
    needed: (config) => config.countryAllowlist !== undefined,
    bind: (config, lookup) => ({ ...config, countryOf: lookup }),
  },
  detect: (event, config) => [
    ...detectLoginOutsideWhitelist(event, config),
    ...detectFailedLogins(event, config.failedLogins),
  ],
  describe: (group, config) =>
    group.rule === RULE_LOGIN_FAILED ? describeFailedLogins(group) : describeLoginAlert(group, config),
};
