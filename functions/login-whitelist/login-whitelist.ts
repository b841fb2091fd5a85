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
import { describeActor, describeWhere, eventIdLines } from '../../shared/alert/alert-fields';
import { describeFailedLogins, detectFailedLogins, failedLoginRuleEnabled, RULE_LOGIN_FAILED } from './failed-logins';

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
  /** Rule `login-failed` (failed-logins.ts): on when THRESHOLDS gives it a threshold. */
  failedLogins?: boolean;
}

export const RULE_OUTSIDE_WHITELIST = 'ip-not-whitelisted';
export const RULE_NON_IP_SOURCE = 'source-not-an-ip';

export function loadLoginWhitelistConfig(env: Env): LoginWhitelistConfig {
  const problems = new ConfigProblems();
  const list = readEnv(env, 'IP_WHITELIST', 'IP');
  let whitelist: IpWhitelist | undefined;
  if (!list) {
    problems.add(
      'IP_WHITELIST is not set: list the allowed source addresses (IPv4, IPv6 or CIDR), separated by commas or spaces',
    );
  } else {
    try {
      whitelist = parseWhitelist(list.value);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.add(`${list.name}: ${problem}`);
    }
  }
  const alertOnFailedLogin = readBoolean(env, 'ALERT_ON_FAILED_LOGIN', false, problems);
  const nonIpSource = readChoice(env, 'NON_IP_SOURCE', NON_IP_POLICIES, 'alert', problems);
  problems.throwIfAny('login-whitelist');
  return {
    whitelist: whitelist as IpWhitelist,
    alertOnFailedLogin,
    nonIpSource,
    failedLogins: failedLoginRuleEnabled(env),
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
  if (event.sourceIp === undefined) {
    return `${inlineValue(event.sourceAddress, 128)} (${event.sourceAddressKind}: not an IP address, cannot be checked against the whitelist)`;
  }
  if (event.sourceIp !== event.sourceAddress) {
    return `${event.sourceIp} (written by the provider as ${inlineValue(event.sourceAddress, 128)})`;
  }
  return event.sourceIp;
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

export function describeLoginAlert(group: FindingGroup): { subject: string; message: string } {
  const event = group.first;
  const action = inlineValue(event.action, 64);
  const address = shownAddress(event);
  const firstLine = `Illegal operation[IP:${address}, Action:${action}]`;
  const what = CATEGORY_PHRASES[event.category] ?? event.category;
  const reason =
    group.rule === RULE_OUTSIDE_WHITELIST
      ? `A ${what} came from an address outside the IP whitelist.`
      : `A ${what} came from a source that is not an IP address; it could not be checked against the whitelist.`;
  const fields = formatFields([
    ['Rule', group.rule],
    ['Who', describeActor(event)],
    ['MFA', describeMfa(event.actor.mfa)],
    ['Outcome', event.outcome + (event.error?.message ? ` (${event.error.message})` : '')],
    ['When', event.time],
    ['Where', describeWhere(event)],
    ['Source', describeSource(event)],
    ['User agent', event.userAgent],
    ['Service', event.service],
  ]);
  return {
    subject: safeSubject(
      `trailguard: ${what} from ${group.rule === RULE_OUTSIDE_WHITELIST ? `${address} outside IP whitelist` : `non-IP source ${address}`}`,
    ),
    message: [firstLine, reason, '', fields, eventIdLines(group)].join('\n'),
  };
}

export const loginWhitelist: Detector<LoginWhitelistConfig> = {
  name: 'login-whitelist',
  loadConfig: loadLoginWhitelistConfig,
  detect: (event, config) => [
    ...detectLoginOutsideWhitelist(event, config),
    ...detectFailedLogins(event, config.failedLogins),
  ],
  describe: (group) => (group.rule === RULE_LOGIN_FAILED ? describeFailedLogins(group) : describeLoginAlert(group)),
};
