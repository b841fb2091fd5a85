/**
 * What one invocation does on any platform: ingest the event, build alerts, publish them, report.
 * Rejected records are logged and counted but do not fail the invocation (a retry would reject them
 * again); a failed publish does fail it, so the platform retries or dead-letters the event.
 */
import type { AlertSink } from '../alert';
import type { Detector } from '../detector';
import type { Logger } from '../logger';
import { DetectionRun, type FetchObject } from '../pipeline';
import { publishAlerts } from '../publish-alerts';

export interface InvocationResult {
  function: string;
  records: number;
  alerts: number;
  delivered: number;
  rejected: number;
  skipped: number;
  duplicates: number;
}

export async function invokeDetector<Config>(
  detector: Detector<Config>,
  config: Config,
  event: unknown,
  deps: { log: Logger; sinks: () => AlertSink[]; fetchObject?: FetchObject },
): Promise<InvocationResult> {
  const { log } = deps;
  const run = new DetectionRun(detector, config, {
    fetchObject: deps.fetchObject,
    onRejected: (rejected) => log.warn({ position: rejected.position, recordId: rejected.recordId, reason: rejected.reason }, 'record rejected'),
  });
  await run.ingest(event, 'event');
  const alerts = run.alerts();
  const { delivered } = alerts.length > 0 ? await publishAlerts(alerts, deps.sinks(), log) : { delivered: 0 };
  const result: InvocationResult = {
    function: detector.name,
    records: run.stats.records,
    alerts: alerts.length,
    delivered,
    rejected: run.stats.rejected.length,
    skipped: run.stats.skipped.length,
    duplicates: run.stats.duplicates,
  };
  log.info(result, 'invocation done');
  return result;
}
