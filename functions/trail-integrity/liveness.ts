/**
 * Liveness: when each trail stream (log files of one bucket / prefix / account / region, digests of one
 * trail) was last seen, and, on the scheduled flush, an alert when one has gone quiet for longer than
 * DELIVERY_GAP (once), and another when it delivers again.
 *
 * The decisions are pure functions of (stored record, now); the store is the alert-memory stage's
 * (KeyValueStore below, structurally the interface every state store implements).
 */
import { integrityEvent, type IntegrityFacts, type TrailIntegrityConfig } from './trail-integrity';
import type { TraceEvent } from '../../shared/normalize/trace-event';
import type { FileKind, KeyFacts } from './digest-format';
import { own } from '../../shared/normalize/read-fields';
import type { MemoryStage } from '../../shared/memory/memory-stage';

export interface KeyValueStore {
  getRecord(key: string): Promise<Record<string, unknown> | undefined>;
  putRecord(key: string, value: Record<string, unknown>, ttlSeconds: number): Promise<void>;
  listRecords(prefix: string): Promise<Array<{ key: string; value: Record<string, unknown> }>>;
}

export const LIVENESS_PREFIX = 'trail-liveness/';

/** Streams that stopped for good drop out of the store after this long (one alert was sent). */
const TTL_SECONDS = 30 * 86_400;

export interface LivenessRecord {
  kind: FileKind;
  /** Human description of the stream: `log files s3://bucket/prefix/AWSLogs/1111/CloudTrail/eu-west-1`. */
  stream: string;
  account?: string;
  region: string;
  trail?: string;
  lastSeen: string;
  /** Set when the gap alert went out; cleared when deliveries resume. */
  gapAlertedAt?: string;
}

/** The store key and record for one arrival of a trail file or digest. */
export function livenessKey(bucket: string, facts: KeyFacts): { key: string; stream: string } {
  const folder = facts.kind === 'digest' ? (facts.format === 'cts' ? 'Digest' : 'CloudTrail-Digest') : 'CloudTrail';
  const where =
    facts.format === 'cloudtrail'
      ? `s3://${bucket}/${facts.prefix}AWSLogs/${facts.account}/${folder}/${facts.region}`
      : `obs://${bucket}/${facts.prefix}CloudTraces/${facts.region}${facts.trail ? ` tracker ${facts.trail}` : ''}`;
  const stream =
    facts.kind === 'digest'
      ? `digests ${where}${facts.trail && facts.format === 'cloudtrail' ? ` trail ${facts.trail}` : ''}`
      : `log files ${where}`;
  return { key: `${LIVENESS_PREFIX}${facts.kind}/${stream}`, stream };
}

function asLiveness(value: Record<string, unknown> | undefined): LivenessRecord | undefined {
  if (!value || typeof own(value, 'lastSeen') !== 'string' || typeof own(value, 'stream') !== 'string')
    return undefined;
  return value as unknown as LivenessRecord;
}

/** Records that a file of this stream arrived now (keeping an outstanding gap alert, for the resume alert). */
export async function recordArrival(store: KeyValueStore, bucket: string, facts: KeyFacts, now: Date): Promise<void> {
  const { key, stream } = livenessKey(bucket, facts);
  const existing = asLiveness(await store.getRecord(key));
  const record: LivenessRecord = { kind: facts.kind, stream, region: facts.region, lastSeen: now.toISOString() };
  if (facts.account) record.account = facts.account;
  if (facts.trail) record.trail = facts.trail;
  if (existing?.gapAlertedAt) record.gapAlertedAt = existing.gapAlertedAt;
  // Two arrivals racing: the later lastSeen wins either way.
  if (existing && existing.lastSeen > record.lastSeen) record.lastSeen = existing.lastSeen;
  await store.putRecord(key, { ...record }, TTL_SECONDS);
}

export type LivenessDecision = { change: 'gap' | 'resumed'; next: LivenessRecord } | undefined;

/** Pure: what the flush does with one stream's record at `now`. */
export function decideLiveness(record: LivenessRecord, now: Date, config: TrailIntegrityConfig): LivenessDecision {
  const limit = record.kind === 'digest' ? config.digestDeliveryGapMs : config.logDeliveryGapMs;
  const quietFor = now.getTime() - Date.parse(record.lastSeen);
  if (record.gapAlertedAt) {
    if (record.lastSeen > record.gapAlertedAt) {
      const { gapAlertedAt: _cleared, ...next } = record;
      return { change: 'resumed', next };
    }
    return undefined;
  }
  if (quietFor > limit) return { change: 'gap', next: { ...record, gapAlertedAt: now.toISOString() } };
  return undefined;
}

function minutes(ms: number): string {
  return ms >= 3_600_000 ? `${Math.round((ms / 3_600_000) * 10) / 10} h` : `${Math.round(ms / 60_000)} min`;
}

/** The scheduled flush: gap and resume events for every stream whose state changes, stored as changed. */
export async function flushLiveness(
  store: KeyValueStore,
  config: TrailIntegrityConfig,
  now: Date,
): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  for (const { key, value } of await store.listRecords(LIVENESS_PREFIX)) {
    const stored = asLiveness(value);
    if (!stored) continue;
    const decision = decideLiveness(stored, now, config);
    if (!decision) continue;
    // Re-read right before writing: an arrival since the list must not be overwritten with an older lastSeen.
    const fresh = asLiveness(await store.getRecord(key)) ?? stored;
    const confirmed = decideLiveness(fresh, now, config);
    if (!confirmed) continue;
    await store.putRecord(key, { ...confirmed.next }, TTL_SECONDS);
    const limit = fresh.kind === 'digest' ? config.digestDeliveryGapMs : config.logDeliveryGapMs;
    const facts: IntegrityFacts = {
      kind: confirmed.change,
      subject: fresh.stream,
      fileKind: fresh.kind,
      reason:
        confirmed.change === 'gap'
          ? `nothing delivered for ${minutes(now.getTime() - Date.parse(fresh.lastSeen))} (DELIVERY_GAP for ${fresh.kind === 'digest' ? 'digests' : 'log files'}: ${minutes(limit)})`
          : `delivering again since the gap alert of ${fresh.gapAlertedAt}`,
      lastSeen: fresh.lastSeen,
      region: fresh.region,
      ...(fresh.account ? { account: fresh.account } : {}),
      ...(fresh.trail ? { trail: fresh.trail } : {}),
    };
    events.push(integrityEvent(facts, now.toISOString(), `${confirmed.change}:${now.toISOString()}:${fresh.stream}`));
  }
  return events;
}

/** An in-memory store (tests, the CLI); expired records vanish like a TTL store's. */
export function createMemoryStore(clock: () => Date = () => new Date()): KeyValueStore & {
  records: Map<string, { value: Record<string, unknown>; expires: number }>;
} {
  const records = new Map<string, { value: Record<string, unknown>; expires: number }>();
  const live = (key: string) => {
    const entry = records.get(key);
    if (entry && entry.expires <= clock().getTime()) records.delete(key);
    return records.get(key);
  };
  return {
    records,
    async getRecord(key) {
      const entry = live(key);
      return entry ? structuredClone(entry.value) : undefined;
    },
    async putRecord(key, value, ttlSeconds) {
      records.set(key, { value: structuredClone(value), expires: clock().getTime() + ttlSeconds * 1000 });
    },
    async listRecords(prefix) {
      return [...records.keys()]
        .filter((key) => key.startsWith(prefix) && live(key))
        .sort()
        .map((key) => ({
          key,
          value: structuredClone((records.get(key) as { value: Record<string, unknown> }).value),
        }));
    },
  };
}

/** EventBridge's scheduled event, or a FunctionGraph timer trigger: the flush invocation. */
export function isScheduledEvent(event: unknown): boolean {
  if (own(event, 'source') === 'aws.events' && own(event, 'detail-type') === 'Scheduled Event') return true;
  return own(event, 'trigger_type') === 'TIMER';
}

/** The memory stage's store as the record API liveness uses; the store's client loads on first use. */
export function memoryStageRecords(memory: MemoryStage): KeyValueStore {
  return {
    getRecord: async (key) => (await memory.store()).getRecord(key),
    putRecord: async (key, value, ttlSeconds) => (await memory.store()).putRecord(key, value, ttlSeconds),
    listRecords: async (prefix) => (await memory.store()).listRecords(prefix),
  };
}
