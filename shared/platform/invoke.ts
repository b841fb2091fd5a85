/**
 * What one invocation does on any platform: ingest the event, build alerts, publish them and the
 * metric, report. Rejected records are logged and counted but do not fail the invocation (a retry
 * would reject them again); a failed publish does fail it, so the platform retries or dead-letters
 * the event.
 */
import type { AlertSink } from '../alert/alert';
import { metricCounter, type Detector, type MetricSettings } from '../detect/detector';
import { errorMessage, isRetryable, SinkError } from '../errors';
import type { Logger } from './logger';
import type { MetricPublisher } from '../sinks/metrics';
import { DetectionRun, type FetchObject } from '../pipeline';
import { publishAlerts } from '../sinks/publish-alerts';

export interface InvocationResult {
  function: string;
  records: number;
  alerts: number;
  delivered: number;
  rejected: number;
  skipped: number;
  duplicates: number;
  /** The metric value of this invocation, when the function has a metric. */
  metric?: { name: string; value: number; published: boolean; via: 'api' | 'emf' | 'lost' };
}

export interface InvocationDeps {
  log: Logger;
  sinks: () => AlertSink[];
  fetchObject?: FetchObject;
  /** The platform's way to publish the function's metric; undefined where it has none (FunctionGraph). */
  metricPublisher?: (settings: MetricSettings) => MetricPublisher | undefined;
  /** Where the metric goes when the API call fails: an EMF line, which CloudWatch Logs turns into the same datum. */
  metricFallback?: (settings: MetricSettings) => MetricPublisher;
  now?: () => Date;
  /** Cap on the decompressed size of a fetched log file (gzip bombs); the pipeline's default otherwise. */
  maxDecompressedBytes?: number;
}

export async function invokeDetector<Config>(
  detector: Detector<Config>,
  config: Config,
  event: unknown,
  deps: InvocationDeps,
): Promise<InvocationResult> {
  const { log } = deps;
  const metric = detector.metric;
  const counter = metricCounter(detector, config);
  const run = new DetectionRun(detector, config, {
    fetchObject: deps.fetchObject,
    maxDecompressedBytes: deps.maxDecompressedBytes,
    onRejected: (rejected) =>
      log.warn(
        { position: rejected.position, recordId: rejected.recordId, reason: rejected.reason },
        'record rejected',
      ),
    onFindings: counter.onFindings,
  });
  // A failed S3 read (retryable) fails the invocation, but only after the alerts of everything that was read went out.
  let ingestFailure: unknown;
  try {
    await run.ingest(event, 'event');
  } catch (error) {
    ingestFailure = error;
  }
  const alerts = run.alerts();
  const unlogged = run.stats.rejected - run.stats.rejections.length;
  // Only the first rejections get a line each: a file of a million bad records must not be a million lines.
  if (unlogged > 0) log.warn({ rejected: run.stats.rejected, notLogged: unlogged }, 'more records rejected');

  const settings = metric?.settings(config);
  const publisher = settings && settings.mode !== 'off' ? deps.metricPublisher?.(settings) : undefined;
  const [alertOutcome, metricOutcome] = await Promise.allSettled([
    // Inside the promise: a sink that cannot even be created (no credentials, bad topic) is a failed delivery too.
    alerts.length > 0
      ? Promise.resolve().then(() => publishAlerts(alerts, deps.sinks(), log))
      : Promise.resolve({ delivered: 0 }),
    publisher ? publisher.publish(counter.count(), (deps.now ?? (() => new Date()))()) : Promise.resolve(),
  ]);
  // A failed metric call never fails the invocation: a retry would send every delivered alert again.
  // The count goes out as an EMF line instead (same namespace and name), so the alarm still sees it.
  let metricVia: 'api' | 'emf' | 'lost' = settings?.mode === 'emf' ? 'emf' : 'api';
  if (metricOutcome.status === 'rejected' && settings) {
    const fallback = deps.metricFallback?.(settings);
    metricVia = fallback ? 'emf' : 'lost';
    if (fallback) await fallback.publish(counter.count(), (deps.now ?? (() => new Date()))());
    log.error(
      { err: metricOutcome.reason, metric: settings.name, value: counter.count(), fallback: metricVia },
      'metric publish failed',
    );
  }
  const failure = alertOutcome.status === 'rejected' ? alertOutcome.reason : undefined;
  if (failure || ingestFailure) {
    const error =
      failure === undefined
        ? ingestFailure
        : failure instanceof SinkError
          ? failure
          : new SinkError(errorMessage(failure), 'unknown', true, { cause: failure });
    // The platform retries the invocation (or dead-letters it); this line says why and what was done before.
    log.error(
      {
        err: error,
        retryable: isRetryable(error),
        records: run.stats.records,
        alerts: alerts.length,
        rejected: run.stats.rejected,
        skipped: run.stats.skipped,
      },
      'invocation failed',
    );
    throw error;
  }

  const result: InvocationResult = {
    function: detector.name,
    records: run.stats.records,
    alerts: alerts.length,
    delivered: alertOutcome.status === 'fulfilled' ? alertOutcome.value.delivered : 0,
    rejected: run.stats.rejected,
    skipped: run.stats.skipped,
    duplicates: run.stats.duplicates,
    ...(settings && settings.mode !== 'off'
      ? {
          metric: {
            name: settings.name,
            value: counter.count(),
            published: publisher !== undefined && metricVia !== 'lost',
            via: metricVia,
          },
        }
      : {}),
  };
  log.info(result, 'invocation done');
  return result;
}
