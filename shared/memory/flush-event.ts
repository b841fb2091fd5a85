/**
 * Scheduled invocations that only flush the memory stage (roll-ups of ended windows), recognised
 * before intake:
 * - AWS: an EventBridge scheduled rule's event, `source: "aws.events"`, `detail-type: "Scheduled Event"`.
 * - Huawei FunctionGraph (also OTC, Flexible Engine): a timer trigger's event, documented as
 *   `{"version": "v1.0", "time": "2018-06-01T08:30:00+08:00", "trigger_type": "TIMER",
 *   "trigger_name": "Timer_001", "user_event": "User Event"}` (FunctionGraph developer guide, "Supported
 *   Event Sources", timer example event).
 */
function field(value: object, key: string): unknown {
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

export function isFlushEvent(event: unknown): boolean {
  if (!event || typeof event !== 'object' || Array.isArray(event)) return false;
  if (field(event, 'source') === 'aws.events' && field(event, 'detail-type') === 'Scheduled Event') return true;
  const trigger = field(event, 'trigger_type');
  return (
    typeof trigger === 'string' && trigger.toUpperCase() === 'TIMER' && typeof field(event, 'trigger_name') === 'string'
  );
}
