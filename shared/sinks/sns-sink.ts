import { createHash } from 'node:crypto';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Alert, AlertSink } from '../alert/alert';
import { errorMessage, SinkError } from '../errors';
import { redactText } from '../platform/logger';

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
  // Credentials that do not work will not start working on a retry of the same invocation.
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'AccessDenied',
  'AccessDeniedException',
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
export function createSnsSink(options: { client: SNSClient | Promise<SNSClient>; topicArn: string }): AlertSink {
  const fifo = options.topicArn.endsWith('.fifo');
  return {
    name: 'sns',
    async publish(alert: Alert): Promise<void> {
      const [{ PublishCommand }, client] = await Promise.all([import('@aws-sdk/client-sns'), options.client]);
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
        await client.send(command);
      } catch (error) {
        const permanent = isPermanentSnsError(error);
        // Some SNS errors (SignatureDoesNotMatch) quote the request, with the key id and session token in it;
        // the SDK error itself stays out of the cause for the same reason.
        const redact = await credentialRedactor(client);
        const detail = redact(errorMessage(error));
        const cause = Object.assign(new Error(detail), {
          name: (error as { name?: unknown })?.name ?? 'Error',
          $metadata: (error as { $metadata?: unknown })?.$metadata,
        });
        throw new SinkError(`SNS publish to ${options.topicArn} failed: ${detail}`, 'sns', !permanent, { cause });
      }
    },
  };
}

/** Replaces the client's own credential values (and any AWS access key id) in `text`. */
async function credentialRedactor(client: SNSClient): Promise<(text: string) => string> {
  let secrets: string[] = [];
  try {
    const identity = await client.config.credentials();
    secrets = [identity.accessKeyId, identity.secretAccessKey, identity.sessionToken].filter(
      (s): s is string => typeof s === 'string' && s.length >= 8,
    );
  } catch {
    // No credentials to redact (that may be the very failure being reported).
  }
  return (text) => redactText(secrets.reduce((out, secret) => out.split(secret).join('[REDACTED]'), text));
}

export interface SnsClientOptions {
  /** Attempts per publish, the first included (the SDK's standard retry mode backs off in between). */
  maxAttempts?: number;
  /** Per attempt: no response within this time fails the attempt (and is retried). */
  timeoutMs?: number;
}

/** A publish takes tens of milliseconds; an endpoint that does not answer must not hold the invocation until the platform's timeout. */
export const SNS_CLIENT_DEFAULTS = { maxAttempts: 4, timeoutMs: 5_000 } as const;

let snsClients = new Map<string, Promise<SNSClient>>();

/**
 * One SNS client per region/endpoint, kept for the instance's life (connection reuse across
 * invocations). The SDK is loaded on first use: most invocations raise no alert and never need it,
 * so it stays out of the cold start.
 */
export function snsClientFor(
  region: string,
  endpoint: string | undefined,
  options: SnsClientOptions = {},
): Promise<SNSClient> {
  const { maxAttempts, timeoutMs } = { ...SNS_CLIENT_DEFAULTS, ...options };
  const key = `${region}|${endpoint ?? ''}|${maxAttempts}|${timeoutMs}`;
  let client = snsClients.get(key);
  if (!client) {
    client = import('@aws-sdk/client-sns').then(
      ({ SNSClient }) =>
        new SNSClient({
          region,
          ...(endpoint ? { endpoint } : {}),
          maxAttempts,
          // Without throwOnRequestTimeout the SDK only warns about a slow request and keeps waiting.
          requestHandler: {
            requestTimeout: timeoutMs,
            connectionTimeout: Math.min(timeoutMs, 3_000),
            throwOnRequestTimeout: true,
          },
        }),
    );
    snsClients.set(key, client);
  }
  return client;
}

/** For tests that start and stop emulators: forget cached clients. */
export function resetSnsClients(): void {
  for (const client of snsClients.values()) void client.then((created) => created.destroy());
  snsClients = new Map();
}

/** The `snsSink` factory the Lambda adapter and the CLI hand to createAlertSinks. */
export function snsSinkFor(topicArn: string, region: string, endpoint: string | undefined): AlertSink {
  return createSnsSink({ client: snsClientFor(region, endpoint), topicArn });
}
