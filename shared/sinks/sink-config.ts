/**
 * Where alerts go, from the environment. Pure: the SDK clients and credentials are made at the edge
 * (see create-sinks.ts) from this description.
 */
import { type ConfigProblems, readChoice, readEnv, type Env } from '../platform/env-config';

export const SINK_KINDS = ['sns', 'smn', 'stdout'] as const;
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

  if (kind !== 'stdout' && !topic)
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
  return { kind, topic, region, endpoint, smnCloud, projectId, platform };
}
