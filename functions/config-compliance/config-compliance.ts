/**
 * config-compliance: a resource that turns NON_COMPLIANT with a Config rule (AWS Config, Huawei Config
 * through policy states or Cloud Eye) raises an alert. Which new states alert, and for which rules, is
 * configured. Pure: config from an env map, detection and text from TraceEvents.
 */
import type { Severity } from '../../shared/alert/alert';
import {
  CONFIGURED_REGION,
  describeActor,
  describeRegion,
  describeSourceAddress,
  eventIdLines,
} from '../../shared/alert/alert-fields';
import { compileGlob } from '../../shared/detect/filter-pattern/glob';
import { escapeLoneSurrogates, formatFields, inlineValue, safeSubject } from '../../shared/alert/alert-text';
import type { Detector, Finding, FindingGroup } from '../../shared/detect/detector';
import { ConfigProblems, readBoolean, readEnv, type Env } from '../../shared/platform/env-config';
import { COMPLIANCE_STATES, readPutEvaluations, UNKNOWN_RULE } from '../../shared/normalize';
import type { Compliance, ComplianceState, TraceEvent } from '../../shared/normalize/trace-event';
import { configCompliancePrefilter } from './prefilter';

export interface ConfigComplianceConfig {
  /** New states that alert (NOTIFY_ON). */
  notifyOn: readonly ComplianceState[];
  /** Rule-name patterns of RULE_INCLUDE; undefined means every rule. */
  include?: readonly string[];
  /** Rule-name patterns of RULE_EXCLUDE; exclusion wins over inclusion. */
  exclude: readonly string[];
  /** Read the evaluations of CloudTrail `PutEvaluations` records (ALERT_ON_PUT_EVALUATIONS). */
  putEvaluations: boolean;
  /** Console origin for Huawei links, no trailing slash (HUAWEI_CONSOLE_URL). */
  huaweiConsoleUrl: string;
  /** The function's configured region (ALERT_REGION / RegionName), shown when an event names none. */
  region?: string;
}

export const DEFAULT_NOTIFY_ON: readonly ComplianceState[] = ['NON_COMPLIANT'];
/** Huawei Cloud international console. OTC users set `https://console.otc.t-systems.com` (unverified). */
export const DEFAULT_HUAWEI_CONSOLE_URL = 'https://console-intl.huaweicloud.com';

/** AWS Config rule names are at most 128 characters; patterns far longer than that are mistakes. */
const MAX_PATTERN_CHARS = 256;
/** Bounds the per-event work of the filters. */
const MAX_PATTERNS = 200;

/** The finding rule (the alert's `rule` attribute, usable in SNS filter policies) per new state. */
export const FINDING_RULES: Readonly<Record<ComplianceState, string>> = {
  NON_COMPLIANT: 'compliance-non-compliant',
  COMPLIANT: 'compliance-compliant',
  NOT_APPLICABLE: 'compliance-not-applicable',
  INSUFFICIENT_DATA: 'compliance-insufficient-data',
};

const SEVERITIES: Readonly<Record<ComplianceState, Severity>> = {
  NON_COMPLIANT: 'medium',
  COMPLIANT: 'low',
  NOT_APPLICABLE: 'low',
  INSUFFICIENT_DATA: 'low',
};

// --- configuration ----------------------------------------------------------------------------------

export function loadConfigComplianceConfig(env: Env): ConfigComplianceConfig {
  const problems = new ConfigProblems();
  const notifyOn = readStates(env, problems);
  const include = readPatterns(env, 'RULE_INCLUDE', problems);
  const exclude = readPatterns(env, 'RULE_EXCLUDE', problems) ?? [];
  const putEvaluations = readBoolean(env, 'ALERT_ON_PUT_EVALUATIONS', false, problems);
  const huaweiConsoleUrl = readConsoleUrl(env, problems);
  const region = readEnv(env, ...CONFIGURED_REGION)?.value;
  problems.throwIfAny('config-compliance');
  return {
    notifyOn,
    ...(include === undefined ? {} : { include }),
    exclude,
    putEvaluations,
    huaweiConsoleUrl,
    ...(region ? { region } : {}),
  };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function readStates(env: Env, problems: ConfigProblems): ComplianceState[] {
  const found = readEnv(env, 'NOTIFY_ON');
  if (!found) return [...DEFAULT_NOTIFY_ON];
  const states: ComplianceState[] = [];
  const entries = splitList(found.value);
  if (entries.length === 0)
    problems.add(`NOTIFY_ON=${JSON.stringify(found.value)} names no state (use ${COMPLIANCE_STATES.join(', ')})`);
  for (const entry of entries) {
    const state = COMPLIANCE_STATES.find((known) => known === entry.toUpperCase().replace(/[\s-]+/g, '_'));
    if (state === undefined)
      problems.add(`NOTIFY_ON: ${JSON.stringify(entry)} is not one of ${COMPLIANCE_STATES.join(', ')}`);
    else if (!states.includes(state)) states.push(state);
  }
  return states;
}

function readPatterns(env: Env, name: string, problems: ConfigProblems): string[] | undefined {
  const found = readEnv(env, name);
  if (!found) return undefined;
  const patterns = splitList(found.value);
  if (patterns.length === 0)
    problems.add(`${name}=${JSON.stringify(found.value)} names no rule (comma-separated names or * patterns)`);
  if (patterns.length > MAX_PATTERNS)
    problems.add(`${name} has ${patterns.length} entries; at most ${MAX_PATTERNS} are allowed`);
  for (const pattern of patterns) {
    if (pattern.length > MAX_PATTERN_CHARS)
      problems.add(
        `${name}: entry ${JSON.stringify(`${pattern.slice(0, 40)}…`)} is longer than ${MAX_PATTERN_CHARS} characters`,
      );
    else if (/[\u0000-\u001f\u007f]/.test(pattern))
      problems.add(`${name}: entry ${JSON.stringify(pattern)} contains control characters`);
  }
  return patterns;
}

function readConsoleUrl(env: Env, problems: ConfigProblems): string {
  const found = readEnv(env, 'HUAWEI_CONSOLE_URL');
  if (!found) return DEFAULT_HUAWEI_CONSOLE_URL;
  let url: URL | undefined;
  try {
    url = new URL(found.value);
  } catch {
    url = undefined;
  }
  if (
    url?.protocol !== 'https:' ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    problems.add(
      `HUAWEI_CONSOLE_URL=${JSON.stringify(found.value)} is not an https URL without query or fragment (e.g. ${DEFAULT_HUAWEI_CONSOLE_URL})`,
    );
    return DEFAULT_HUAWEI_CONSOLE_URL;
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

// --- rule-name patterns -----------------------------------------------------------------------------

/**
 * Whether `text` matches `pattern`, where `*` stands for any run of characters (also none) and every
 * other character stands for itself, case-sensitively: the filter-pattern engine's linear-time glob,
 * so no regular expression is ever built from user input.
 */
export function matchesGlob(pattern: string, text: string): boolean {
  return compileGlob(pattern)(text);
}

export function isRuleSelected(rule: string, config: ConfigComplianceConfig): boolean {
  if (config.exclude.some((pattern) => matchesGlob(pattern, rule))) return false;
  return config.include === undefined || config.include.some((pattern) => matchesGlob(pattern, rule));
}

// --- detection --------------------------------------------------------------------------------------

function isPutEvaluationsCall(event: TraceEvent): boolean {
  return event.source === 'cloudtrail' && event.service === 'config.amazonaws.com' && event.action === 'PutEvaluations';
}

function findingFor(event: TraceEvent, compliance: Compliance, config: ConfigComplianceConfig): Finding[] {
  const { newState, oldState } = compliance;
  if (!config.notifyOn.includes(newState)) return [];
  // No change, no alert. An unknown old state (first evaluation, or a source without one) is a change.
  if (oldState === newState) return [];
  if (!isRuleSelected(compliance.rule, config)) return [];
  const rule = FINDING_RULES[newState];
  return [
    {
      rule,
      severity: SEVERITIES[newState],
      event,
      groupKey: [
        rule,
        event.cloud,
        event.account ?? '',
        event.region ?? '',
        compliance.rule,
        compliance.resourceType ?? '',
        compliance.resourceId ?? '',
        newState,
      ].join('\u0000'),
    },
  ];
}

/**
 * A PutEvaluations call becomes one finding per reported evaluation that alerts. Each gets its own copy
 * of the event with the evaluation as `compliance` and the evaluation's position appended to the id,
 * so alerts of one call de-duplicate separately (and stay the same on re-delivery). A failed call
 * recorded nothing, and neither does a call in test mode.
 */
function putEvaluationFindings(event: TraceEvent, config: ConfigComplianceConfig): Finding[] {
  if (!config.putEvaluations || event.outcome !== 'success') return [];
  const request = readPutEvaluations(event.raw);
  if (request.testMode) return [];
  return request.evaluations.flatMap(({ index, compliance }) => {
    const resource = { type: compliance.resourceType, id: compliance.resourceId };
    const reported: TraceEvent = {
      ...event,
      id: `${event.id}#evaluations[${index}]`,
      compliance,
      resource: dropEmpty(resource),
    };
    return findingFor(reported, compliance, config);
  });
}

function dropEmpty(resource: { type?: string; id?: string }): TraceEvent['resource'] {
  const kept = Object.fromEntries(Object.entries(resource).filter(([, value]) => value !== undefined));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

export function detectComplianceChange(event: TraceEvent, config: ConfigComplianceConfig): Finding[] {
  if (event.compliance) return findingFor(event, event.compliance, config);
  if (isPutEvaluationsCall(event)) return putEvaluationFindings(event, config);
  return [];
}

// --- alert text -------------------------------------------------------------------------------------

const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const HUAWEI_REGION = /^[a-z]{2}(?:-[a-z0-9]+)+$/;

/**
 * The console page of the rule. AWS: the rule's details page in the commercial partition (China and
 * GovCloud consoles live elsewhere and get this form too). Huawei: the Config console of the region,
 * a form that is not verified against the console.
 */
export function consoleLink(event: TraceEvent, config: ConfigComplianceConfig): string | undefined {
  const rule = event.compliance?.rule;
  if (event.cloud === 'aws') {
    if (event.region === undefined || !AWS_REGION.test(event.region)) return undefined;
    const region = encodeURIComponent(event.region);
    const page =
      rule === undefined || rule === UNKNOWN_RULE
        ? '#/rules'
        : // A lone surrogate makes encodeURIComponent throw, which would fail the alert itself.
          `#/rules/details?configRuleName=${encodeURIComponent(escapeLoneSurrogates(rule))}`;
    return `https://${region}.console.aws.amazon.com/config/home?region=${region}${page}`;
  }
  const region =
    event.region !== undefined && event.region !== 'global' && HUAWEI_REGION.test(event.region)
      ? `?region=${encodeURIComponent(event.region)}`
      : '';
  return `${config.huaweiConsoleUrl}/rms/${region}`;
}

function describeResource(event: TraceEvent, compliance: Compliance | undefined): string {
  const parts = [compliance?.resourceType ?? event.resource?.type, compliance?.resourceId ?? event.resource?.id].filter(
    (part) => part !== undefined,
  );
  const name = event.resource?.name;
  const shown = parts.length > 0 ? parts.map((part) => inlineValue(part, 256)).join(' ') : '(unknown resource)';
  return name !== undefined && name !== compliance?.resourceId ? `${shown} (${inlineValue(name, 256)})` : shown;
}

/** AWS Config notifications carry the old result whenever there is one; other sources never do. */
function describeOldState(event: TraceEvent, compliance: Compliance): string {
  if (compliance.oldState !== undefined) return compliance.oldState;
  return event.source === 'aws-config' ? '(first evaluation)' : '(previous state not reported)';
}

export function describeComplianceAlert(
  group: FindingGroup,
  config: ConfigComplianceConfig,
): { subject: string; message: string } {
  const event = group.first;
  const compliance = event.compliance ?? { rule: UNKNOWN_RULE, newState: 'NON_COMPLIANT' };
  const rule = inlineValue(compliance.rule, 256);
  const resource = describeResource(event, compliance);
  const firstLine = `Resource ${resource} is ${compliance.newState} with rule ${rule}`;
  const fields = formatFields([
    ['Rule', compliance.rule],
    ['Resource', resource],
    ['State', `${describeOldState(event, compliance)} → ${compliance.newState}`],
    ['Annotation', compliance.annotation],
    ['Account', event.account],
    ['Region', describeRegion(event, config.region)],
    ['When', event.time],
    ['Console', consoleLink(event, config)],
    // Who reported it matters only when it was not the Config service itself (a custom rule's function).
    ...(event.source === 'cloudtrail' ? ([['Reported by', describeActor(event)]] as const) : []),
    // Config notifications have no source address; a PutEvaluations call does, raw form beside canonical.
    ...(event.sourceAddressKind === 'empty' ? [] : ([['Source address', describeSourceAddress(event)]] as const)),
    ['Source', `${event.source} ${event.action}`],
  ]);
  const subjectResource = compliance.resourceId ?? compliance.resourceType ?? 'a resource';
  return {
    subject: safeSubject(`trailguard: ${compliance.newState}: ${compliance.rule} on ${subjectResource}`),
    message: [firstLine, '', fields, eventIdLines(group)].join('\n'),
  };
}

export const configCompliance: Detector<ConfigComplianceConfig> = {
  name: 'config-compliance',
  prefilter: configCompliancePrefilter,
  loadConfig: loadConfigComplianceConfig,
  detect: detectComplianceChange,
  describe: describeComplianceAlert,
};
