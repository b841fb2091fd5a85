/**
 * The per-invocation metric (AuthorizationFailureCount): one PutMetricData call with the aggregated
 * count, or one Embedded Metric Format line that CloudWatch Logs turns into the same metric.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { MetricSettings } from '../detect/detector';
import { errorMessage, SinkError } from '../errors';

/** Errors a retry will not fix (permissions, a bad namespace). */
const PERMANENT_METRIC_ERRORS = new Set([
  'CredentialsProviderError',
  'AccessDenied',
  'AccessDeniedException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'MissingParameter',
  'MissingRequiredParameter',
]);

export interface MetricPublisher {
  publish(count: number, timestamp: Date): Promise<void>;
}

/** One datum, one call, whatever the count: far inside PutMetricData's 1,000-metric and 1 MB limits. */
export function createCloudWatchMetricPublisher(
  client: CloudWatchClient | Promise<CloudWatchClient>,
  settings: MetricSettings,
): MetricPublisher {
  return {
    async publish(count, timestamp) {
      try {
        // Loaded on first use, like every SDK client: not part of the cold start.
        const [{ PutMetricDataCommand }, cloudWatch] = await Promise.all([
          import('@aws-sdk/client-cloudwatch'),
          client,
        ]);
        await cloudWatch.send(
          new PutMetricDataCommand({
            Namespace: settings.namespace,
            MetricData: [{ MetricName: settings.name, Value: count, Unit: 'Count', Timestamp: timestamp }],
          }),
        );
      } catch (error) {
        const name = (error as { name?: string })?.name ?? '';
        throw new SinkError(
          `PutMetricData ${settings.namespace}/${settings.name} failed: ${errorMessage(error)}`,
          'cloudwatch',
          !PERMANENT_METRIC_ERRORS.has(name),
          { cause: error },
        );
      }
    },
  };
}

/** The EMF line: a root object with `_aws` metadata and the value as a root member. */
export function emfLine(
  settings: MetricSettings,
  count: number,
  timestamp: Date,
  properties: Record<string, string> = {},
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp.getTime(),
      CloudWatchMetrics: [
        { Namespace: settings.namespace, Dimensions: [[]], Metrics: [{ Name: settings.name, Unit: 'Count' }] },
      ],
    },
    ...properties,
    [settings.name]: count,
  });
}

export function createEmfMetricPublisher(
  settings: MetricSettings,
  write: (line: string) => void,
  properties: Record<string, string> = {},
): MetricPublisher {
  return {
    async publish(count, timestamp) {
      write(emfLine(settings, count, timestamp, properties));
    },
  };
}
