// The type of trace-event-validator.generated.js (ajv standalone code, scripts/generate-trace-event-validator.mjs).
import type { ValidateFunction } from 'ajv';
import type { TraceEvent } from './trace-event';

declare const validate: ValidateFunction<TraceEvent>;
export = validate;
