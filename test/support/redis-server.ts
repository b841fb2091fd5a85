import type { StateStore } from '../../shared/memory/state-store';

/** Placeholder until the Redis store exists. */
export async function redisStoreForTests(): Promise<{ store: StateStore; stop(): Promise<void> } | undefined> {
  return undefined;
}
