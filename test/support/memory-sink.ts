import type { Alert, AlertSink } from '../../shared/alert/alert';

/** An alert sink that keeps what it is given: the narrow unit stand-in for SNS/SMN. */
export function memorySink(name = 'memory'): AlertSink & { alerts: Alert[] } {
  const alerts: Alert[] = [];
  return {
    name,
    alerts,
    async publish(alert: Alert): Promise<void> {
      alerts.push(alert);
    },
  };
}
