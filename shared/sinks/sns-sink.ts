import { createHash } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
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

let snsClients = new Map<string, SNSClient>();

/** One SNS client per region/endpoint, kept for the instance's life (connection reuse across invocations). */
export function snsClientFor(region: string, endpoint: string | undefined): SNSClient {
  const key = `${region}|${endpoint ?? ''}`;
  let client = snsClients.get(key);
  if (!client) {
    client = new SNSClient({ region, ...(endpoint ? { endpoint } : {}), maxAttempts: 4 });
    snsClients.set(key, client);
  }
  return client;
}

/** For tests that start and stop emulators: forget cached clients. */
export function resetSnsClients(): void {
  for (const client of snsClients.values()) client.destroy();
  snsClients = new Map();
}

/** The `snsSink` factory the Lambda adapter and the CLI hand to createAlertSinks. */
export function snsSinkFor(topicArn: string, region: string, endpoint: string | undefined): AlertSink {
  return createSnsSink({ client: snsClientFor(region, endpoint), topicArn });
}
