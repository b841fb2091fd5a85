/**
 * The memory stage: suppress → remember → alert, the same for every function, cloud and entry point.
 * Suppression runs per finding inside the pipeline (`suppressFindings`); remembering runs on the
 * invocation's finding groups (`rememberGroups`) and on a scheduled flush (`flushWindows`). Decisions
 * come from decide.ts; this file only asks the store and builds the alerts. A store that fails or is
 * slow never costs an alert: the alert is sent, marked, and the problem logged (fail open).
 */
import { digestText } from '../lazy-builtins';
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
import { isInProcessStore } from './memory-store';
import { formatDuration } from './parse-duration';
import { type AlertWindow, baseWindowKey, type StateStore, type WindowSample, type WindowShare } from './state-store';
import { suppressionFor } from './suppressions';
import type { Threshold } from './thresholds';
import { copyAsJson } from '../json-data-copy';

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
  /**
   * Event keys of the groups this invocation alerts for: released when its alerts cannot be delivered,
   * so a retry alerts. (A held or below-threshold group keeps its claim: it is counted in its window,
   * and the window's alert or roll-up reports it, so a retry must not count it again.)
   */
  claims: string[];
  /**
   * The windowed groups this invocation alerts for, with their own share of the window: withdrawn when
   * the alert cannot be delivered, keeping what other invocations counted into the window meanwhile.
   */
  opened: Array<{ key: string; window: AlertWindow } & WindowShare>;
  /** Ended windows this invocation took over, with their roll-ups: put back for the flush when undelivered. */
  rollUps: RollUpEntry[];
}

/** A closed window and the roll-up alert built from it. */
export interface RollUpEntry {
  key: string;
  window: AlertWindow;
  alert: Alert;
}

/** Store keys: the function, then a hash (group keys and ids are attacker-influenced and unbounded). */
export function storeKey(kind: 'e' | 'w', fn: string, ...parts: string[]): string {
  const hash = digestText('sha256', parts.join('\u0000'), 'base64url').slice(0, 32);
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

/**
 * `promise`, or a rejection once `ms` have passed. An operation of the in-process store (`store` given,
 * isInProcessStore) cannot hang, so it gets no timer: a timer per operation was a third of its cost.
 */
function bounded<T>(promise: Promise<T>, ms: number, what: string, store?: StateStore): Promise<T> {
  if (store !== undefined && isInProcessStore(store)) return promise;
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
  return copyAsJson(event, (value) =>
    value.length > SAMPLE_FIELD_CHARS ? `${value.slice(0, SAMPLE_FIELD_CHARS)}…` : value,
  );
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
  // A withdrawn window: its first alert could not be delivered and nothing alerted since.
  const unalerted = window.withdrawn === true && window.alerted === 0;
  const more = unalerted ? '' : 'more ';
  const message = [
    `${rollUp.count} ${more}events like this since ${since}, first ids: ${listIds(rollUp.ids, rollUp.count)}`,
    ...(unalerted ? ['(the alert for the first of them could not be delivered)'] : []),
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
    subject: safeSubject(
      `trailguard: ${rollUp.count} ${unalerted ? 'events' : 'more'}: ${sample.subject.replace(/^trailguard: /, '')}`,
    ),
    message: capMessage(message),
    event: sample.event,
    eventIds: rollUp.ids,
    count: rollUp.count,
    dedupId: digestText(
      'sha256',
      `${sample.function}\u0000roll-up\u0000${baseWindowKey(key)}\u0000${window.start}`,
      'hex',
    ),
    ...sampleEnrichment(sample),
  };
}

/** The first alert's geo and account name as the window stored them; read back from a store, so checked. */
function sampleEnrichment(sample: WindowSample): Pick<Alert, 'geo' | 'accountName'> {
  const out: Pick<Alert, 'geo' | 'accountName'> = {};
  const { geo, accountName } = sample;
  if (geo !== null && typeof geo === 'object') {
    const checked: NonNullable<Alert['geo']> = {};
    if (typeof geo.country === 'string') checked.country = geo.country;
    if (typeof geo.asn === 'number') checked.asn = geo.asn;
    if (typeof geo.org === 'string') checked.org = geo.org;
    if (Object.keys(checked).length > 0) out.geo = checked;
  }
  if (typeof accountName === 'string' && accountName !== '') out.accountName = accountName;
  return out;
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

/** The alert of an add that took the mark back from a withdrawn window: it stands for all counted so far. */
function reclaimedAlert<Config>(
  detector: Detector<Config>,
  config: Config,
  group: FindingGroup,
  window: AlertWindow,
): Alert {
  const alert = buildAlert(detector, config, {
    ...group,
    count: window.alerted,
    eventIds: window.ids.length > 0 ? window.ids.slice(0, KEPT_WINDOW_IDS) : group.eventIds,
  });
  alert.message = capMessage(
    `${alert.message}\nIncludes: ${window.alerted - group.count} earlier events of this window since ${isoSeconds(window.start)}, whose alert could not be delivered`,
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
  const opened: MemoryOutcome['opened'] = [];
  const taken: RollUpEntry[] = [];
  const ms = memory.timeoutMs;
  // One connection for the batch: each group's failure to get it fails open on its own, as below.
  // A store() that throws (rather than rejects) is a failure to connect too: made a rejection here.
  const connected =
    groups.length > 0
      ? bounded(new Promise<StateStore>((resolve) => resolve(stage.store())), ms, 'connect')
      : undefined;
  connected?.catch(() => {}); // awaited by every group; this only keeps a failure from going unhandled
  await Promise.all(
    groups.map(async (group) => {
      const alert = buildAlert(detector, config, group);
      const threshold = thresholdFor(group.rule, memory);
      const lengthMs = threshold?.periodMs ?? memory.dedupWindowMs;
      const eventKey = storeKey('e', detector.name, group.groupKey, group.eventIds[0]);
      let claimed = false;
      try {
        const store = await (connected as Promise<StateStore>);
        const fresh = await bounded(store.claimEvent(eventKey, memory.dedupTtlMs, now), ms, 'claim', store);
        if (!fresh) {
          summary.duplicates += group.count;
          return;
        }
        claimed = true;
        if (lengthMs === 0) {
          claims.push(eventKey);
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
          ...(alert.geo ? { geo: alert.geo } : {}),
          ...(alert.accountName !== undefined ? { accountName: alert.accountName } : {}),
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
          store,
        );
        const owed = result.replaced && rollUpOf(result.replaced);
        if (result.replaced && owed) {
          const rollUp = buildRollUpAlert(windowKey, result.replaced, owed);
          rollUps.push(rollUp);
          taken.push({ key: windowKey, window: result.replaced, alert: rollUp });
          summary.rolledUp += 1;
        }
        switch (decideAdd(result, group.count)) {
          case 'alert':
            claims.push(eventKey);
            opened.push({
              key: windowKey,
              window: result.window,
              start: result.window.start,
              count: group.count,
              ids: group.eventIds.slice(0, KEPT_WINDOW_IDS),
              before: result.before,
            });
            alerts.push(
              threshold && threshold.count > 1
                ? thresholdAlert(
                    detector,
                    config,
                    group,
                    result.window,
                    result.window.alerted || result.before + group.count,
                    threshold,
                  )
                : result.before > 0
                  ? reclaimedAlert(detector, config, group, result.window)
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
        // Fail open: the alert goes out; a claim that did succeed is released if it cannot be delivered.
        if (claimed && !claims.includes(eventKey)) claims.push(eventKey);
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
  return { alerts: [...rollUps, ...alerts], summary, claims, opened, rollUps: taken };
}

/**
 * The scheduled flush: a roll-up for every ended window of this function that held findings. Each
 * window is closed (atomically: of two flushers, one gets it) before its roll-up is returned; a roll-up
 * that then cannot be delivered goes back with `restoreRollUps`, so the next flush sends it.
 */
export async function flushWindows(
  fn: string,
  stage: MemoryStage,
  now: number,
  log?: Logger,
): Promise<{ alerts: Alert[]; closed: number; rollUps: RollUpEntry[] }> {
  const ms = stage.config.timeoutMs * 10;
  const store = await bounded(stage.store(), ms, 'connect');
  const windows = await bounded(store.listWindows(fn), ms, 'list', store);
  const rollUps: RollUpEntry[] = [];
  let closed = 0;
  for (const { key, window } of windows) {
    if (!windowHasEnded(window, now)) continue;
    let final: AlertWindow | undefined;
    try {
      final = await bounded(store.closeWindow(fn, key, window.start), ms, 'close', store);
    } catch (error) {
      log?.error({ err: error, rule: window.sample.rule }, 'could not close an ended window');
      continue;
    }
    if (!final) continue; // another invocation closed or replaced it, and owns its roll-up
    closed += 1;
    const owed = rollUpOf(final);
    if (owed) rollUps.push({ key, window: final, alert: buildRollUpAlert(key, final, owed) });
  }
  return { alerts: rollUps.map((entry) => entry.alert), closed, rollUps };
}

/**
 * Puts closed windows back whose roll-ups could not be delivered, for the next flush (under a key of
 * their own: the group's key may hold a new window by now). Returns how many could not be put back;
 * each of those is logged with its count, as it is lost.
 */
export async function restoreRollUps(
  fn: string,
  stage: MemoryStage,
  rollUps: readonly RollUpEntry[],
  now: number,
  log?: Logger,
): Promise<number> {
  if (rollUps.length === 0) return 0;
  const ms = stage.config.timeoutMs * 10;
  let lost = 0;
  await Promise.all(
    rollUps.map(async ({ key, window, alert }) => {
      try {
        const store = await bounded(stage.store(), ms, 'connect');
        await bounded(store.restoreWindow(fn, key, window, stage.config.dedupTtlMs, now), ms, 'restore', store);
      } catch (error) {
        lost += 1;
        log?.error(
          { err: error, rule: alert.rule, count: alert.count, eventIds: alert.eventIds.slice(0, 10) },
          'undelivered roll-up could not be put back',
        );
      }
    }),
  );
  return lost;
}

/** The findings an undelivered alert stood for that were not its invocation's own, as a withdrawn window. */
function orphansOf(window: AlertWindow, share: WindowShare): AlertWindow | undefined {
  const count = window.alerted - share.count;
  if (count <= 0) return undefined;
  const own = new Set(share.ids);
  const ids = window.ids.slice(0, window.alerted).filter((id) => !own.has(id));
  return { ...window, count, alerted: 0, withdrawn: true, ids };
}

/**
 * After a failed delivery: forget the claims of the groups this invocation alerted for, and withdraw
 * their own findings from their windows, so the platform's retry alerts again instead of finding its
 * own events already seen. What other invocations counted into such a window stays: the next add
 * alerts for all of it, or the roll-up does (see `applyWithdraw`). Roll-ups of windows it took over
 * go back for the flush (pass `rollUps: []` when they were delivered or restored separately).
 */
export async function undoOutcome(
  fn: string,
  stage: MemoryStage,
  outcome: Pick<MemoryOutcome, 'claims' | 'opened'> & Partial<Pick<MemoryOutcome, 'rollUps'>>,
  log?: Logger,
  now: number = Date.now(),
): Promise<void> {
  const rollUps = outcome.rollUps ?? [];
  if (outcome.claims.length === 0 && outcome.opened.length === 0 && rollUps.length === 0) return;
  const ms = stage.config.timeoutMs;
  try {
    const store = await bounded(stage.store(), ms, 'connect');
    await Promise.all([
      ...outcome.claims.map((key) => bounded(store.releaseEvent(key), ms, 'release', store)),
      ...outcome.opened.map(async ({ key, window, ...share }) => {
        if (await bounded(store.withdrawFromWindow(fn, key, share), ms, 'withdraw', store)) return;
        // The window was closed or replaced meanwhile, its roll-up counting this alert as sent: what the
        // alert stood for besides this invocation's own findings goes back as a roll-up of its own.
        const others = orphansOf(window, share);
        if (others)
          await bounded(
            store.restoreWindow(fn, `${key}~${window.start}.${share.before}`, others, stage.config.dedupTtlMs, now),
            ms,
            'restore',
            store,
          );
      }),
      restoreRollUps(fn, stage, rollUps, now, log),
    ]);
  } catch (error) {
    log?.error({ err: error, claims: outcome.claims.length }, 'could not undo the memory of a failed delivery');
  }
}
