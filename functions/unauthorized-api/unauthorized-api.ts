/**
 * unauthorized-api: API calls refused for lack of permission raise alerts and feed the
 * AuthorizationFailureCount metric. AWS rules are CloudWatch Logs filter patterns run on the
 * CloudTrail record itself, so the CIS patterns people already use run unchanged; Huawei CTS traces
 * are matched by their HTTP status and error code.
 */
import { formatFields, inlineValue, safeSubject } from '../../shared/alert/alert-text';
import {
  CONFIGURED_REGION,
  describeActor,
  describeSourceAddress,
  describeWhere,
  eventIdLines,
} from '../../shared/alert/alert-fields';
import { SEVERITIES, type Severity } from '../../shared/alert/alert';
import {
  METRIC_MODES,
  type Detector,
  type Finding,
  type FindingGroup,
  type MetricSettings,
} from '../../shared/detect/detector';
import { ConfigProblems, readBoolean, readChoice, readEnv, type Env } from '../../shared/platform/env-config';
import { compileFilterPattern, FilterPatternError, type CompiledPattern } from '../../shared/detect/filter-pattern';
import type { TraceEvent } from '../../shared/normalize/trace-event';
import { BUILT_IN_RULES, RULE_SETS, type BuiltInRule } from './rules';
import { answeredBelow400, CTS_REFUSAL, REFUSED_STATUSES } from './cts-refusal';
import { unauthorizedApiPrefilter } from './prefilter';

export interface FilterRule {
  name: string;
  description: string;
  severity: Severity;
  pattern: CompiledPattern;
  /** Counts toward AuthorizationFailureCount. */
  authorizationFailure: boolean;
}

export interface UnauthorizedApiConfig {
  /** Filter-pattern rules, run against CloudTrail records. */
  rules: readonly FilterRule[];
  /** Run the Huawei CTS refused-call rule. */
  ctsRule: boolean;
  metric: MetricSettings;
  /** The function's configured region (ALERT_REGION / RegionName), shown when an event names none. */
  region?: string;
}

export const CTS_RULE = 'cts-unauthorized-api-call';

/** How much of a response body the refusal check reads: refusals say so at the start. */
const RESPONSE_TEXT_CHARS = 4096;

interface CustomRuleInput {
  name?: unknown;
  pattern?: unknown;
  severity?: unknown;
  metric?: unknown;
  description?: unknown;
}

/**
 * A built-in rule's pattern, compiled on its first match instead of at cold start (all 17 CIS patterns took
 * ~10 ms of every unauthorized-api cold start). Built-in patterns are constants that test/unauthorized-api.test.ts
 * compiles and runs, so deferring them can hide no configuration error; custom patterns still compile in
 * loadConfig, where a bad one fails the cold start.
 */
function compiledOnFirstUse(source: string): CompiledPattern {
  let compiled: CompiledPattern | undefined;
  const pattern = () => (compiled ??= compileFilterPattern(source));
  return {
    get kind() {
      return pattern().kind;
    },
    source,
    matchesMessage: (message) => pattern().matchesMessage(message),
    matchesValue: (value) => pattern().matchesValue(value),
  };
}

function compileRule(
  source: { name: string; pattern: string; severity: Severity; description: string; authorizationFailure: boolean },
  problems: ConfigProblems,
  builtIn = false,
): FilterRule | undefined {
  if (builtIn) return { ...source, pattern: compiledOnFirstUse(source.pattern) };
  try {
    return { ...source, pattern: compileFilterPattern(source.pattern) };
  } catch (error) {
    if (!(error instanceof FilterPatternError)) throw error;
    problems.add(`rule ${source.name}: invalid filter pattern at column ${error.column}: ${error.message}`);
    return undefined;
  }
}

function builtInRules(selection: string, problems: ConfigProblems): BuiltInRule[] {
  const chosen: BuiltInRule[] = [];
  for (const name of selection.split(/[\s,]+/).filter(Boolean)) {
    const set = Object.hasOwn(RULE_SETS, name) ? RULE_SETS[name as keyof typeof RULE_SETS] : undefined;
    const single = BUILT_IN_RULES.find((rule) => rule.name === name || rule.id === name);
    if (set) chosen.push(...set.map((id) => BUILT_IN_RULES.find((rule) => rule.id === id) as BuiltInRule));
    else if (single) chosen.push(single);
    else
      problems.add(
        `RULE_SETS: unknown rule or set ${JSON.stringify(name)} (sets: ${Object.keys(RULE_SETS).join(', ')}; rules: ${BUILT_IN_RULES.map((rule) => rule.id).join(', ')})`,
      );
  }
  return [...new Set(chosen)];
}

function customRules(env: Env, problems: ConfigProblems): CustomRuleInput[] {
  const rules: CustomRuleInput[] = [];
  const json = readEnv(env, 'CUSTOM_RULES');
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.value);
    } catch (error) {
      problems.add(`CUSTOM_RULES is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed !== undefined) {
      if (!Array.isArray(parsed))
        problems.add('CUSTOM_RULES must be a JSON array of {"name", "pattern", "severity"} objects');
      else rules.push(...parsed.map((rule) => (rule && typeof rule === 'object' ? (rule as CustomRuleInput) : {})));
    }
  }
  const inline = readEnv(env, 'FILTER_PATTERN');
  if (inline) {
    rules.push({
      name: readEnv(env, 'FILTER_RULE_NAME')?.value ?? 'custom-filter-pattern',
      pattern: inline.value,
      severity: readEnv(env, 'FILTER_SEVERITY')?.value,
    });
  }
  return rules;
}

const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function loadUnauthorizedApiConfig(env: Env): UnauthorizedApiConfig {
  const problems = new ConfigProblems();
  const selection = readEnv(env, 'RULE_SETS')?.value ?? 'unauthorized';
  const rules: FilterRule[] = [];
  for (const rule of builtInRules(selection, problems)) {
    const compiled = compileRule(
      {
        name: rule.name,
        pattern: rule.pattern,
        severity: rule.severity,
        description: rule.description,
        authorizationFailure: rule.authorizationFailure,
      },
      problems,
      true,
    );
    if (compiled) rules.push(compiled);
  }
  customRules(env, problems).forEach((input, index) => {
    const where = `custom rule #${index + 1}`;
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!RULE_NAME.test(name)) problems.add(`${where}: "name" must be 1-64 letters, digits, '.', '_' or '-'`);
    if (typeof input.pattern !== 'string') problems.add(`${where}: "pattern" must be a filter pattern string`);
    const severity = input.severity === undefined ? 'medium' : input.severity;
    if (!SEVERITIES.includes(severity as Severity))
      problems.add(`${where}: "severity" must be one of ${SEVERITIES.join(', ')}`);
    if (rules.some((rule) => rule.name === name)) problems.add(`${where}: a rule named ${name} already exists`);
    if (!RULE_NAME.test(name) || typeof input.pattern !== 'string' || !SEVERITIES.includes(severity as Severity))
      return;
    const compiled = compileRule(
      {
        name,
        pattern: input.pattern,
        severity: severity as Severity,
        description: typeof input.description === 'string' ? input.description : `custom rule ${name}`,
        authorizationFailure: input.metric === true,
      },
      problems,
    );
    if (compiled) rules.push(compiled);
  });
  const ctsRule = readBoolean(env, 'CTS_RULE', true, problems);
  const mode = readChoice(env, 'METRIC_MODE', METRIC_MODES, 'api', problems);
  const namespace = readEnv(env, 'METRIC_NAMESPACE')?.value ?? 'CloudTrailMetrics';
  const name = readEnv(env, 'METRIC_NAME')?.value ?? 'AuthorizationFailureCount';
  if (!/^[^:][\x20-\x7e]{0,254}$/.test(namespace) || namespace.startsWith('AWS/'))
    problems.add(
      `METRIC_NAMESPACE ${JSON.stringify(namespace)} must be 1-255 printable ASCII characters, not starting with ':' or 'AWS/'`,
    );
  if (!/^[\x20-\x7e]{1,255}$/.test(name))
    problems.add(`METRIC_NAME ${JSON.stringify(name)} must be 1-255 printable ASCII characters`);
  if (rules.length === 0 && !ctsRule)
    problems.add('no rules enabled: set RULE_SETS, CUSTOM_RULES or FILTER_PATTERN, or keep CTS_RULE on');
  problems.throwIfAny('unauthorized-api');
  const region = readEnv(env, ...CONFIGURED_REGION)?.value;
  return { rules, ctsRule, metric: { mode, namespace, name }, ...(region ? { region } : {}) };
}

/**
 * A CTS trace refused for lack of permission: HTTP 401/403, or refusal wording in the error code or
 * message, the trace's `message` or its `response`, whichever shape the service used. A trace recorded
 * as a success never counts; one whose outcome is unknown (no code, no rating) counts on its wording.
 * What a trace must show to be refused here is declared in prefilter.ts: a change here must keep it true.
 */
export function isRefusedCtsCall(event: TraceEvent): boolean {
  if (event.source !== 'cts' || event.outcome === 'success') return false;
  if (event.category !== 'api-call') return false;
  const code = event.error?.code ?? '';
  const raw = event.raw as Record<string, unknown> | null;
  const member = (key: string): unknown =>
    raw && typeof raw === 'object' && Object.hasOwn(raw, key) ? raw[key] : undefined;
  if (event.outcome === 'failure') {
    if (REFUSED_STATUSES.has(code)) return true;
    if (REFUSED_STATUSES.has(String(member('code') ?? ''))) return true;
  }
  // The HTTP status, when the trace has one, outranks wording: a call answered below 400 was not refused.
  if (answeredBelow400(Number(member('code')))) return false;
  return (
    CTS_REFUSAL.test(code) ||
    CTS_REFUSAL.test(event.error?.message ?? '') ||
    CTS_REFUSAL.test(boundedText(member('message'))) ||
    CTS_REFUSAL.test(boundedText(member('response')))
  );
}

/** A string member as is, an object as JSON, either cut to RESPONSE_TEXT_CHARS; anything else empty. */
function boundedText(value: unknown): string {
  if (typeof value === 'string') return value.slice(0, RESPONSE_TEXT_CHARS);
  if (value === null || typeof value !== 'object') return '';
  try {
    return (JSON.stringify(value) ?? '').slice(0, RESPONSE_TEXT_CHARS);
  } catch {
    return ''; // a cycle cannot come from JSON input; nesting too deep for stringify is not a refusal text
  }
}

function principalKey(event: TraceEvent): string {
  return event.actor.arn ?? event.actor.id ?? event.actor.name ?? `${event.actor.type}:${event.sourceAddress}`;
}

export function detectUnauthorizedApi(event: TraceEvent, config: UnauthorizedApiConfig): Finding[] {
  const findings: Finding[] = [];
  if (event.source === 'cloudtrail') {
    for (const rule of config.rules) {
      if (rule.pattern.matchesValue(event.raw)) {
        findings.push({
          rule: rule.name,
          severity: rule.severity,
          event,
          groupKey: `${rule.name}\u0000${principalKey(event)}`,
        });
      }
    }
  } else if (config.ctsRule && isRefusedCtsCall(event)) {
    findings.push({ rule: CTS_RULE, severity: 'high', event, groupKey: `${CTS_RULE}\u0000${principalKey(event)}` });
  }
  return findings;
}

export function countsAsAuthorizationFailure(rule: string, config: UnauthorizedApiConfig): boolean {
  if (rule === CTS_RULE) return true;
  return config.rules.some((candidate) => candidate.name === rule && candidate.authorizationFailure);
}

export function describeUnauthorizedAlert(
  group: FindingGroup,
  config: UnauthorizedApiConfig,
): { subject: string; message: string } {
  const event = group.first;
  const rule = config.rules.find((candidate) => candidate.name === group.rule);
  const description = rule?.description ?? 'API call refused for lack of permission (CTS 401/403)';
  const refused = group.rule === CTS_RULE || rule?.authorizationFailure === true;
  const who = event.actor.name ?? event.actor.id ?? 'unknown principal';
  const headline = refused
    ? `Refused API call: ${inlineValue(event.action, 128)} on ${inlineValue(event.service, 128)} by ${inlineValue(who, 128)}`
    : `${description}: ${inlineValue(event.action, 128)} on ${inlineValue(event.service, 128)} by ${inlineValue(who, 128)}`;
  const error = event.error ? [event.error.code, event.error.message].filter(Boolean).join(': ') : undefined;
  const fields = formatFields([
    ['Rule', `${group.rule} (${description})`],
    ['Principal', describeActor(event)],
    ['Action', `${event.service} ${event.action}`],
    ['Error', error],
    ['Source', describeSourceAddress(event)],
    ['Where', describeWhere(event, config.region)],
    ['When', event.time],
    ['User agent', event.userAgent],
  ]);
  const count = group.count > 1 ? ` (${group.count}x)` : '';
  return {
    subject: safeSubject(`trailguard: ${refused ? 'refused' : group.rule} ${event.action} by ${who}${count}`),
    message: [headline, '', fields, eventIdLines(group)].join('\n'),
  };
}

export const unauthorizedApi: Detector<UnauthorizedApiConfig> = {
  name: 'unauthorized-api',
  prefilter: unauthorizedApiPrefilter,
  loadConfig: loadUnauthorizedApiConfig,
  detect: detectUnauthorizedApi,
  describe: describeUnauthorizedAlert,
  metric: {
    settings: (config) => config.metric,
    counts: (finding, config) => countsAsAuthorizationFailure(finding.rule, config),
  },
};
