/**
 * The memory stage: suppress → remember → alert, the same for every function, cloud and entry point.
 * Suppression runs per finding inside the pipeline (`suppressFindings`); remembering runs on the
 * invocation's finding groups (`rememberGroups`) and on a scheduled flush (`flushWindows`). Decisions
 * come from decide.ts; this file only asks the store and builds the alerts. A store that fails or is
 * slow never costs an alert: the alert is sent, marked, and the problem logged (fail open).
 */
import { createHash } from 'node:crypto';
import type { Alert } from '../alert/alert';
import { capMessage, inlineValue, safeSubject } from '../alert/alert-text';
import { LISTED_EVENT_IDS } from '../alert/alert-fields';
import type { Detector, Finding, FindingGroup } from '../detect/detector';
import { errorMessage } from '../errors';
import type { PrintableEvent } from '../normalize/trace-event';
import { buildAlert } from '../pipeline';
import type { Logger } from '../platform/logger';
import { decideAdd, type RollUp, rollUpOf, windowHasEnded } from './decide';
import type { MemoryConfig } from './memory-config';
import { formatDuration } from './parse-duration';
import type { AlertWindow, StateStore, WindowSample } from './state-store';
import { suppressionFor } from './suppressions';
import type { Threshold } from './thresholds';

/** How many ids a window keeps for its alerts (the count goes on). */
export const KEPT_WINDOW_IDS = 100;
/** Longest string of the sample event stored with a window (DynamoDB items stop at 400 KB). */
const SAMPLE_FIELD_CHARS = 1024;

export interface MemorySummary {
  /** Alerts sent at once: first of their window, crossing a threshold, or with memory unavailable. */
  sent: number;
  /** Findings counted into an open window, to be rolled up when it ends. */
  held: number;
  /** Roll-up alerts built (each stands for the findings held in one ended window). */
  rolledUp: number;
  suppressed: number;
  /** Findings counted toward a threshold not reached (yet). */
  belowThreshold: number;
  /** Findings whose event id was already seen within DEDUP_TTL. */
  duplicates: number;
  /** Groups alerted without memory because the store failed or was slow. */
  unavailable: number;
}

export function emptySummary(): MemorySummary {
  return { sent: 0, held: 0, rolledUp: 0, suppressed: 0, belowThreshold: 0, duplicates: 0, unavailable: 0 };
}

export interface MemoryStage {
  config: MemoryConfig;
  /** Created lazily (the store's client loads on first use); may reject, which counts as unavailable. */
  store: () => Promise<StateStore>;
}

export interface MemoryOutcome {
  alerts: Alert[];
  summary: MemorySummary;
  /** Event keys this invocation claimed: released when its alerts cannot be delivered, so a retry alerts. */
  claims: string[];
  /** Windows this invocation opened with an alert: closed again when it cannot be delivered, so the retry alerts at once. */
  opened: Array<{ key: string; start: number }>;
}

/** Store keys: the function, then a hash (group keys and ids are attacker-influenced and unbounded). */
export function storeKey(kind: 'e' | 'w', fn: string, ...parts: string[]): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);
  return `tg:${kind}:${fn}:${hash}`;
}

export function thresholdFor(rule: string, config: MemoryConfig): Threshold | undefined {
  return config.thresholds.find((threshold) => threshold.rule === rule);
}

/** Findings no suppression mutes at `now`, and how many were muted. Pure. */
export function suppressFindings(
  findings: Finding[],
  config: MemoryConfig,
  now: number,
): { kept: Finding[]; suppressed: Array<{ finding: Finding; index: number; reason: string }> } {
  if (config.suppressions.length === 0) return { kept: findings, suppressed: [] };
  const kept: Finding[] = [];
  const suppressed: Array<{ finding: Finding; index: number; reason: string }> = [];
  for (const finding of findings) {
    const entry = suppressionFor(finding, config.suppressions, now);
    if (entry) suppressed.push({ finding, index: entry.index, reason: entry.reason });
    else kept.push(finding);
  }
  return { kept, suppressed };
}

function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`state store ${what} took longer than ${ms}ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function compactEvent(event: PrintableEvent): PrintableEvent {
  return JSON.parse(
    JSON.stringify(event, (_key, value: unknown) =>
      typeof value === 'string' && value.length > SAMPLE_FIELD_CHARS ? `${value.slice(0, SAMPLE_FIELD_CHARS)}…` : value,
    ),
  ) as PrintableEvent;
}

function listIds(ids: readonly string[], count: number): string {
  const listed = ids.slice(0, LISTED_EVENT_IDS).map((id) => inlineValue(id, 128));
  const more = count - listed.length;
  return `${listed.length > 0 ? listed.join(', ') : '-'}${more > 0 ? `, and ${more} more` : ''}`;
}

/** The one alert an ended window owes for the findings held after its first alert. */
export function buildRollUpAlert(key: string, window: AlertWindow, rollUp: RollUp): Alert {
  const { sample } = window;
  const since = isoSeconds(window.start);
  const message = [
    `${rollUp.count} more events like this since ${since}, first ids: ${listIds(rollUp.ids, rollUp.count)}`,
    '',
    `Rule: ${inlineValue(sample.rule)}`,
    `First alert: ${inlineValue(sample.subject)}`,
    `Window: ${formatDuration(window.end - window.start)} (${since} to ${isoSeconds(window.end)})`,
    `Held: ${rollUp.count}`,
  ].join('\n');
  return {
    function: sample.function,
    rule: sample.rule,
    severity: sample.severity,
    subject: safeSubject(`trailguard: ${rollUp.count} more: ${sample.subject.replace(/^trailguard: /, '')}`),
    message: capMessage(message),
    event: sample.event,
    eventIds: rollUp.ids,
    count: rollUp.count,
    dedupId: createHash('sha256')
      .update(`${sample.function}\u0000roll-up\u0000${key}\u0000${window.start}`)
      .digest('hex'),
  };
}

function thresholdAlert<Config>(
  detector: Detector<Config>,
  config: Config,
  group: FindingGroup,
  window: AlertWindow,
  count: number,
  threshold: Threshold,
): Alert {
  const alert = buildAlert(detector, config, {
    ...group,
    count,
    eventIds: window.ids.length > 0 ? window.ids.slice(0, KEPT_WINDOW_IDS) : group.eventIds,
  });
  alert.message = capMessage(
    `${alert.message}\nThreshold: ${count} events within ${formatDuration(window.end - window.start)} since ${isoSeconds(window.start)} (${threshold.rule}=${threshold.text})`,
  );
  return alert;
}

function markUnavailable(alert: Alert, reason: string): Alert {
  return {
    ...alert,
    message: capMessage(
      `${alert.message}\nNote: dedup state unavailable (${inlineValue(reason, 200)}); sent without checking for repeats.`,
    ),
  };
}

/**
 * The remember step for one invocation's groups. Each group is one store conversation; they run side
 * by side. Returns the alerts to send (roll-ups of ended windows first), the counts and the claims.
 */
export async function rememberGroups<Config>(
  detector: Detector<Config>,
  config: Config,
  groups: readonly FindingGroup[],
  stage: MemoryStage,
  now: number,
  log?: Logger,
): Promise<MemoryOutcome> {
  const memory = stage.config;
  const summary = emptySummary();
  const rollUps: Alert[] = [];
  const alerts: Alert[] = [];
  const claims: string[] = [];
  const opened: Array<{ key: string; start: number }> = [];
  const ms = memory.timeoutMs;
  await Promise.all(
    groups.map(async (group) => {
      const alert = buildAlert(detector, config, group);
      const threshold = thresholdFor(group.rule, memory);
      const lengthMs = threshold?.periodMs ?? memory.dedupWindowMs;
      const eventKey = storeKey('e', detector.name, group.groupKey, group.eventIds[0]);
      let claimed = false;
      try {
        const store = await bounded(stage.store(), ms, 'connect');
        const fresh = await bounded(store.claimEvent(eventKey, memory.dedupTtlMs, now), ms, 'claim');
        if (!fresh) {
          summary.duplicates += group.count;
          return;
        }
        claimed = true;
        claims.push(eventKey);
        if (lengthMs === 0) {
          alerts.push(alert);
          summary.sent += 1;
          return;
        }
        const windowKey = storeKey('w', detector.name, group.groupKey);
        const sample: WindowSample = {
          function: alert.function,
          rule: alert.rule,
          severity: alert.severity,
          subject: alert.subject,
          event: compactEvent(alert.event),
        };
        const result = await bounded(
          store.addToWindow(detector.name, windowKey, {
            now,
            lengthMs,
            threshold: threshold?.count ?? 1,
            count: group.count,
            ids: group.eventIds.slice(0, KEPT_WINDOW_IDS),
            keepIds: KEPT_WINDOW_IDS,
            sample,
            ttlMs: memory.dedupTtlMs,
          }),
          ms,
          'update',
        );
        const owed = result.replaced && rollUpOf(result.replaced);
        if (result.replaced && owed) {
          rollUps.push(buildRollUpAlert(windowKey, result.replaced, owed));
          summary.rolledUp += 1;
        }
        switch (decideAdd(result, group.count)) {
          case 'alert':
            if (result.before === 0) opened.push({ key: windowKey, start: result.window.start });
            alerts.push(
              threshold && threshold.count > 1
                ? thresholdAlert(detector, config, group, result.window, result.before + group.count, threshold)
                : alert,
            );
            summary.sent += 1;
            break;
          case 'held':
            summary.held += group.count;
            break;
          case 'below-threshold':
            summary.belowThreshold += group.count;
            break;
        }
      } catch (error) {
        // Fail open: the alert goes out; a claim that did succeed stays (a retry would be a repeat).
        log?.error(
          { err: error, rule: group.rule, eventId: group.eventIds[0], claimed },
          'dedup state unavailable, alerting anyway',
        );
        summary.unavailable += 1;
        summary.sent += 1;
        alerts.push(markUnavailable(alert, errorMessage(error)));
      }
    }),
  );
  return { alerts: [...rollUps, ...alerts], summary, claims, opened };
}

/** The scheduled flush: a roll-up for every ended window of this function that held findings. */
export async function flushWindows(
  fn: string,
  stage: MemoryStage,
  now: number,
  log?: Logger,
): Promise<{ alerts: Alert[]; closed: number }> {
  const ms = stage.config.timeoutMs * 10;
  const store = await bounded(stage.store(), ms, 'connect');
  const windows = await bounded(store.listWindows(fn), ms, 'list');
  const alerts: Alert[] = [];
  let closed = 0;
  for (const { key, window } of windows) {
    if (!windowHasEnded(window, now)) continue;
    let final: AlertWindow | undefined;
    try {
      final = await bounded(store.closeWindow(fn, key, window.start), ms, 'close');
    } catch (error) {
      log?.error({ err: error, rule: window.sample.rule }, 'could not close an ended window');
      continue;
    }
    if (!final) continue; // another invocation closed or replaced it, and owns its roll-up
    closed += 1;
    const owed = rollUpOf(final);
    if (owed) alerts.push(buildRollUpAlert(key, final, owed));
  }
  return { alerts, closed };
}

/**
 * After a failed delivery: forget this invocation's claims and close the windows it opened, so the
 * platform's retry alerts again instead of finding its own events already seen. (A finding another
 * invocation held in such a window meanwhile is lost with it: a failing sink and a concurrent storm.)
 */
export async function undoOutcome(
  fn: string,
  stage: MemoryStage,
  outcome: Pick<MemoryOutcome, 'claims' | 'opened'>,
  log?: Logger,
): Promise<void> {
  if (outcome.claims.length === 0 && outcome.opened.length === 0) return;
  const ms = stage.config.timeoutMs;
  try {
    const store = await bounded(stage.store(), ms, 'connect');
    await Promise.all([
      ...outcome.claims.map((key) => bounded(store.releaseEvent(key), ms, 'release')),
      ...outcome.opened.map(({ key, start }) => bounded(store.closeWindow(fn, key, start), ms, 'close')),
    ]);
  } catch (error) {
    log?.error({ err: error, claims: outcome.claims.length }, 'could not undo the memory of a failed delivery');
  }
}
