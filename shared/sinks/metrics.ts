/**
 * The per-invocation metric (AuthorizationFailureCount): one PutMetricData call with the aggregated
 * count, or one Embedded Metric Format line that CloudWatch Logs turns into the same metric. Events
 * whose findings a suppression muted are never dropped silently: when there are any, a second datum of
 * the same metric name carries their count under the dimension `Outcome=suppressed` (a separate
 * CloudWatch metric, so an alarm on the dimensionless datum is unchanged).
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

/** The dimension that marks the suppressed-events datum, and its value. */
export const OUTCOME_DIMENSION = 'Outcome';
export const SUPPRESSED_OUTCOME = 'suppressed';

export interface MetricCounts {
  /** Events that would have counted but whose findings a suppression muted. */
  suppressed?: number;
}

export interface MetricPublisher {
  publish(count: number, timestamp: Date, counts?: MetricCounts): Promise<void>;
}

/** One datum, one call, whatever the count: far inside PutMetricData's 1,000-metric and 1 MB limits. */
export function createCloudWatchMetricPublisher(
  client: CloudWatchClient | Promise<CloudWatchClient>,
  settings: MetricSettings,
): MetricPublisher {
  return {
    async publish(count, timestamp, counts = {}) {
      const suppressed = counts.suppressed ?? 0;
      try {
        // Loaded on first use, like every SDK client: not part of the cold start.
        const [{ PutMetricDataCommand }, cloudWatch] = await Promise.all([
          import('@aws-sdk/client-cloudwatch'),
          client,
        ]);
        await cloudWatch.send(
          new PutMetricDataCommand({
            Namespace: settings.namespace,
            MetricData: [
              { MetricName: settings.name, Value: count, Unit: 'Count', Timestamp: timestamp },
              ...(suppressed > 0
                ? [
                    {
                      MetricName: settings.name,
                      Dimensions: [{ Name: OUTCOME_DIMENSION, Value: SUPPRESSED_OUTCOME }],
                      Value: suppressed,
                      Unit: 'Count' as const,
                      Timestamp: timestamp,
                    },
                  ]
                : []),
            ],
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

/** The EMF line: a root object with `_aws` metadata and the value as a root member. `dimensions` become root members and the datum's one dimension set. */
export function emfLine(
  settings: MetricSettings,
  count: number,
  timestamp: Date,
  properties: Record<string, string> = {},
  dimensions: Record<string, string> = {},
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: settings.namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: [{ Name: settings.name, Unit: 'Count' }],
        },
      ],
    },
    ...properties,
    ...dimensions,
    [settings.name]: count,
  });
}

export function createEmfMetricPublisher(
  settings: MetricSettings,
  write: (line: string) => void,
  properties: Record<string, string> = {},
): MetricPublisher {
  return {
    async publish(count, timestamp, counts = {}) {
      write(emfLine(settings, count, timestamp, properties));
      // A second line: one EMF document has one dimension set for all its metrics.
      if ((counts.suppressed ?? 0) > 0)
        write(
          emfLine(settings, counts.suppressed ?? 0, timestamp, properties, {
            [OUTCOME_DIMENSION]: SUPPRESSED_OUTCOME,
          }),
        );
    },
  };
}
