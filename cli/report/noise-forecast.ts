/**
 * The noise forecast: how many alerts this configuration would have sent over the replayed period,
 * per UTC day and rule. The replay itself folds every finding of a group key into one alert (one
 * invocation); a deployed function sees the trail in batches as it is written. So the forecast runs
 * the real memory stage (dedup window, thresholds, roll-ups) on an in-process store, batch by batch
 * (5-minute slices of event time), with the clock at each batch's latest event. A roll-up counts on
 * the day its window ended (a flush timer sends it then) or when a later batch of its group replaces
 * the ended window (as the next invocation would).
 */
import type { Detector, FindingGroup } from '../../shared/detect/detector';
import type { MemoryConfig } from '../../shared/memory/memory-config';
import { rollUpOf, windowHasEnded } from '../../shared/memory/decide';
import { type MemoryStage, rememberGroups } from '../../shared/memory/memory-stage';
import { createMemoryStore } from '../../shared/memory/memory-store';
import { type Collected, SLICE_MS } from './report-collector';

export interface Forecast {
  /** Alerts per UTC day and rule with this configuration. */
  byDay: Map<string, Map<string, number>>;
  /** Alerts without the memory stage: one per group key per batch. */
  withoutMemory: Map<string, number>;
  /** Findings the forecast left out (too many batches × groups); the forecast then says it is partial. */
  partial: boolean;
}

const DAY_MS = 86_400_000;

function dayOf(at: number): number {
  return Math.floor(at / DAY_MS);
}

function addTo(byDay: Map<string, Map<string, number>>, at: number, rule: string): void {
  const day = new Date(at).toISOString().slice(0, 10);
  let byRule = byDay.get(day);
  if (!byRule) {
    byRule = new Map();
    byDay.set(day, byRule);
  }
  byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
}

export async function forecastNoise<Config>(
  detector: Detector<Config>,
  config: Config,
  memory: MemoryConfig,
  collected: Collected,
): Promise<Forecast> {
  // The replay's store may be shared (DynamoDB, Redis): the forecast never touches it.
  // Only the number of alerts counts here: their text is not built (describe is the costly part).
  const counting: Detector<Config> = { ...detector, describe: () => ({ subject: 'forecast', message: '' }) };
  // Its clock is the simulated one: expiry (DEDUP_TTL after a window) is judged in event time too.
  let clock = 0;
  const store = Promise.resolve(createMemoryStore(() => clock));
  const stage: MemoryStage = {
    config: { ...memory, store: { kind: 'memory' }, timeoutMs: 10_000 },
    store: () => store,
  };
  const longest = Math.max(memory.dedupWindowMs, ...memory.thresholds.map((threshold) => threshold.periodMs));
  const byDay = new Map<string, Map<string, number>>();
  const withoutMemory = new Map<string, number>();
  // The flush of a flush timer, dated by each window's end. It lists every live window, so it runs
  // when the day changes and at most twice per DEDUP_TTL (before an ended window could expire), not
  // per batch; a later batch of the same group replaces an ended window and owes its roll-up anyway.
  const flushEvery = Math.min(DAY_MS, Math.max(SLICE_MS, memory.dedupTtlMs / 2));
  const flush = async (at: number) => {
    clock = at;
    const opened = await store;
    for (const { key, window } of await opened.listWindows(counting.name)) {
      if (!windowHasEnded(window, at)) continue;
      const final = await opened.closeWindow(counting.name, key, window.start);
      if (final && rollUpOf(final)) addTo(byDay, final.end, final.sample.rule);
    }
    flushed = at;
  };
  let previous: number | undefined;
  let flushed = Number.NEGATIVE_INFINITY;
  const order = [...collected.slices.keys()].sort((a, b) => a - b);
  for (const index of order) {
    const slice = collected.slices.get(index);
    if (!slice) continue;
    if (
      previous !== undefined &&
      longest > 0 &&
      (dayOf(slice.at) !== dayOf(previous) || slice.at - flushed >= flushEvery)
    )
      await flush(Math.min(slice.at, previous + longest));
    const groups: FindingGroup[] = [];
    for (const group of slice.groups.values()) {
      const first = collected.firstEvents.get(group.groupKey);
      if (!first) continue;
      withoutMemory.set(group.rule, (withoutMemory.get(group.rule) ?? 0) + 1);
      groups.push({
        rule: group.rule,
        severity: group.severity,
        groupKey: group.groupKey,
        first: { ...first, id: group.firstId },
        eventIds: [group.firstId],
        count: group.count,
      });
    }
    clock = slice.at;
    const outcome = await rememberGroups(counting, config, groups, stage, slice.at);
    for (const alert of outcome.alerts) addTo(byDay, slice.at, alert.rule);
    previous = slice.at;
  }
  if (previous !== undefined && longest > 0) await flush(previous + longest);
  return { byDay, withoutMemory, partial: collected.partial };
}
