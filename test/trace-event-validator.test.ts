/**
 * ajv's validator of the TraceEvent schema ships as standalone code generated at build time
 * (scripts/generate-trace-event-validator.mjs → shared/normalize/trace-event-validator.generated.js), so
 * the bundles carry no ajv. It must be exactly what ajv compiles from the current schema.
 */
import Ajv from 'ajv';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { InvalidEventError } from '../shared/errors';
import { traceEventSchema } from '../shared/normalize/trace-event';
import generated from '../shared/normalize/trace-event-validator.generated';
import { validateTraceEvent } from '../shared/normalize/validate-trace-event';
import { traceEvent } from './support/trace-events';

const ROOT = join(__dirname, '..');

const valid = traceEvent();

const invalid: [string, unknown][] = [
  ['a missing required member', { ...valid, id: undefined }],
  ['an empty id (minLength)', { ...valid, id: '' }],
  ['a time without milliseconds (pattern)', { ...valid, time: '2024-06-03T17:22:09Z' }],
  ['a cloud outside the enum', { ...valid, cloud: 'gcp' }],
  ['an unknown member (additionalProperties)', { ...valid, colour: 'red' }],
  ['a nested unknown member', { ...valid, actor: { type: 'IAMUser', shoeSize: 44 } }],
  ['mfa as a string', { ...valid, actor: { type: 'IAMUser', mfa: 'yes' } }],
  ['a one-character sourceIp (minLength in code points)', { ...valid, sourceIp: '\u{1F600}' }],
  ['an array', [valid]],
  ['null', null],
];

describe('the generated trace-event validator', () => {
  it('is up to date with the schema in shared/normalize/trace-event.ts', () => {
    const result = spawnSync(
      process.execPath,
      [join(ROOT, 'scripts', 'generate-trace-event-validator.mjs'), '--check'],
      {
        encoding: 'utf8',
      },
    );
    expect([result.status, result.stderr]).toEqual([0, '']);
  });

  it.each([['a valid event', valid] as [string, unknown], ...invalid])(
    'answers as ajv compiled at run time does, with the same errors: %s',
    (_name, event) => {
      const reference = new Ajv({ allErrors: false, strict: false }).compile(traceEventSchema);
      expect(generated(event)).toBe(reference(event));
      expect(generated.errors ?? null).toEqual(reference.errors ?? null);
    },
  );

  it.each(invalid)('makes validateTraceEvent reject %s with ajv’s error text', (_name, event) => {
    const ajv = new Ajv({ allErrors: false, strict: false });
    const reference = ajv.compile(traceEventSchema);
    reference(event);
    const extra = reference.errors?.[0]?.params['additionalProperty'];
    const text =
      ajv.errorsText(reference.errors, { dataVar: 'event' }) + (typeof extra === 'string' ? ` (${extra})` : '');
    expect(() => validateTraceEvent(event)).toThrow(InvalidEventError);
    expect(() => validateTraceEvent(event)).toThrow(`trace event does not match the schema: ${text}`);
  });

  it('accepts a valid event', () => {
    expect(() => validateTraceEvent(valid)).not.toThrow();
  });
});
