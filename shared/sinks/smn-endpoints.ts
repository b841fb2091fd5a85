/**
 * SMN endpoint hosts and topic URNs for Huawei Cloud, Open Telekom Cloud and Flexible Engine
 * (huawei-facts.md §5). Region and URN text comes from configuration, so it is checked before it
 * becomes part of a host name or a request path.
 */
import { SinkError } from '../errors';
import type { SmnCloud } from './sink-config';

const REGION = /^[a-z]{2}(-[a-z0-9]+){1,4}$/;
/** Huawei project ids are 32 hex characters; allow any short alphanumeric id, nothing path-like. */
const PROJECT_ID = /^[A-Za-z0-9]{1,64}$/;
/** "1 to 255 characters. Only letters, digits, hyphens (-), and underscores (_) … must start with a letter or digit." */
const TOPIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;

/** Huawei Cloud regions whose SMN host is not under myhuaweicloud.com (the SDK's SmnRegion table). */
const HUAWEICLOUD_HOST_EXCEPTIONS: Record<string, string> = {
  'cn-north-2': 'smn.cn-north-2.myhuaweicloud.cn',
  'eu-west-101': 'smn.eu-west-101.myhuaweicloud.eu',
};

/** OTC publishes SMN hosts for these regions only; Swiss OTC (eu-ch2) has an unconfirmed host scheme. */
const OTC_REGIONS = ['eu-de', 'eu-nl'];

function invalid(message: string): SinkError {
  return new SinkError(message, 'smn', false);
}

function checkRegion(region: string): void {
  if (!REGION.test(region))
    throw invalid(`SMN region ${JSON.stringify(region)} is not a region name like eu-de or eu-west-0`);
}

/** The https base URL of SMN in a cloud's region (no trailing slash). */
export function smnEndpoint(cloud: SmnCloud, region: string): string {
  checkRegion(region);
  switch (cloud) {
    case 'huaweicloud':
      return `https://${HUAWEICLOUD_HOST_EXCEPTIONS[region] ?? `smn.${region}.myhuaweicloud.com`}`;
    case 'otc':
      if (!OTC_REGIONS.includes(region)) {
        throw invalid(
          `no known SMN endpoint for Open Telekom Cloud region ${region} (known: ${OTC_REGIONS.join(', ')}); set SINK_ENDPOINT`,
        );
      }
      return `https://smn.${region}.otc.t-systems.com`;
    case 'flexibleengine':
      return `https://smn.${region}.prod-cloud-ocb.orange-business.com`;
    default:
      throw invalid(`unknown SMN cloud ${JSON.stringify(cloud)}`);
  }
}

export interface SmnTopic {
  region: string;
  projectId: string;
  topicName: string;
}

function checkTopic({ region, projectId, topicName }: SmnTopic, what: string): void {
  if (!REGION.test(region) || !PROJECT_ID.test(projectId) || !TOPIC_NAME.test(topicName)) {
    throw invalid(`${what} is not a valid SMN topic URN (urn:smn:<region>:<project id>:<topic name>)`);
  }
}

/** `urn:smn:<region>:<projectId>:<topic>` into its parts; SinkError (not retryable) when malformed. */
export function parseTopicUrn(urn: string): SmnTopic {
  const parts = urn.split(':');
  if (parts.length !== 5 || parts[0] !== 'urn' || parts[1] !== 'smn') {
    throw invalid(`${JSON.stringify(urn)} is not a valid SMN topic URN (urn:smn:<region>:<project id>:<topic name>)`);
  }
  const topic = { region: parts[2], projectId: parts[3], topicName: parts[4] };
  checkTopic(topic, JSON.stringify(urn));
  return topic;
}

export function buildTopicUrn(region: string, projectId: string, topicName: string): string {
  const urn = `urn:smn:${region}:${projectId}:${topicName}`;
  checkTopic({ region, projectId, topicName }, JSON.stringify(urn));
  return urn;
}
