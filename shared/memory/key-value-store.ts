/**
 * A small generic record API every state store offers, for stages that need to remember something
 * across invocations that is not an alert window (e.g. the time a trail was last seen). Keys are
 * opaque strings chosen by the caller (prefix them with your stage's name); values are JSON objects.
 */
export interface KeyValueStore {
  getRecord(key: string): Promise<Record<string, unknown> | undefined>;
  putRecord(key: string, value: Record<string, unknown>, ttlSeconds: number): Promise<void>;
  listRecords(prefix: string): Promise<Array<{ key: string; value: Record<string, unknown> }>>;
}
