import { InvalidEventError } from '../errors';
import type { RecordKind } from '../intake/intake-item';
import type { TraceEvent } from '../trace-event';
import { normalizeCloudTrail } from './normalize-cloudtrail';
import { normalizeCts } from './normalize-cts';

export { type EventVersion, normalizeCloudTrail, parseEventVersion } from './normalize-cloudtrail';
export { normalizeCts } from './normalize-cts';
export { normalizeTime, toEpochMillis } from './normalize-time';
export * from './read-fields';

/** Normalizes one provider record of the given kind. Throws InvalidEventError for records it cannot use. */
export function normalizeRecord(kind: RecordKind, record: unknown): TraceEvent {
  switch (kind) {
    case 'cloudtrail':
      return normalizeCloudTrail(record);
    case 'cts':
      return normalizeCts(record);
    case 'aws-config':
    case 'huawei-config':
    case 'cloud-eye':
      throw new InvalidEventError(`normalizing ${kind} records is not supported yet`);
    default:
      return assertNever(kind);
  }
}

function assertNever(kind: never): never {
  throw new InvalidEventError(`unknown record kind ${JSON.stringify(kind)}`);
}
