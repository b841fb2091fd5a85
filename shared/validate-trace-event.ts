import Ajv from 'ajv';
import { InvalidEventError } from './errors';
import { type TraceEvent, traceEventSchema } from './trace-event';

// Compiled once per cold start: compiling costs milliseconds, validating a record microseconds.
const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile<TraceEvent>(traceEventSchema);

/** Throws InvalidEventError (with ajv's error text) unless `event` matches the TraceEvent schema. */
export function validateTraceEvent(event: unknown): asserts event is TraceEvent {
  if (validate(event)) return;
  const extra = validate.errors?.[0]?.params['additionalProperty'];
  const text = ajv.errorsText(validate.errors, { dataVar: 'event' }) + (typeof extra === 'string' ? ` (${extra})` : '');
  const id = typeof event === 'object' && event !== null && Object.hasOwn(event, 'id') ? (event as { id: unknown }).id : undefined;
  throw new InvalidEventError(`trace event does not match the schema: ${text}`, undefined, typeof id === 'string' ? id : undefined);
}
