/**
 * Where alerts go, from the environment. Pure: the SDK clients and credentials are made at the edge
 * (see create-sinks.ts) from this description.
 */
import { type ConfigProblems, readChoice, readEnv, type Env } from '../platform/env-config';
import { TOPIC_FORMATS, type TopicFormat } from './alert-channels';
import { parseRoutes, type Route, WEBHOOK_URL_PREFIX, webhookFormatFor } from './routes';
import { WEBHOOK_FORMATS, type WebhookFormat } from './webhook-payloads';
import { webhookUrlProblems } from './webhook-sink';

export const SINK_KINDS = ['sns', 'smn', 'stdout', 'webhook'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

export const SMN_CLOUDS = ['huaweicloud', 'otc', 'flexibleengine'] as const;
export type SmnCloud = (typeof SMN_CLOUDS)[number];

export type Platform = 'aws' | 'functiongraph' | 'cli';

export interface SinkConfig {
  kind: SinkKind;
  /** SNS topic ARN or bare name; SMN topic URN or bare name. Absent only for stdout. */
  topic?: string;
  region?: string;
  /** Endpoint override (a local emulator, a VPC endpoint, another cloud's host). */
  endpoint?: string;
  smnCloud: SmnCloud;
  /** Huawei project id (FunctionGraph's context gives it too). */
  projectId?: string;
  /** Where the sink runs: errors name what to set there (CLI variables vs. a function's agency or role). */
  platform?: Platform;
  /** ALERT_FORMAT: how alerts are written to SNS/SMN topics (default: text on SNS, structured on SMN). */
  format?: TopicFormat;
  /** ALERT_SINK=webhook: the URL (a secret) and the body format. */
  webhook?: { webhookUrl: string; source: string; format: WebhookFormat };
  /** ROUTES: first match wins; the default sink above takes what no route matches. */
  routes?: Route[];
}

/** Every webhook URL the config holds (default and routes): secrets the logger scrubs. */
export function sinkSecrets(config: SinkConfig | undefined): string[] {
  const urls = [
    config?.webhook?.webhookUrl,
    ...(config?.routes ?? []).flatMap((route) =>
      route.targets.flatMap((target) => (target.kind === 'webhook' ? [target.webhookUrl] : [])),
    ),
  ].filter((url): url is string => typeof url === 'string');
  return [
    ...new Set(
      urls.flatMap((url) => {
        try {
          const parsed = new URL(url);
          return [url, parsed.href, parsed.pathname + parsed.search, parsed.search];
        } catch {
          return [url];
        }
      }),
    ),
  ].filter((secret) => secret.length >= 8);
}

/** The names each setting is read from: the documented one first, then aliases (Huawei's sample uses SMN_Topic and RegionName). */
export const SINK_ENV = {
  sink: ['ALERT_SINK'],
  topic: ['ALERT_TOPIC', 'SNS_TOPIC_ARN', 'SMN_TOPIC_URN', 'SMN_Topic'],
  region: ['ALERT_REGION', 'RegionName', 'AWS_REGION', 'AWS_DEFAULT_REGION'],
  endpoint: ['SINK_ENDPOINT'],
  smnCloud: ['SMN_CLOUD'],
  projectId: ['PROJECT_ID', 'RUNTIME_PROJECT_ID'],
} as const;

const REGION = /^[a-z]{2}(-[a-z0-9]+){1,4}$/;

function defaultKind(topic: string | undefined, platform: Platform): SinkKind {
  if (topic?.startsWith('arn:')) return 'sns';
  if (topic?.startsWith('urn:smn:')) return 'smn';
  if (platform === 'aws') return 'sns';
  if (platform === 'functiongraph') return 'smn';
  return 'stdout';
}

export function loadSinkConfig(env: Env, platform: Platform, problems: ConfigProblems): SinkConfig {
  const topic = readEnv(env, ...SINK_ENV.topic)?.value;
  const explicitKind = readEnv(env, ...SINK_ENV.sink);
  const kind = explicitKind
    ? readChoice(env, 'ALERT_SINK', SINK_KINDS, defaultKind(topic, platform), problems)
    : defaultKind(topic, platform);
  const region = readEnv(env, ...SINK_ENV.region)?.value;
  const endpoint = readEnv(env, ...SINK_ENV.endpoint)?.value;
  const smnCloud = readChoice(env, 'SMN_CLOUD', SMN_CLOUDS, 'huaweicloud', problems);
  const projectId = readEnv(env, ...SINK_ENV.projectId)?.value;

  const formatSet = readEnv(env, 'ALERT_FORMAT') !== undefined;
  const format = formatSet ? readChoice(env, 'ALERT_FORMAT', TOPIC_FORMATS, 'text', problems) : undefined;
  if (format === 'chatbot' && kind === 'smn')
    problems.add('ALERT_FORMAT=chatbot is for SNS topics (AWS Chatbot reads SNS), not SMN: use text or structured');
  const webhookFormat = readEnv(env, 'WEBHOOK_FORMAT')
    ? readChoice(env, 'WEBHOOK_FORMAT', WEBHOOK_FORMATS, 'json', problems)
    : undefined;
  let webhook: SinkConfig['webhook'];
  if (kind === 'webhook') {
    const url = readEnv(env, WEBHOOK_URL_PREFIX)?.value;
    if (!url) problems.add('ALERT_SINK=webhook needs WEBHOOK_URL (the Slack, Teams Workflows or HTTPS endpoint URL)');
    for (const problem of url ? webhookUrlProblems(url, WEBHOOK_URL_PREFIX) : []) problems.add(problem);
    if (url) webhook = { webhookUrl: url, source: WEBHOOK_URL_PREFIX, format: webhookFormat ?? webhookFormatFor(url) };
  }
  const routesText = readEnv(env, 'ROUTES')?.value;
  const routes = routesText
    ? parseRoutes(
        routesText,
        env,
        {
          platform,
          bareTopicKind:
            kind === 'sns' || kind === 'smn'
              ? kind
              : platform === 'aws'
                ? 'sns'
                : platform === 'functiongraph'
                  ? 'smn'
                  : undefined,
          topicFormat: format,
          webhookFormat,
        },
        problems,
      )
    : undefined;

  if ((kind === 'sns' || kind === 'smn') && !topic)
    problems.add(`ALERT_TOPIC is not set: alerts need a topic (an SNS topic ARN or name, or an SMN topic URN or name)`);
  if (kind === 'sns' && topic?.startsWith('urn:'))
    problems.add(`ALERT_TOPIC=${topic} is an SMN topic URN but the sink is SNS`);
  if (kind === 'smn' && topic?.startsWith('arn:'))
    problems.add(`ALERT_TOPIC=${topic} is an SNS topic ARN but the sink is SMN`);
  if (region !== undefined && !REGION.test(region))
    problems.add(`region ${JSON.stringify(region)} is not a region name like us-east-1 or eu-de`);
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      problems.add(`SINK_ENDPOINT=${JSON.stringify(endpoint)} is not a URL`);
    }
    if (url && url.protocol !== 'https:' && url.protocol !== 'http:')
      problems.add(`SINK_ENDPOINT must be an http(s) URL, got ${url.protocol}`);
  }
  return {
    kind,
    topic,
    region,
    endpoint,
    smnCloud,
    projectId,
    platform,
    ...(format ? { format } : {}),
    ...(webhook ? { webhook } : {}),
    ...(routes ? { routes } : {}),
  };
}
