/**
 * The memory stage's state, behind one small interface with atomic operations. The in-process,
 * DynamoDB and Redis stores implement it; `applyWindowAdd` defines what one add does, and every store
 * does exactly that atomically (the memory store calls it, Redis runs it as a Lua script, DynamoDB as
 * conditional writes), so concurrent invocations agree on which one alerts and count every event once.
 */
import type { Severity } from '../alert/alert';
import type { Geo } from '../enrich/geo';
import type { PrintableEvent } from '../normalize/trace-event';
import type { KeyValueStore } from './key-value-store';

/** What a roll-up needs to say about the alert it follows, stored with the window that alert opened. */
export interface WindowSample {
  function: string;
  rule: string;
  severity: Severity;
  /** Subject of the alert for the window's first finding(s). */
  subject: string;
  /** The first finding's event as alerts show it (access keys masked), without `raw`. */
  event: PrintableEvent;
  /** The first alert's enrichment (Alert.geo, Alert.accountName), for the roll-up; absent in windows stored before. */
  geo?: Geo;
  accountName?: string;
}

/** One group key's window: opened by its first finding, `end` fixed when it opens. Times in epoch ms. */
export interface AlertWindow {
  start: number;
  end: number;
  /** Findings needed before the window alerts: 1 for the dedup window, N for a threshold. */
  threshold: number;
  /** Every finding added to the window. */
  count: number;
  /** How many findings the window's immediate alert stood for; 0 while below the threshold. */
  alerted: number;
  /** The first ids added, in order (at most the `keepIds` of the adds, give or take one add). */
  ids: string[];
  sample: WindowSample;
  /**
   * Set when the invocation that alerted for this window could not deliver its alert and withdrew its
   * own findings: what others held since is not covered by any alert, so the next add alerts for all of
   * them, or, if none comes, the roll-up stands for the whole count.
   */
  withdrawn?: boolean;
}

/** One add's own contribution, to withdraw it after its alert could not be delivered. */
export interface WindowShare {
  /** The window's `start`: a window that has been closed or replaced since is left alone. */
  start: number;
  count: number;
  ids: readonly string[];
  /** The window's count before the add (DynamoDB keeps each add's ids under it). */
  before: number;
}

export interface WindowAdd {
  now: number;
  /** Length of a window this add opens. */
  lengthMs: number;
  threshold: number;
  /** Findings this add stands for (one group of one invocation). */
  count: number;
  ids: readonly string[];
  keepIds: number;
  sample: WindowSample;
  /** How long the stored window lives after it ends, so a late flush still finds it. */
  ttlMs: number;
}

export interface WindowAddResult {
  /** The window after the add. */
  window: AlertWindow;
  /** Its count before the add (0 when this add opened it). */
  before: number;
  /** An ended window this add replaced: whoever replaces it owns its roll-up. */
  replaced?: AlertWindow;
  /** This add set the window's alert mark: it is the one add that alerts. */
  marked: boolean;
}

/** Atomic operations of the memory stage; every method may throw (the stage then fails open). */
export interface StateStore extends KeyValueStore {
  readonly kind: 'memory' | 'dynamodb' | 'redis';
  /** Records an event key for `ttlMs`; true when it was not recorded already (SET NX). */
  claimEvent(key: string, ttlMs: number, now: number): Promise<boolean>;
  /** Forgets a claim (its alert could not be delivered: the platform's retry must alert again). */
  releaseEvent(key: string): Promise<void>;
  /** `applyWindowAdd` on the stored window of `key`, atomically. `scope` groups windows for `listWindows`. */
  addToWindow(scope: string, key: string, add: WindowAdd): Promise<WindowAddResult>;
  /** Windows of a scope (a function), for the flush. */
  listWindows(scope: string): Promise<Array<{ key: string; window: AlertWindow }>>;
  /** Deletes the window of `key` if it is still the one that started at `start`; returns it, or undefined when another invocation got there first. */
  closeWindow(scope: string, key: string, start: number): Promise<AlertWindow | undefined>;
  /**
   * `applyWithdraw` on the window of `key`, atomically: takes back an alerting add's own findings
   * (its alert could not be delivered), keeping what other invocations counted into the window.
   * False when the window is gone or no longer the one of `share.start` (closed or replaced).
   */
  withdrawFromWindow(scope: string, key: string, share: WindowShare): Promise<boolean>;
  /**
   * Puts a closed window whose roll-up could not be delivered back, under `rollUpKey(key, start)`, for
   * the next flush; lives `ttlMs` from `now`. Only the invocation that closed it calls this.
   */
  restoreWindow(scope: string, key: string, window: AlertWindow, ttlMs: number, now: number): Promise<void>;
  close(): Promise<void>;
}

/** What one add does to a window: the definition every store implements atomically. */
export function applyWindowAdd(current: AlertWindow | undefined, add: WindowAdd): WindowAddResult {
  if (current === undefined || add.now >= current.end) {
    const window: AlertWindow = {
      start: add.now,
      end: add.now + add.lengthMs,
      threshold: add.threshold,
      count: add.count,
      alerted: add.count >= add.threshold ? add.count : 0,
      ids: add.ids.slice(0, add.keepIds),
      sample: add.sample,
    };
    const marked = window.alerted > 0;
    return current === undefined ? { window, before: 0, marked } : { window, before: 0, replaced: current, marked };
  }
  const count = current.count + add.count;
  const room = Math.max(0, add.keepIds - current.ids.length);
  const marked = current.alerted === 0 && count >= current.threshold;
  const { withdrawn: _withdrawn, ...rest } = current;
  const window: AlertWindow = {
    ...(marked ? rest : current),
    count,
    alerted: marked ? count : current.alerted,
    ids: room > 0 ? [...current.ids, ...add.ids.slice(0, room)] : current.ids,
  };
  return { window, before: current.count, marked };
}

/**
 * What withdrawing an alerting add does: its count and ids come out, the alert mark is cleared and the
 * window marked `withdrawn`; a window nothing else was counted into is deleted (undefined). A window
 * that is no longer the one the add went to is returned unchanged.
 */
export function applyWithdraw(current: AlertWindow, share: WindowShare): AlertWindow | undefined {
  if (current.start !== share.start) return current;
  const count = current.count - share.count;
  if (count <= 0) return undefined;
  const own = new Set(share.ids);
  return { ...current, count, alerted: 0, withdrawn: true, ids: current.ids.filter((id) => !own.has(id)) };
}

/** Where a window whose roll-up could not be delivered waits for the next flush. */
export function rollUpKey(key: string, start: number): string {
  return key.includes('~') ? key : `${key}~${start}`;
}

/** The group's window key, for a key that may be a `rollUpKey` (roll-ups keep their dedup id). */
export function baseWindowKey(key: string): string {
  const at = key.indexOf('~');
  return at === -1 ? key : key.slice(0, at);
}
