/**
 * The edge that turns a SinkConfig plus what the platform knows (account, credentials, project) into
 * live sinks. SDK clients are created once per instance by the caller and reused across invocations.
 */
import type { AlertSink } from '../alert/alert';
import { SinkError } from '../errors';
import type { SinkConfig } from './sink-config';
import { createSmnSink, type SmnAuth } from './smn-sink';
import { buildTopicUrn, parseTopicUrn, smnEndpoint } from './smn-endpoints';
import { resolveSnsTopicArn } from './sns-topic';
import { createStdoutSink } from './stdout-sink';
import type { TopicFormat } from './alert-channels';
import type { RouteTarget } from './routes';
import { createRoutedSink } from './routed-sink';
import { createWebhookSink } from './webhook-sink';

export type { SmnAuth } from './smn-sink';

export interface PlatformFacts {
  /** AWS account id (from the Lambda function ARN) to resolve a bare SNS topic name. */
  account?: string;
  /** Huawei project id (FunctionGraph context). */
  projectId?: string;
  smnAuth?: SmnAuth;
  /** Where the stdout sink writes. */
  write?: (line: string) => void;
  /**
   * Makes an SNS sink. Passed in by the platforms that have the AWS SDK (Lambda, the CLI), so the
   * FunctionGraph bundle does not carry it.
   */
  snsSink?: (topicArn: string, region: string, endpoint: string | undefined, format?: TopicFormat) => AlertSink;
  /** The webhook sink's HTTP client (default: Node's fetch). */
  fetch?: typeof fetch;
}

function smnTopicUrn(config: SinkConfig, projectId: string | undefined): string {
  const topic = config.topic as string;
  if (topic.startsWith('urn:smn:')) return topic;
  if (!config.region || !projectId) {
    const missing = [
      !config.region && `the region (${config.platform === 'cli' ? '--region, ' : ''}ALERT_REGION or RegionName)`,
      !projectId && 'the project id (PROJECT_ID)',
    ].filter(Boolean);
    throw new SinkError(
      `SMN topic ${topic} is a bare name and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing: set ${missing.length > 1 ? 'them' : 'it'}, or give the full topic URN (urn:smn:<region>:<project id>:${topic})`,
      'smn',
      false,
    );
  }
  return buildTopicUrn(config.region, projectId, topic);
}

/** What to set, where the sink runs: a workstation has variables, a function has an agency. */
export function missingSmnCredentials(platform: SinkConfig['platform']): string {
  if (platform === 'functiongraph')
    return 'SMN needs credentials: give the function an agency with smn:topic:publish so the context provides a token or temporary AK/SK';
  if (platform === 'aws')
    return 'SMN needs Huawei credentials, which a Lambda function does not have: publish to SNS (ALERT_SINK=sns) instead';
  return 'SMN needs credentials: set SMN_AUTH_TOKEN (an IAM token), or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (plus HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary credentials)';
}

/** One SNS or SMN topic sink, for the default topic or a route's. */
function createTopicSink(
  config: SinkConfig,
  facts: PlatformFacts,
  kind: 'sns' | 'smn',
  topic: string,
  format: TopicFormat | undefined,
): AlertSink {
  if (kind === 'sns') {
    const topicArn = resolveSnsTopicArn(topic, config.region, facts.account, config.platform);
    // The topic's own region, whatever region the function runs in: SNS refuses another region's ARN.
    const region = topicArn.split(':')[3];
    if (!facts.snsSink)
      throw new SinkError('SNS is not available on this platform: use ALERT_SINK=smn (or stdout)', 'sns', false);
    return facts.snsSink(topicArn, region, config.endpoint, format ?? 'text');
  }
  // A full URN names its own region and project; the function's are only for building one from a name.
  const fromUrn = topic.startsWith('urn:smn:') ? parseTopicUrn(topic) : undefined;
  const projectId = fromUrn?.projectId ?? facts.projectId ?? config.projectId;
  const topicUrn = smnTopicUrn({ ...config, topic }, projectId);
  const region = fromUrn?.region ?? (config.region as string);
  if (!projectId)
    throw new SinkError(
      config.platform === 'functiongraph'
        ? 'SMN needs the project id: the FunctionGraph context gives none (getProjectID()); set PROJECT_ID or give the full topic URN'
        : 'SMN needs the project id: set PROJECT_ID or give the full topic URN (urn:smn:<region>:<project id>:<topic>)',
      'smn',
      false,
    );
  if (!facts.smnAuth) throw new SinkError(missingSmnCredentials(config.platform), 'smn', false);
  const endpoint = config.endpoint ?? smnEndpoint(config.smnCloud, region);
  return createSmnSink({
    endpoint,
    projectId,
    topicUrn,
    auth: facts.smnAuth,
    structured: (format ?? 'structured') === 'structured',
  });
}

function createTargetSink(config: SinkConfig, facts: PlatformFacts, target: RouteTarget): AlertSink {
  if (target.kind === 'webhook')
    return createWebhookSink({
      url: target.webhookUrl,
      source: target.source,
      format: target.format,
      fetch: facts.fetch,
    });
  return createTopicSink(config, facts, target.kind, target.topic, target.format);
}

function createDefaultSink(config: SinkConfig, facts: PlatformFacts): AlertSink {
  switch (config.kind) {
    case 'stdout':
      return createStdoutSink(facts.write ?? ((line) => process.stdout.write(`${line}\n`)));
    case 'webhook': {
      const webhook = config.webhook;
      if (!webhook) throw new SinkError('ALERT_SINK=webhook needs WEBHOOK_URL', 'webhook', false);
      return createWebhookSink({
        url: webhook.webhookUrl,
        source: webhook.source,
        format: webhook.format,
        fetch: facts.fetch,
      });
    }
    case 'sns':
    case 'smn':
      return createTopicSink(config, facts, config.kind, config.topic as string, config.format);
  }
}

export function createAlertSinks(config: SinkConfig, facts: PlatformFacts): AlertSink[] {
  if (config.routes?.length) {
    // A route's sinks are made on first use: a route no alert takes never needs its credentials.
    return [
      createRoutedSink(config.routes, {
        fallback: () => createDefaultSink(config, facts),
        target: (target) => createTargetSink(config, facts, target),
      }),
    ];
  }
  return [createDefaultSink(config, facts)];
}
