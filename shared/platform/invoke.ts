/**
 * What one invocation does on any platform: ingest the event, build alerts, publish them and the
 * metric, report. Rejected records are logged and counted but do not fail the invocation (a retry
 * would reject them again); a failed publish does fail it, so the platform retries or dead-letters
 * the event.
 */
import type { AlertSink } from '../alert/alert';
import { bindGeoRule, metricCounter, type Detector, type MetricSettings } from '../detect/detector';
import type { Enricher } from '../enrich/enricher';
import { errorMessage, isRetryable, SinkError } from '../errors';
import type { Logger } from './logger';
import type { MetricPublisher } from '../sinks/metrics';
import { DetectionRun, type FetchObject } from '../pipeline';
import { publishAlerts } from '../sinks/publish-alerts';
import {
  emptySummary,
  flushWindows,
  type MemoryOutcome,
  type MemoryStage,
  type MemorySummary,
  rememberGroups,
  restoreRollUps,
  type RollUpEntry,
  suppressFindings,
  undoOutcome,
} from '../memory/memory-stage';

/** One invocation's wiring, as a platform's shared handler made it: its context, the child logger, the sinks. */
export interface HandlerInvocation<Context> {
  context: Context;
  log: Logger;
  sinks: () => AlertSink[];
}

export interface InvocationResult {
  function: string;
  records: number;
  alerts: number;
  delivered: number;
  rejected: number;
  skipped: number;
  duplicates: number;
  /** Findings muted by SUPPRESS / SUPPRESS_FILE. */
  suppressed: number;
  /** What the memory stage did: alerts sent at once, findings held for a roll-up, roll-ups sent, … */
  memory?: MemorySummary;
  /** A scheduled flush invocation (roll-ups only, no intake). */
  flush?: boolean;
  /** SQS partial batch response (ReportBatchItemFailures): always empty, a failure throws instead. */
  batchItemFailures?: Array<{ itemIdentifier: string }>;
  /** The metric value of this invocation, when the function has a metric. */
  metric?: {
    name: string;
    value: number;
    /** Events muted by a suppression, sent as the same metric with the dimension Outcome=suppressed (when above 0). */
    suppressed: number;
    published: boolean;
    via: 'api' | 'emf' | 'lost';
  };
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
  /** The memory stage (suppress, dedup, thresholds); without it every group alerts, as before. */
  memory?: MemoryStage;
  /** Geo and account names for the alerts (shared/enrich), and the geo lookup of a geo rule. */
  enricher?: Enricher;
}

export async function invokeDetector<Config>(
  detector: Detector<Config>,
  config: Config,
  event: unknown,
  deps: InvocationDeps,
): Promise<InvocationResult> {
  const { log } = deps;
  // A rule that needs the country (COUNTRY_ALLOWLIST) gets the lookup bound in; detection stays pure.
  config = await bindGeoRule(detector, config, deps.enricher?.geo);
  const memory = deps.memory;
  const now = (deps.now ?? (() => new Date()))().getTime();
  const metric = detector.metric;
  const counter = metricCounter(detector, config);
  // Suppressed findings: one debug line each, one info line per invocation with the counts per entry.
  const suppressedBy = new Map<number, number>();
  // Events the metric would have counted but a suppression muted: the metric's `Outcome=suppressed` datum.
  let suppressedMetric = 0;
  const run = new DetectionRun(detector, config, {
    suppress: memory
      ? (findings) => {
          const { kept, suppressed } = suppressFindings(findings, memory.config, now);
          if (
            metric &&
            !kept.some((finding) => metric.counts(finding, config)) &&
            suppressed.some(({ finding }) => metric.counts(finding, config))
          )
            suppressedMetric += 1;
          for (const { finding, index, reason } of suppressed) {
            suppressedBy.set(index, (suppressedBy.get(index) ?? 0) + 1);
            log.debug(
              { rule: finding.rule, eventId: finding.event.id, suppression: index, reason },
              'finding suppressed',
            );
          }
          return kept;
        }
      : undefined,
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
  const unlogged = run.stats.rejected - run.stats.rejections.length;
  // Only the first rejections get a line each: a file of a million bad records must not be a million lines.
  if (unlogged > 0) log.warn({ rejected: run.stats.rejected, notLogged: unlogged }, 'more records rejected');
  if (suppressedBy.size > 0) log.info({ suppressed: Object.fromEntries(suppressedBy) }, 'findings suppressed');
  await deps.enricher?.enrich(run.groups().map((group) => group.first));
  const remembered: MemoryOutcome = memory
    ? await rememberGroups(detector, config, run.groups(), memory, now, log)
    : { alerts: run.alerts(), summary: emptySummary(), claims: [], opened: [], rollUps: [] };
  const alerts = remembered.alerts;
  // Roll-ups of windows this invocation took over go out one by one: one that fails goes back for the flush.
  const rollUpAlerts = new Set(remembered.rollUps.map((entry) => entry.alert));
  const ownAlerts = alerts.filter((alert) => !rollUpAlerts.has(alert));

  const settings = metric?.settings(config);
  const publisher = settings && settings.mode !== 'off' ? deps.metricPublisher?.(settings) : undefined;
  const [alertOutcome, metricOutcome] = await Promise.allSettled([
    // Inside the promise: a sink that cannot even be created (no credentials, bad topic) is a failed delivery too.
    ownAlerts.length > 0
      ? Promise.resolve().then(() => publishAlerts(ownAlerts, deps.sinks(), log))
      : Promise.resolve({ delivered: 0 }),
    publisher
      ? publisher.publish(counter.count(), (deps.now ?? (() => new Date()))(), { suppressed: suppressedMetric })
      : Promise.resolve(),
  ]);
  // A failed metric call never fails the invocation: a retry would send every delivered alert again.
  // The count goes out as an EMF line instead (same namespace and name), so the alarm still sees it.
  let metricVia: 'api' | 'emf' | 'lost' = settings?.mode === 'emf' ? 'emf' : 'api';
  if (metricOutcome.status === 'rejected' && settings) {
    const fallback = deps.metricFallback?.(settings);
    metricVia = fallback ? 'emf' : 'lost';
    if (fallback)
      await fallback.publish(counter.count(), (deps.now ?? (() => new Date()))(), { suppressed: suppressedMetric });
    log.error(
      { err: metricOutcome.reason, metric: settings.name, value: counter.count(), fallback: metricVia },
      'metric publish failed',
    );
  }
  const rolledUp = memory ? (await deliverRollUps(detector.name, memory, remembered.rollUps, deps, now)).delivered : 0;
  const failure = alertOutcome.status === 'rejected' ? alertOutcome.reason : undefined;
  if (failure && memory) await undoOutcome(detector.name, memory, { ...remembered, rollUps: [] }, log, now);
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
    delivered: (alertOutcome.status === 'fulfilled' ? alertOutcome.value.delivered : 0) + rolledUp,
    rejected: run.stats.rejected,
    skipped: run.stats.skipped,
    duplicates: run.stats.duplicates,
    suppressed: run.stats.suppressed,
    ...(memory ? { memory: remembered.summary } : {}),
    ...(settings && settings.mode !== 'off'
      ? {
          metric: {
            name: settings.name,
            value: counter.count(),
            suppressed: suppressedMetric,
            published: publisher !== undefined && metricVia !== 'lost',
            via: metricVia,
          },
        }
      : {}),
  };
  log.info(result, 'invocation done');
  return result;
}

/**
 * Publishes roll-ups one at a time; each one that fails is put back for the next flush (its window is
 * closed by then, so nobody else would send it). Returns the deliveries made.
 */
async function deliverRollUps(
  name: string,
  memory: MemoryStage,
  rollUps: readonly RollUpEntry[],
  deps: Pick<InvocationDeps, 'log' | 'sinks'>,
  now: number,
): Promise<{ delivered: number; failed: unknown[] }> {
  let delivered = 0;
  const failed: unknown[] = [];
  const undelivered: RollUpEntry[] = [];
  await Promise.all(
    rollUps.map(async (entry) => {
      try {
        delivered += (await publishAlerts([entry.alert], deps.sinks(), deps.log)).delivered;
      } catch (error) {
        failed.push(error);
        undelivered.push(entry);
      }
    }),
  );
  const lost = await restoreRollUps(name, memory, undelivered, now, deps.log);
  if (undelivered.length > 0)
    deps.log.error(
      { rollUps: undelivered.map((entry) => ({ rule: entry.alert.rule, count: entry.alert.count })), lost },
      'roll-up delivery failed, put back for the next flush',
    );
  return { delivered, failed };
}

/**
 * A scheduled flush: roll-ups for every ended window of the function, published like any alert. A
 * roll-up that cannot be delivered is put back for the next flush, and the invocation fails.
 */
export async function flushMemory(
  name: string,
  memory: MemoryStage,
  deps: Pick<InvocationDeps, 'log' | 'sinks' | 'now'>,
): Promise<InvocationResult> {
  const { log } = deps;
  const now = (deps.now ?? (() => new Date()))().getTime();
  const { alerts, closed, rollUps } = await flushWindows(name, memory, now, log);
  const { delivered, failed } = await deliverRollUps(name, memory, rollUps, deps, now);
  if (failed.length > 0) {
    const first = failed[0];
    const error =
      first instanceof SinkError ? first : new SinkError(errorMessage(first), 'unknown', true, { cause: first });
    log.error(
      { err: error, retryable: isRetryable(error), rollUps: alerts.length, failed: failed.length },
      'invocation failed',
    );
    throw error;
  }
  const result: InvocationResult = {
    function: name,
    flush: true,
    records: 0,
    alerts: alerts.length,
    delivered,
    rejected: 0,
    skipped: 0,
    duplicates: 0,
    suppressed: 0,
    memory: { ...emptySummary(), rolledUp: alerts.length },
  };
  log.info({ ...result, closed }, 'invocation done');
  return result;
}
