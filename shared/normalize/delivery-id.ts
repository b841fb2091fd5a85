/**
 * The id of the message that delivered a record (the SNS MessageId), handed from intake to normalize
 * without changing the record or the intake item's shape: intake notes it against the record object,
 * normalizeRecord reads it. A WeakMap keyed by the record object holds nothing beyond the record's life
 * and cannot leak between invocations (each parses its own objects).
 */
const deliveryIds = new WeakMap<object, string>();

export function noteDeliveryId(record: unknown, id: string | undefined): void {
  if (id === undefined || id === '' || typeof record !== 'object' || record === null) return;
  if (!deliveryIds.has(record)) deliveryIds.set(record, id.length > 256 ? id.slice(0, 256) : id);
}

export function deliveryIdOf(record: unknown): string | undefined {
  return typeof record === 'object' && record !== null ? deliveryIds.get(record) : undefined;
}
