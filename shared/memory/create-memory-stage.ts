/**
 * One memory stage per function instance, made at cold start. The store's client is created (and its
 * code loaded) on first use; a failed connection is retried by the next invocation, never cached.
 */
import type { MemoryConfig } from './memory-config';
import type { MemoryStage } from './memory-stage';
import { createMemoryStore } from './memory-store';
import type { StateStore } from './state-store';

export interface StoreLoaders {
  dynamodb?: (table: string, config: MemoryConfig) => Promise<StateStore>;
  redis?: (url: string, config: MemoryConfig) => Promise<StateStore>;
}

export function createMemoryStage(config: MemoryConfig, loaders: StoreLoaders = {}): MemoryStage {
  let store: Promise<StateStore> | undefined;
  const open = (): Promise<StateStore> => {
    const location = config.store;
    switch (location.kind) {
      case 'memory':
        return Promise.resolve(createMemoryStore());
      case 'dynamodb':
        if (!loaders.dynamodb) return Promise.reject(new Error('the DynamoDB store is not available here'));
        return loaders.dynamodb(location.table, config);
      case 'redis':
        if (!loaders.redis) return Promise.reject(new Error('the Redis store is not available here'));
        return loaders.redis(location.url, config);
    }
  };
  return {
    config,
    store() {
      store ??= open().catch((error: unknown) => {
        store = undefined;
        throw error;
      });
      return store;
    },
  };
}

/** The cold-start lines about memory: where state lives when nothing was configured, expired suppressions. */
export function reportMemoryAtColdStart(
  log: { warn(object: object, message: string): void },
  config: MemoryConfig,
  now: number,
): void {
  if (!config.storeConfigured)
    log.warn(
      { store: 'memory' },
      'STATE_STORE not set: alerts are remembered across warm invocations of this instance only',
    );
  for (const entry of config.suppressions)
    if (entry.expiresAt !== undefined && now >= entry.expiresAt)
      log.warn(
        { suppression: entry.index, expires: entry.expires, reason: entry.reason },
        'suppression expired: it no longer applies',
      );
}
