/**
 * `ROUTES`: which topics (or webhooks) an alert goes to, by account, region, function, rule or
 * severity. The first route that matches wins; an alert no route matches goes to the default sink
 * (ALERT_TOPIC / ALERT_SINK). Parsed once at cold start, every problem collected; matching is pure.
 * See docs/alert-routing.md.
 */
import type { Alert, Severity } from '../alert/alert';
import { SEVERITIES } from '../alert/alert';
import { type ConfigProblems, readEnv, type Env } from '../platform/env-config';
import { TOPIC_FORMATS, type TopicFormat } from './alert-channels';
import { WEBHOOK_FORMATS, type WebhookFormat } from './webhook-payloads';
import { webhookUrlProblems } from './webhook-sink';

export const MATCH_FIELDS = ['account', 'region', 'function', 'rule', 'severity'] as const;
export type MatchField = (typeof MATCH_FIELDS)[number];

/** Each field given must match (and); within a field, any of its values (or). `*` in a value matches any text. */
export type RouteMatch = Partial<Record<MatchField, readonly string[]>>;

export type RouteTarget =
  | { kind: 'sns' | 'smn'; topic: string; format: TopicFormat }
  | {
      kind: 'webhook';
      source: string /** A secret (check-config masks keys named webhook…). */;
      webhookUrl: string;
      format: WebhookFormat;
    };

export interface Route {
  /** `route 1` or the route's own `name`: what logs and errors say. */
  name: string;
  match: RouteMatch;
  targets: RouteTarget[];
}

/** What a bare target name means and which formats apply where the function runs. */
export interface RouteDefaults {
  platform: 'aws' | 'functiongraph' | 'cli';
  /** The kind of topic a bare name is (the default sink's, or the platform's). */
  bareTopicKind?: 'sns' | 'smn';
  topicFormat?: TopicFormat;
  webhookFormat?: WebhookFormat;
}

export const WEBHOOK_URL_PREFIX = 'WEBHOOK_URL';
const WEBHOOK_NAME = /^[A-Z0-9_]{1,64}$/;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const SMN_URN = /^urn:smn:[a-z0-9-]+:[A-Za-z0-9]{1,64}:[A-Za-z0-9_-]{1,255}$/;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const ROUTE_KEYS = new Set(['name', 'match', 'topics', 'format']);
const TARGET_KEYS = new Set(['topic', 'format']);
const MAX_ROUTES = 100;

/** The variable a `webhook` / `webhook:<name>` target reads its URL from. */
export function webhookVariable(target: string): string | undefined {
  if (target === 'webhook') return WEBHOOK_URL_PREFIX;
  const name = target.startsWith('webhook:') ? target.slice('webhook:'.length).toUpperCase() : undefined;
  return name !== undefined && WEBHOOK_NAME.test(name) ? `${WEBHOOK_URL_PREFIX}_${name}` : undefined;
}

/** The format a webhook URL's host suggests: Slack's and Teams Workflows' hosts are known. */
export function webhookFormatFor(url: string): WebhookFormat {
  let host = '';
  try {
    host = new URL(url).hostname;
  } catch {
    return 'json';
  }
  if (host === 'hooks.slack.com') return 'slack';
  if (host.endsWith('.logic.azure.com') || host.endsWith('.powerplatform.com') || host.endsWith('.office.com'))
    return 'teams';
  return 'json';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 's');
}

/** `high`, `>=high`: the severities a value stands for. */
function severitiesOf(value: string): Severity[] | undefined {
  const atLeast = value.startsWith('>=');
  const name = (atLeast ? value.slice(2) : value).trim().toLowerCase();
  const index = SEVERITIES.indexOf(name as Severity);
  if (index < 0) return undefined;
  return atLeast ? SEVERITIES.slice(index) : [SEVERITIES[index]];
}

function readMatch(raw: unknown, where: string, problems: ConfigProblems): RouteMatch {
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    problems.add(`ROUTES ${where}: "match" must be an object like {"severity": ">=high"}`);
    return {};
  }
  const match: Record<string, string[]> = {};
  for (const [field, value] of Object.entries(raw)) {
    if (!(MATCH_FIELDS as readonly string[]).includes(field)) {
      problems.add(`ROUTES ${where}: unknown match field ${JSON.stringify(field)} (use ${MATCH_FIELDS.join(', ')})`);
      continue;
    }
    const values = typeof value === 'string' ? [value] : value;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => typeof v === 'string' && v.trim() !== '')
    ) {
      problems.add(`ROUTES ${where}: match.${field} must be a non-empty string or a non-empty array of strings`);
      continue;
    }
    const trimmed = (values as string[]).map((v) => v.trim());
    if (field === 'severity') {
      const expanded = trimmed.map((v) => ({ v, s: severitiesOf(v) }));
      const bad = expanded.filter(({ s }) => !s).map(({ v }) => JSON.stringify(v));
      if (bad.length) {
        problems.add(
          `ROUTES ${where}: match.severity ${bad.join(', ')} is not a severity (${SEVERITIES.join(', ')}, or >=<severity>)`,
        );
        continue;
      }
      match.severity = [...new Set(expanded.flatMap(({ s }) => s as Severity[]))];
    } else match[field] = trimmed;
  }
  return match;
}

function readTarget(
  raw: unknown,
  routeFormat: unknown,
  where: string,
  env: Env,
  defaults: RouteDefaults,
  problems: ConfigProblems,
): RouteTarget | undefined {
  let topic: unknown = raw;
  let format: unknown = routeFormat;
  if (isRecord(raw)) {
    for (const key of Object.keys(raw))
      if (!TARGET_KEYS.has(key))
        problems.add(`ROUTES ${where}: unknown key ${JSON.stringify(key)} (use topic, format)`);
    topic = raw.topic;
    format = raw.format ?? routeFormat;
  }
  if (typeof topic !== 'string' || topic.trim() === '') {
    problems.add(`ROUTES ${where}: a topic must be a non-empty string or {"topic": …, "format": …}`);
    return undefined;
  }
  const name = topic.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) {
    // Never echo it: a webhook URL is a credential, and ROUTES is an ordinary variable.
    problems.add(
      `ROUTES ${where}: is a URL; put webhook URLs in ${WEBHOOK_URL_PREFIX}_<NAME> and name them here as "webhook:<name>" (the URL is a secret and ROUTES is not)`,
    );
    return undefined;
  }
  if (format !== undefined && typeof format !== 'string') {
    problems.add(`ROUTES ${where}: "format" must be a string`);
    return undefined;
  }
  if (name === 'webhook' || name.startsWith('webhook:')) {
    const variable = webhookVariable(name);
    if (!variable) {
      problems.add(
        `ROUTES ${where}: ${JSON.stringify(name)}: a webhook name is letters, digits and _ (webhook:secops)`,
      );
      return undefined;
    }
    const url = readEnv(env, variable)?.value;
    if (!url) {
      problems.add(`ROUTES ${where}: ${name} needs ${variable} (the webhook URL), which is not set`);
      return undefined;
    }
    const urlProblems = webhookUrlProblems(url, variable);
    for (const problem of urlProblems) problems.add(`ROUTES ${where}: ${problem}`);
    const chosen = format ?? defaults.webhookFormat ?? webhookFormatFor(url);
    if (!(WEBHOOK_FORMATS as readonly string[]).includes(chosen)) {
      problems.add(
        `ROUTES ${where}: format ${JSON.stringify(chosen)} is not a webhook format (${WEBHOOK_FORMATS.join(', ')})`,
      );
      return undefined;
    }
    return urlProblems.length
      ? undefined
      : { kind: 'webhook', source: variable, webhookUrl: url, format: chosen as WebhookFormat };
  }
  let kind: 'sns' | 'smn' | undefined;
  if (name.startsWith('arn:')) {
    kind = 'sns';
    if (!SNS_ARN.test(name)) problems.add(`ROUTES ${where}: ${JSON.stringify(name)} is not an SNS topic ARN`);
  } else if (name.startsWith('urn:')) {
    kind = 'smn';
    if (!SMN_URN.test(name))
      problems.add(
        `ROUTES ${where}: ${JSON.stringify(name)} is not an SMN topic URN (urn:smn:<region>:<project id>:<topic>)`,
      );
  } else {
    kind = defaults.bareTopicKind;
    if (!TOPIC_NAME.test(name)) problems.add(`ROUTES ${where}: ${JSON.stringify(name)} is not a topic name`);
    if (!kind) {
      problems.add(
        `ROUTES ${where}: ${JSON.stringify(name)} is a bare topic name: give the SNS topic ARN or SMN topic URN`,
      );
      return undefined;
    }
  }
  if (kind === 'smn' && defaults.platform === 'aws')
    problems.add(`ROUTES ${where}: SMN topics need Huawei credentials, which a Lambda function does not have`);
  if (kind === 'sns' && defaults.platform === 'functiongraph')
    problems.add(`ROUTES ${where}: SNS topics cannot be reached from FunctionGraph (no AWS SDK or credentials there)`);
  const chosen =
    format ?? (kind === 'smn' && defaults.topicFormat === undefined ? 'structured' : defaults.topicFormat) ?? 'text';
  if (!(TOPIC_FORMATS as readonly string[]).includes(chosen)) {
    problems.add(
      `ROUTES ${where}: format ${JSON.stringify(chosen)} is not a topic format (${TOPIC_FORMATS.join(', ')})`,
    );
    return undefined;
  }
  if (kind === 'smn' && chosen === 'chatbot') {
    problems.add(`ROUTES ${where}: format chatbot is for SNS topics (AWS Chatbot reads SNS), not SMN`);
    return undefined;
  }
  return { kind, topic: name, format: chosen as TopicFormat };
}

/** Parses and checks ROUTES; every problem goes to `problems`, each naming its route and topic. */
export function parseRoutes(text: string, env: Env, defaults: RouteDefaults, problems: ConfigProblems): Route[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.add(`ROUTES is not JSON (${error instanceof Error ? error.message : String(error)})`);
    return [];
  }
  const list = isRecord(parsed) && Array.isArray(parsed.routes) ? parsed.routes : parsed;
  if (!Array.isArray(list)) {
    problems.add('ROUTES must be a JSON array of routes like [{"match": {"severity": ">=high"}, "topics": ["…"]}]');
    return [];
  }
  if (list.length > MAX_ROUTES) problems.add(`ROUTES has ${list.length} routes; at most ${MAX_ROUTES} are supported`);
  const routes: Route[] = [];
  list.slice(0, MAX_ROUTES).forEach((raw, index) => {
    const label = `route ${index + 1}`;
    if (!isRecord(raw)) {
      problems.add(`ROUTES ${label}: must be an object with "match" and "topics"`);
      return;
    }
    for (const key of Object.keys(raw))
      if (!ROUTE_KEYS.has(key))
        problems.add(`ROUTES ${label}: unknown key ${JSON.stringify(key)} (use name, match, topics, format)`);
    const name =
      typeof raw.name === 'string' && raw.name.trim() !== '' ? `${label} (${raw.name.trim().slice(0, 64)})` : label;
    const match = readMatch(raw.match, name, problems);
    const topics = typeof raw.topics === 'string' ? [raw.topics] : raw.topics;
    if (!Array.isArray(topics) || topics.length === 0) {
      problems.add(`ROUTES ${name}: "topics" must be a non-empty array (an alert must go somewhere)`);
      return;
    }
    const targets = topics
      .map((topic, t) => readTarget(topic, raw.format, `${name} topic ${t + 1}`, env, defaults, problems))
      .filter((target): target is RouteTarget => target !== undefined);
    if (targets.length === topics.length) routes.push({ name, match, targets });
  });
  // A route without match takes every alert: one after it would never be used, which is surely not what was meant.
  const catchAll = list.slice(0, MAX_ROUTES).findIndex((raw) => isRecord(raw) && raw.match === undefined);
  if (catchAll >= 0 && catchAll < Math.min(list.length, MAX_ROUTES) - 1)
    problems.add(
      `ROUTES route ${catchAll + 1} has no "match", so it takes every alert and the ${Math.min(list.length, MAX_ROUTES) - catchAll - 1} route(s) after it are never used: move it last`,
    );
  return routes;
}

/** What each match field reads from an alert. */
function fieldOf(alert: Alert, field: MatchField): string | undefined {
  switch (field) {
    case 'account':
      return alert.event.account;
    case 'region':
      return alert.event.region;
    case 'function':
      return alert.function;
    case 'rule':
      return alert.rule;
    case 'severity':
      return alert.severity;
  }
}

const compiled = new WeakMap<readonly string[], RegExp[]>();

function matchesValue(values: readonly string[], actual: string | undefined): boolean {
  if (actual === undefined) return false;
  let patterns = compiled.get(values);
  if (!patterns) {
    patterns = values.map(globToRegExp);
    compiled.set(values, patterns);
  }
  return patterns.some((pattern) => pattern.test(actual));
}

export function routeMatches(route: Route, alert: Alert): boolean {
  return MATCH_FIELDS.every((field) => {
    const values = route.match[field];
    return values === undefined || matchesValue(values, fieldOf(alert, field));
  });
}

/** The first route that matches, or undefined (the default sink). */
export function routeFor(routes: readonly Route[], alert: Alert): Route | undefined {
  return routes.find((route) => routeMatches(route, alert));
}
