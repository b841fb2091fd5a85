import { createHash } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert, AlertSink } from '../alert';
import { errorMessage, SinkError } from '../errors';

/** SNS errors that a retry of the invocation will not fix: fix the topic or the permissions. */
const PERMANENT_SNS_ERRORS = new Set([
  'NotFound',
  'NotFoundException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'ValidationException',
  'KMSDisabledException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'EndpointDisabledException',
]);

export function isPermanentSnsError(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return typeof name === 'string' && PERMANENT_SNS_ERRORS.has(name);
}

const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const SNS_NAME = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** A topic ARN as given, or one built from a bare topic name, the region and the account. */
export function resolveSnsTopicArn(topic: string, region: string | undefined, account: string | undefined): string {
  if (topic.startsWith('arn:')) {
    if (!SNS_ARN.test(topic)) throw new SinkError(`not a valid SNS topic ARN: ${JSON.stringify(topic)}`, 'sns', false);
    return topic;
  }
  if (!SNS_NAME.test(topic)) throw new SinkError(`not a valid SNS topic name: ${JSON.stringify(topic)}`, 'sns', false);
  if (!region || !account) {
    throw new SinkError(`SNS topic ${topic} is a bare name: the region and account are needed to build its ARN (set ALERT_REGION, or give the full ARN)`, 'sns', false);
  }
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:sns:${region}:${account}:${topic}`;
}

/**
 * Publishes alerts to an SNS topic. The SDK client does the bounded retries with backoff (standard
 * mode); what is left after them is classified here. FIFO topics get a group per rule and a
 * deduplication id from the alert, so a re-delivered event does not alert twice within 5 minutes.
 */
export function createSnsSink(options: { client: SNSClient; topicArn: string }): AlertSink {
  const fifo = options.topicArn.endsWith('.fifo');
  return {
    name: 'sns',
    async publish(alert: Alert): Promise<void> {
      const command = new PublishCommand({
        TopicArn: options.topicArn,
        Subject: alert.subject,
        Message: alert.message,
        MessageAttributes: {
          function: { DataType: 'String', StringValue: alert.function },
          rule: { DataType: 'String', StringValue: alert.rule },
          severity: { DataType: 'String', StringValue: alert.severity },
        },
        ...(fifo
          ? {
              MessageGroupId: createHash('sha256').update(alert.rule).digest('hex').slice(0, 64),
              MessageDeduplicationId: alert.dedupId.slice(0, 128),
            }
          : {}),
      });
      try {
        await options.client.send(command);
      } catch (error) {
        const permanent = isPermanentSnsError(error);
        throw new SinkError(`SNS publish to ${options.topicArn} failed: ${errorMessage(error)}`, 'sns', !permanent, { cause: error });
      }
    },
  };
}
