/**
 * The sink ROUTES makes: each alert goes to every target of the first route that matches it, or to
 * the default sink when none does. All targets are attempted; if any fails, one SinkError names each
 * failed target (retryable when any of them is), so the invocation fails as for a single sink.
 */
import type { Alert, AlertSink } from '../alert/alert';
import { errorMessage, SinkError } from '../errors';
import { type Route, type RouteTarget, routeFor } from './routes';

export interface RoutedSinkFactories {
  fallback: () => AlertSink;
  target: (target: RouteTarget) => AlertSink;
}

/** A target as logs and errors may show it: never a webhook URL, only the variable it came from. */
export function describeTarget(target: RouteTarget): string {
  return target.kind === 'webhook' ? `webhook ${target.source}` : `${target.kind} ${target.topic}`;
}

export function createRoutedSink(routes: readonly Route[], make: RoutedSinkFactories): AlertSink {
  const made = new Map<Route | 'default', AlertSink[]>();

  /** Sinks of one route (or the default), made once per createAlertSinks call; a failure to make one fails its alerts. */
  function sinksOf(route: Route | undefined): AlertSink[] {
    const key = route ?? 'default';
    let sinks = made.get(key);
    if (!sinks) {
      sinks = route ? route.targets.map((target) => make.target(target)) : [make.fallback()];
      made.set(key, sinks);
    }
    return sinks;
  }

  return {
    name: 'routes',
    async publish(alert: Alert): Promise<void> {
      const route = routeFor(routes, alert);
      const labels = route ? route.targets.map(describeTarget) : ['the default sink'];
      const sinks = sinksOf(route);
      const results = await Promise.allSettled(sinks.map((sink) => sink.publish(alert)));
      const failures = results.flatMap((result, index) =>
        result.status === 'rejected' ? [{ label: labels[index], error: result.reason as unknown }] : [],
      );
      if (failures.length === 0) return;
      const retryable = failures.some(({ error }) => !(error instanceof SinkError) || error.retryable);
      const where = route ? route.name : 'no route matched';
      throw new SinkError(
        `${where}: ${failures.length} of ${sinks.length} target${sinks.length === 1 ? '' : 's'} failed: ${failures
          .map(({ label, error }) => `${label}: ${errorMessage(error)}`)
          .join('; ')}`,
        failures.length === 1 && failures[0].error instanceof SinkError ? failures[0].error.sink : 'routes',
        retryable,
      );
    },
  };
}
