import { createHash } from '../lazy-builtins';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Alert, AlertSink } from '../alert/alert';
import { escapeLoneSurrogates } from '../alert/alert-text';
import { errorMessage, SinkError } from '../errors';
import { redactText } from '../platform/logger';
import { chatbotNotification, snsMessageStructure, type TopicFormat } from './alert-channels';

/** SNS counts the message and its attributes against 256 KiB; the attributes stay well under 6 KiB. */
const SNS_STRUCTURED_MAX_BYTES = 250 * 1024;

/**
 * What goes into Publish for each format. `structured` falls back to the plain text when the per-protocol
 * JSON would pass SNS's size limit (the text alone is capped below it): a big alert still arrives.
 */
export function snsMessageFor(
  alert: Alert,
  format: TopicFormat,
  text: (value: string) => string = escapeLoneSurrogates,
): { Message: string; MessageStructure?: 'json' } {
  if (format === 'chatbot') return { Message: chatbotNotification(alert) };
  if (format === 'structured') {
    const structure = JSON.stringify(snsMessageStructure(alert, text(alert.message)));
    if (Buffer.byteLength(structure) <= SNS_STRUCTURED_MAX_BYTES)
      return { Message: structure, MessageStructure: 'json' };
  }
  return { Message: text(alert.message) };
}

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

/** Errors JavaScript itself throws while building the request (a lone surrogate makes the form encoder throw URIError). */
const LOCAL_ERRORS = new Set(['URIError', 'TypeError', 'RangeError', 'SyntaxError']);

/** How much of an unexpected answer an error quotes. */
const QUOTED_ANSWER_CHARS = 200;

interface SnsFailure {
  retryable: boolean;
  detail: string;
}

/** One line: SDK messages can span several (the deserialization error does). */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * What a failed send means, and whether another attempt of the invocation can fix it. The one place
 * for SNS; publishAlerts takes `retryable` from the SinkError it gets.
 */
export function classifySnsFailure(error: unknown, redact: (text: string) => string = (t) => t): SnsFailure {
  const name = (error as { name?: unknown })?.name;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata;
  const status = metadata?.httpStatusCode;
  const message = oneLine(redact(errorMessage(error)));
  if (typeof name === 'string' && LOCAL_ERRORS.has(name) && status === undefined) {
    return {
      retryable: false,
      detail: `the request could not be built (${name}: ${message}); an alert field holds text the SDK cannot encode`,
    };
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return {
      retryable: false,
      detail: `no AWS credentials (${message}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (on Lambda the execution role provides them)`,
    };
  }
  const bodyText = (error as { $responseBodyText?: unknown })?.$responseBodyText;
  if (status !== undefined && status >= 200 && status < 300) {
    // The SDK could not read a successful answer: whatever answered is not SNS (a proxy page, a wrong SINK_ENDPOINT).
    const quoted = typeof bodyText === 'string' ? `: ${JSON.stringify(truncateText(oneLine(redact(bodyText))))}` : '';
    return {
      retryable: false,
      detail: `the endpoint answered HTTP ${status} but not as SNS (${message.replace(/ Deserialization error:.*$/, '')})${quoted}; check SINK_ENDPOINT and any proxy in between`,
    };
  }
  return { retryable: !isPermanentSnsError(error), detail: message };
}

function truncateText(text: string): string {
  return text.length > QUOTED_ANSWER_CHARS ? `${text.slice(0, QUOTED_ANSWER_CHARS)}…` : text;
}

/**
 * Publishes alerts to an SNS topic. The SDK client does the bounded retries with backoff (standard
 * mode); what is left after them is classified here. FIFO topics get a group per rule and a
 * deduplication id from the alert, so a re-delivered event does not alert twice within 5 minutes.
 * A publish counts only when SNS answered as SNS does, with a MessageId: anything else that answers
 * HTTP 200 (a captive proxy, a web server at a mistyped SINK_ENDPOINT) is a failed delivery.
 */
export function createSnsSink(options: {
  client: SNSClient | Promise<SNSClient>;
  topicArn: string;
  /** `text` (default): one message for every subscriber; `structured`: per protocol; `chatbot`: AWS Chatbot's event. */
  format?: TopicFormat;
}): AlertSink {
  const fifo = options.topicArn.endsWith('.fifo');
  const format = options.format ?? 'text';
  return {
    name: 'sns',
    async publish(alert: Alert): Promise<void> {
      let client: SNSClient | undefined;
      // What answered, for the error when it was not SNS.
      let answer: { status?: number; contentType?: string } = {};
      let output: { MessageId?: string } | undefined;
      try {
        const [{ PublishCommand }, created] = await Promise.all([import('@aws-sdk/client-sns'), options.client]);
        client = created;
        // Every text leaves well-formed: a lone surrogate anywhere makes the SDK's form encoder throw.
        const text = escapeLoneSurrogates;
        const command = new PublishCommand({
          TopicArn: options.topicArn,
          Subject: text(alert.subject),
          ...snsMessageFor(alert, format, text),
          MessageAttributes: {
            function: { DataType: 'String', StringValue: text(alert.function) },
            rule: { DataType: 'String', StringValue: text(alert.rule) },
            severity: { DataType: 'String', StringValue: text(alert.severity) },
          },
          ...(fifo
            ? {
                MessageGroupId: createHash('sha256').update(text(alert.rule)).digest('hex').slice(0, 64),
                MessageDeduplicationId: text(alert.dedupId).slice(0, 128),
              }
            : {}),
        });
        command.middlewareStack.add(
          (next) => async (args) => {
            const result = await next(args);
            const response = result.response as { statusCode?: number; headers?: Record<string, string> } | undefined;
            answer = { status: response?.statusCode, contentType: response?.headers?.['content-type'] };
            return result;
          },
          { step: 'build', name: 'trailguardAnswerShape' },
        );
        output = await client.send(command);
      } catch (error) {
        // Some SNS errors (SignatureDoesNotMatch) quote the request, with the key id and session token in it;
        // the SDK error itself stays out of the cause for the same reason.
        const redact = client ? await credentialRedactor(client) : redactText;
        const failure = classifySnsFailure(error, redact);
        const cause = Object.assign(new Error(failure.detail), {
          name: (error as { name?: unknown })?.name ?? 'Error',
          $metadata: (error as { $metadata?: unknown })?.$metadata,
        });
        throw new SinkError(`SNS publish to ${options.topicArn} failed: ${failure.detail}`, 'sns', failure.retryable, {
          cause,
        });
      }
      if (typeof output?.MessageId !== 'string' || output.MessageId === '') {
        const type = answer.contentType ? `, ${oneLine(answer.contentType).slice(0, 80)}` : '';
        throw new SinkError(
          `SNS publish to ${options.topicArn} failed: the endpoint answered HTTP ${answer.status ?? '2xx'}${type} but not as SNS (no MessageId in the answer); check SINK_ENDPOINT and any proxy in between`,
          'sns',
          false,
        );
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
export function snsSinkFor(
  topicArn: string,
  region: string,
  endpoint: string | undefined,
  format?: TopicFormat,
): AlertSink {
  return createSnsSink({ client: snsClientFor(region, endpoint), topicArn, format });
}
