import { InvalidEventError } from '../errors';
import type { RecordKind } from '../intake/intake-item';
import type { TraceEvent } from './trace-event';
import { deliveryIdOf } from './delivery-id';
import { normalizeAwsConfig } from './normalize-aws-config';
import { normalizeCloudTrail } from './normalize-cloudtrail';
import { normalizeCts } from './normalize-cts';
import { normalizeCloudEyeConfig, normalizeHuaweiConfig } from './normalize-huawei-config';

export { type EventVersion, normalizeCloudTrail, parseEventVersion } from './normalize-cloudtrail';
export { normalizeCts } from './normalize-cts';
export {
  COMPLIANCE_STATES,
  normalizeAwsConfig,
  readPutEvaluations,
  toComplianceState,
  UNKNOWN_RULE,
} from './normalize-aws-config';
export { normalizeCloudEyeConfig, normalizeHuaweiConfig } from './normalize-huawei-config';
export { normalizeTime, toEpochMillis } from './normalize-time';
export { deliveryIdOf, noteDeliveryId } from './delivery-id';
export * from './read-fields';

/** Normalizes one provider record of the given kind. Throws InvalidEventError for records it cannot use. */
export function normalizeRecord(kind: RecordKind, record: unknown): TraceEvent {
  const event = normalizeByKind(kind, record);
  const deliveryId = deliveryIdOf(record);
  if (deliveryId !== undefined) event.deliveryId = deliveryId;
  return event;
}

function normalizeByKind(kind: RecordKind, record: unknown): TraceEvent {
  switch (kind) {
    case 'cloudtrail':
      return normalizeCloudTrail(record);
    case 'cts':
      return normalizeCts(record);
    case 'aws-config':
      return normalizeAwsConfig(record);
    case 'huawei-config':
      return normalizeHuaweiConfig(record);
    case 'cloud-eye':
      return normalizeCloudEyeConfig(record);
    default:
      return assertNever(kind);
  }
}

function assertNever(kind: never): never {
  throw new InvalidEventError(`unknown record kind ${JSON.stringify(kind)}`);
}
