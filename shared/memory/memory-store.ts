/**
 * The in-process store: state lives as long as the process (replay, the demo, and a deployed function's
 * warm instance when no STATE_STORE is set). Every operation is synchronous inside, so it is atomic.
 */
import { copyJsonData, NOT_PLAIN } from '../json-data-copy';
import {
  type AlertWindow,
  applyWindowAdd,
  applyWithdraw,
  rollUpKey,
  type StateStore,
  type WindowAdd,
  type WindowAddResult,
} from './state-store';

/**
 * The stores createMemoryStore made, exactly those objects (not a copy or a wrapper): their operations
 * run in this process and settle without waiting on anything, so the stage sets them no timeout.
 */
const inProcessStores = new WeakSet<StateStore>();

export function isInProcessStore(store: StateStore): boolean {
  return inProcessStores.has(store);
}

export function createMemoryStore(clock: () => number = Date.now): StateStore {
  const events = new Map<string, number>();
  const windows = new Map<string, { scope: string; window: AlertWindow; expiresAt: number }>();
  const records = new Map<string, { value: Record<string, unknown>; expiresAt: number }>();
  // Callers never share an object with the store. Windows and records are plain data, which a direct copy
  // takes several times faster than structuredClone; anything else is cloned as before.
  const copy = <T>(value: T): T => {
    const copied = copyJsonData(value);
    return copied === NOT_PLAIN ? structuredClone(value) : (copied as T);
  };

  const store: StateStore = {
    kind: 'memory',
    async claimEvent(key, ttlMs, now) {
      // A long-lived warm instance must not grow without bound: drop expired claims now and then.
      if (events.size >= 100_000) for (const [id, until] of events) if (until <= now) events.delete(id);
      const expiresAt = events.get(key);
      if (expiresAt !== undefined && expiresAt > now) return false;
      events.set(key, now + ttlMs);
      return true;
    },
    async releaseEvent(key) {
      events.delete(key);
    },
    async addToWindow(scope: string, key: string, add: WindowAdd): Promise<WindowAddResult> {
      const stored = windows.get(`${scope}\u0000${key}`);
      const result = applyWindowAdd(stored && stored.expiresAt > add.now ? stored.window : undefined, add);
      windows.set(`${scope}\u0000${key}`, { scope, window: result.window, expiresAt: result.window.end + add.ttlMs });
      return copy(result);
    },
    async listWindows(scope) {
      const now = clock();
      const found: Array<{ key: string; window: AlertWindow }> = [];
      for (const [id, stored] of windows) {
        if (stored.scope !== scope) continue;
        if (stored.expiresAt <= now) windows.delete(id);
        else found.push({ key: id.slice(scope.length + 1), window: copy(stored.window) });
      }
      return found;
    },
    async closeWindow(scope, key, start) {
      const id = `${scope}\u0000${key}`;
      const stored = windows.get(id);
      if (!stored || stored.window.start !== start) return undefined;
      windows.delete(id);
      return stored.window;
    },
    async withdrawFromWindow(scope, key, share) {
      const id = `${scope}\u0000${key}`;
      const stored = windows.get(id);
      if (!stored || stored.window.start !== share.start) return false;
      const window = applyWithdraw(stored.window, share);
      if (window) windows.set(id, { ...stored, window });
      else windows.delete(id);
      return true;
    },
    async restoreWindow(scope, key, window, ttlMs, now) {
      const id = `${scope}\u0000${rollUpKey(key, window.start)}`;
      if (!windows.has(id)) windows.set(id, { scope, window: copy(window), expiresAt: now + ttlMs });
    },
    async getRecord(key) {
      const stored = records.get(key);
      if (!stored || stored.expiresAt <= clock()) return undefined;
      return copy(stored.value);
    },
    async putRecord(key, value, ttlSeconds) {
      records.set(key, { value: copy(value), expiresAt: clock() + ttlSeconds * 1000 });
    },
    async listRecords(prefix) {
      const now = clock();
      return [...records]
        .filter(([key, stored]) => key.startsWith(prefix) && stored.expiresAt > now)
        .map(([key, stored]) => ({ key, value: copy(stored.value) }));
    },
    async close() {},
  };
  inProcessStores.add(store);
  return store;
}
