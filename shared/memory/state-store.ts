/**
 * The memory stage's state, behind one small interface with atomic operations. The in-process,
 * DynamoDB and Redis stores implement it; `applyWindowAdd` defines what one add does, and every store
 * does exactly that atomically (the memory store calls it, Redis runs it as a Lua script, DynamoDB as
 * conditional writes), so concurrent invocations agree on which one alerts and count every event once.
 */
import type { Severity } from '../alert/alert';
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
    return current === undefined ? { window, before: 0 } : { window, before: 0, replaced: current };
  }
  const count = current.count + add.count;
  const room = Math.max(0, add.keepIds - current.ids.length);
  const window: AlertWindow = {
    ...current,
    count,
    alerted: current.alerted === 0 && count >= current.threshold ? count : current.alerted,
    ids: room > 0 ? [...current.ids, ...add.ids.slice(0, room)] : current.ids,
  };
  return { window, before: current.count };
}
