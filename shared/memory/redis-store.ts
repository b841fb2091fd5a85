import type { StateStore } from './state-store';

export async function createRedisStore(_options: {
  url: string;
  password?: string;
  timeoutMs: number;
}): Promise<StateStore> {
  throw new Error('the Redis store is not built yet');
}
