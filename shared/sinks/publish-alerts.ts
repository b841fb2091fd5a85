import type { Alert, AlertSink } from '../alert/alert';
import { errorMessage, SinkError } from '../errors';
import type { Logger } from '../platform/logger';

export interface PublishReport {
  delivered: number;
  failures: { sink: string; rule: string; error: string; retryable: boolean }[];
}

/**
 * Publishes every alert to every sink, all attempted even when some fail. Then, if any delivery
 * failed, throws one SinkError so the invocation fails and the platform retries it or sends it to
 * the dead-letter path: a lost alert must never look like a success.
 */
export async function publishAlerts(
  alerts: readonly Alert[],
  sinks: readonly AlertSink[],
  log: Logger,
): Promise<PublishReport> {
  const report: PublishReport = { delivered: 0, failures: [] };
  const attempts = alerts.flatMap((alert) => sinks.map((sink) => ({ alert, sink })));
  const results = await Promise.allSettled(attempts.map(({ alert, sink }) => sink.publish(alert)));
  results.forEach((result, index) => {
    const { alert, sink } = attempts[index];
    if (result.status === 'fulfilled') {
      report.delivered += 1;
      log.info(
        { sink: sink.name, rule: alert.rule, eventId: alert.eventIds[0], count: alert.count },
        'alert published',
      );
      return;
    }
    // A sink that did not classify its failure: retried (a lost alert is worse than a duplicate), except an
    // encoding error, which fails the same way on every retry.
    const retryable =
      result.reason instanceof SinkError ? result.reason.retryable : !(result.reason instanceof URIError);
    report.failures.push({ sink: sink.name, rule: alert.rule, error: errorMessage(result.reason), retryable });
    log.error(
      { sink: sink.name, rule: alert.rule, eventId: alert.eventIds[0], err: result.reason },
      'alert publish failed',
    );
  });
  if (report.failures.length > 0) {
    const retryable = report.failures.some((failure) => failure.retryable);
    const first = report.failures[0];
    throw new SinkError(
      `${report.failures.length} of ${attempts.length} alert deliveries failed; first: ${first.sink}: ${first.error}`,
      report.failures.length === 1 ? first.sink : 'multiple',
      retryable,
    );
  }
  return report;
}
