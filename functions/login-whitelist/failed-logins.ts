/**
 * Brute force and password spraying: every failed console login (CloudTrail `ConsoleLogin` failure, CTS
 * `loginFailed`) is a finding of rule `login-failed`, twice: once grouped by source address, once by
 * principal. On its own each would alert per failure, so the rule runs only when THRESHOLDS names it
 * (`login-failed=5/10m`): then N failures from one address, or against one principal, within the period
 * raise one alert. Failed logins from whitelisted addresses count too: brute force from inside is still
 * brute force.
 */
import { describeActor, describeSourceAddress, describeWhere, eventIdLines } from '../../shared/alert/alert-fields';
import { formatFields, inlineValue, safeSubject } from '../../shared/alert/alert-text';
import type { Finding, FindingGroup } from '../../shared/detect/detector';
import type { TraceEvent } from '../../shared/normalize/trace-event';
import { type Env, readEnv } from '../../shared/platform/env-config';

export const RULE_LOGIN_FAILED = 'login-failed';

/** Whether THRESHOLDS gives `login-failed` a threshold (the memory stage checks the entry itself). */
export function failedLoginRuleEnabled(env: Env): boolean {
  const thresholds = readEnv(env, 'THRESHOLDS')?.value ?? '';
  return thresholds.split(',').some((entry) => entry.trim().startsWith(`${RULE_LOGIN_FAILED}=`));
}

function principalOf(event: TraceEvent): string | undefined {
  return event.actor.arn ?? event.actor.id ?? event.actor.name;
}

export function detectFailedLogins(event: TraceEvent, enabled: boolean | undefined): Finding[] {
  if (!enabled || event.category !== 'login-failed') return [];
  const findings: Finding[] = [
    {
      rule: RULE_LOGIN_FAILED,
      severity: 'high',
      event,
      groupKey: `${RULE_LOGIN_FAILED}\u0000source\u0000${event.cloud}\u0000${event.sourceIp ?? event.sourceAddress}`,
    },
  ];
  const principal = principalOf(event);
  if (principal !== undefined)
    findings.push({
      rule: RULE_LOGIN_FAILED,
      severity: 'high',
      event,
      groupKey: `${RULE_LOGIN_FAILED}\u0000principal\u0000${event.cloud}\u0000${event.account ?? ''}\u0000${principal}`,
    });
  return findings;
}

export function describeFailedLogins(group: FindingGroup): { subject: string; message: string } {
  const event = group.first;
  const bySource = group.groupKey.startsWith(`${RULE_LOGIN_FAILED}\u0000source\u0000`);
  const address = event.sourceIp ?? inlineValue(event.sourceAddress, 128);
  const who = event.actor.name ?? event.actor.id ?? 'unknown principal';
  const headline = bySource
    ? `${group.count} failed console login(s) from ${address} (brute force or password spraying)`
    : `${group.count} failed console login(s) for ${inlineValue(who, 128)} (brute force)`;
  const fields = formatFields([
    ['Rule', `${group.rule} (per ${bySource ? 'source address' : 'principal'})`],
    [bySource ? 'Source' : 'Principal', bySource ? (describeSourceAddress(event) ?? address) : describeActor(event)],
    ['First', `${describeActor(event)} from ${address}`],
    ['Error', event.error?.message],
    ['Where', describeWhere(event)],
    ['When', event.time],
    ['User agent', event.userAgent],
  ]);
  return {
    subject: safeSubject(`trailguard: ${group.count} failed logins ${bySource ? `from ${address}` : `for ${who}`}`),
    message: [headline, '', fields, eventIdLines(group)].join('\n'),
  };
}
