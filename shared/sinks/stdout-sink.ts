import type { Alert, AlertSink } from '../alert/alert';

/** The line `replay --json` prints for an alert: one JSON object, no raw record. */
export function alertJsonLine(alert: Alert): string {
  const { function: fn, rule, severity, subject, message, count, eventIds, event, dedupId, geo, accountName } = alert;
  return JSON.stringify({
    function: fn,
    rule,
    severity,
    subject,
    message,
    count,
    eventIds,
    dedupId,
    geo,
    accountName,
    event,
  });
}

/** Writes each alert as one JSON line (replay, and deployments that only want alerts in their logs). */
export function createStdoutSink(write: (line: string) => void): AlertSink {
  return {
    name: 'stdout',
    async publish(alert: Alert): Promise<void> {
      write(alertJsonLine(alert));
    },
  };
}
