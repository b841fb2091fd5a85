/**
 * The memory stage's decisions: pure functions of (finding group, stored state, now). No I/O here; the
 * stage feeds them what the store answered.
 */
import type { AlertWindow, WindowAddResult } from './state-store';

export type WindowDecision = 'alert' | 'held' | 'below-threshold';

/**
 * After an add of `added` findings: the add that set the window's alert mark alerts (exactly one add
 * does: the mark is set atomically, once, and cleared again only when that alert's delivery failed and
 * its findings were withdrawn); adds at or above the threshold otherwise are held for the roll-up; adds
 * before it are below the threshold.
 */
export function decideAdd(result: WindowAddResult, added: number): WindowDecision {
  if (result.marked) return 'alert';
  return result.before + added >= result.window.threshold ? 'held' : 'below-threshold';
}

export interface RollUp {
  /** Findings held after the window's alert. */
  count: number;
  /** The first of their ids that the window kept. */
  ids: string[];
}

/** What an ended window still owes: the findings held after its alert, if any. */
export function rollUpOf(window: AlertWindow): RollUp | undefined {
  // A store whose add and alert mark are two writes (DynamoDB) may show a window that reached its
  // threshold without the mark yet: its alert then stood for the threshold's count.
  // A withdrawn window (its alert failed) that nothing alerted for since: the roll-up stands for all it
  // holds, even below a threshold (the threshold was reached once, with the withdrawn findings).
  if (window.withdrawn && window.alerted === 0)
    return window.count > 0 ? { count: window.count, ids: window.ids } : undefined;
  const alerted = window.alerted || (window.count >= window.threshold ? window.threshold : 0);
  if (alerted === 0 || window.count <= alerted) return undefined;
  return { count: window.count - alerted, ids: window.ids.slice(alerted) };
}

export function windowHasEnded(window: AlertWindow, now: number): boolean {
  return now >= window.end;
}
