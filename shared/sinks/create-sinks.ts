/**
 * The edge that turns a SinkConfig plus what the platform knows (account, credentials, project) into
 * live sinks. SDK clients are created once per instance by the caller and reused across invocations.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { AlertSink } from '../alert';
import { SinkError } from '../errors';
import type { SinkConfig } from '../sink-config';
import { createSmnSink } from './smn-sink';
import { buildTopicUrn, smnEndpoint } from './smn-endpoints';
import { createSnsSink, resolveSnsTopicArn } from './sns-sink';
import { createStdoutSink } from './stdout-sink';

export type SmnAuth = { token: string } | { accessKey: string; secretKey: string; securityToken?: string };

export interface PlatformFacts {
  /** AWS account id (from the Lambda function ARN) to resolve a bare SNS topic name. */
  account?: string;
  /** Huawei project id (FunctionGraph context). */
  projectId?: string;
  smnAuth?: SmnAuth;
  /** Where the stdout sink writes. */
  write?: (line: string) => void;
}

let snsClients = new Map<string, SNSClient>();

/** One SNS client per region/endpoint, kept for the instance's life (connection reuse across invocations). */
export function snsClientFor(region: string | undefined, endpoint: string | undefined): SNSClient {
  const key = `${region ?? ''}|${endpoint ?? ''}`;
  let client = snsClients.get(key);
  if (!client) {
    client = new SNSClient({ region: region ?? 'us-east-1', ...(endpoint ? { endpoint } : {}), maxAttempts: 4 });
    snsClients.set(key, client);
  }
  return client;
}

/** For tests that start and stop emulators: forget cached clients. */
export function resetSnsClients(): void {
  for (const client of snsClients.values()) client.destroy();
  snsClients = new Map();
}

function smnTopicUrn(config: SinkConfig, projectId: string | undefined): string {
  const topic = config.topic as string;
  if (topic.startsWith('urn:smn:')) return topic;
  if (!config.region || !projectId) {
    throw new SinkError(`SMN topic ${topic} is a bare name: the region (ALERT_REGION or RegionName) and the project id are needed to build its URN`, 'smn', false);
  }
  return buildTopicUrn(config.region, projectId, topic);
}

export function createAlertSinks(config: SinkConfig, facts: PlatformFacts): AlertSink[] {
  switch (config.kind) {
    case 'stdout':
      return [createStdoutSink(facts.write ?? ((line) => process.stdout.write(`${line}\n`)))];
    case 'sns': {
      const topicArn = resolveSnsTopicArn(config.topic as string, config.region, facts.account);
      const region = config.region ?? topicArn.split(':')[3];
      return [createSnsSink({ client: snsClientFor(region, config.endpoint), topicArn })];
    }
    case 'smn': {
      const projectId = facts.projectId ?? config.projectId;
      const topicUrn = smnTopicUrn(config, projectId);
      const region = config.region ?? topicUrn.split(':')[2];
      if (!projectId) throw new SinkError('SMN needs the project id (FunctionGraph context getProjectID(), or PROJECT_ID)', 'smn', false);
      if (!facts.smnAuth) {
        throw new SinkError('SMN needs credentials: give the function an agency with smn:topic:publish so the context provides a token or temporary AK/SK', 'smn', false);
      }
      const endpoint = config.endpoint ?? smnEndpoint(config.smnCloud, region);
      return [createSmnSink({ endpoint, projectId, topicUrn, auth: facts.smnAuth })];
    }
  }
}
