import type { ValidateFunction } from 'ajv';
import { InvalidEventError } from '../errors';
import { type TraceEvent, traceEventSchema } from './trace-event';

/**
 * Two validators of the one schema in trace-event.ts:
 * - `isTraceEvent`, compiled here into plain closures from the small JSON Schema subset the schema uses,
 *   in microseconds at cold start and with ajv's exact semantics for that subset. It runs on every event.
 * - ajv's validator, run only when an event fails (or if the schema ever uses a keyword the subset lacks),
 *   for its error text. It is ajv's code for this schema generated at build time
 *   (trace-event-validator.generated.js, scripts/generate-trace-event-validator.mjs), so the bundles carry
 *   neither ajv's compiler nor its ~127 KB that every cold start used to parse.
 * An event is rejected only when ajv rejects it, so the subset compiler can never make the check stricter.
 */
type Check = (value: unknown) => boolean;

/** Keywords the subset compiler understands; a schema with any other keyword is left to ajv entirely. */
const KNOWN_KEYWORDS = new Set([
  '$id',
  'type',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'minLength',
  'pattern',
]);

const isTraceEvent: Check | undefined = compileSchema(traceEventSchema);

let ajvValidate: ValidateFunction<TraceEvent> | undefined;

function compiledAjv(): ValidateFunction<TraceEvent> {
  // Loaded on first use: a cold start never runs it unless an event is bad.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ajvValidate ??= require('./trace-event-validator.generated') as ValidateFunction<TraceEvent>;
  return ajvValidate;
}

/** ajv's `errorsText(errors, { dataVar: 'event' })`, as its core.js writes it. */
function errorsText(errors: ValidateFunction['errors']): string {
  if (!errors || errors.length === 0) return 'No errors';
  return errors.map((e) => `event${e.instancePath} ${e.message}`).reduce((text, message) => `${text}, ${message}`);
}

/** Throws InvalidEventError (with ajv's error text) unless `event` matches the TraceEvent schema. */
export function validateTraceEvent(event: unknown): asserts event is TraceEvent {
  if (isTraceEvent?.(event)) return;
  const validate = compiledAjv();
  if (validate(event)) return;
  const extra = validate.errors?.[0]?.params['additionalProperty'];
  const text = errorsText(validate.errors) + (typeof extra === 'string' ? ` (${extra})` : '');
  const id =
    typeof event === 'object' && event !== null && Object.hasOwn(event, 'id')
      ? (event as { id: unknown }).id
      : undefined;
  throw new InvalidEventError(
    `trace event does not match the schema: ${text}`,
    undefined,
    typeof id === 'string' ? id : undefined,
  );
}

// ---- the subset compiler -------------------------------------------------------------------------------

/**
 * A boolean check with ajv's (default options) semantics for: `type` object/string/boolean, `enum` of
 * strings, `required`, `properties`, `additionalProperties: false`, `minLength` (in code points) and
 * `pattern` (a `u` regex). Like ajv's generated code, `required` and `properties` read through the
 * prototype chain (`data.x === undefined`) and `additionalProperties` walks `for…in`. Undefined when the
 * schema uses anything else.
 *
 * Like ajv it generates one straight-line function (named property reads are what make it fast); the
 * source is built only from the schema in trace-event.ts, with every name and literal JSON-quoted.
 */
export function compileSchema(schema: unknown): Check | undefined {
  const context: unknown[] = [];
  let variables = 0;
  const use = (value: unknown): string => `ctx[${context.push(value) - 1}]`;

  function emit(node: unknown, v: string): string | undefined {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    const s = node as Record<string, unknown>;
    for (const keyword of Object.keys(s)) if (!KNOWN_KEYWORDS.has(keyword)) return undefined;
    let code = '';
    if (s.type !== undefined) {
      if (s.type === 'object')
        code += `if (typeof ${v} !== "object" || ${v} === null || Array.isArray(${v})) return false;`;
      else if (s.type === 'string' || s.type === 'boolean')
        code += `if (typeof ${v} !== ${JSON.stringify(s.type)}) return false;`;
      else return undefined;
    }
    if (s.enum !== undefined) {
      if (!Array.isArray(s.enum) || s.enum.length === 0 || !s.enum.every((item) => typeof item === 'string'))
        return undefined;
      code += `if (!(${s.enum.map((item) => `${v} === ${JSON.stringify(item)}`).join(' || ')})) return false;`;
    }
    if (s.minLength !== undefined) {
      if (typeof s.minLength !== 'number' || !Number.isInteger(s.minLength) || s.minLength < 0) return undefined;
      code += `if (typeof ${v} === "string" && !${use(codePointsAtLeast)}(${v}, ${s.minLength})) return false;`;
    }
    if (s.pattern !== undefined) {
      if (typeof s.pattern !== 'string') return undefined;
      code += `if (typeof ${v} === "string" && !${use(new RegExp(s.pattern, 'u'))}.test(${v})) return false;`;
    }
    if (s.required !== undefined || s.properties !== undefined || s.additionalProperties !== undefined) {
      // ajv applies these to any object; with our schema they always come with `type: object`.
      if (s.type !== 'object') return undefined;
      const required = s.required ?? [];
      if (!Array.isArray(required) || !required.every((name) => typeof name === 'string')) return undefined;
      const properties = s.properties ?? {};
      if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return undefined;
      if (s.additionalProperties !== undefined && s.additionalProperties !== false) return undefined;
      const names = Object.keys(properties);
      if (names.length > 30 || required.some((name) => !names.includes(name as string))) return undefined;
      // One for…in pass reads the members (V8 reads `d[k]` of a for…in key by its enum-cache index, far
      // faster than a named read per declared member on objects of many shapes). ajv's semantics stay:
      // its additionalProperties walks for…in too, and a declared member the walk did not list (missing,
      // or not enumerable) is then read the way ajv reads it, `d.name`.
      const seen = `m${variables++}`;
      const key = `k${variables++}`;
      let cases = '';
      let unseen = '';
      names.forEach((name, bit) => {
        const member = `d${++variables}`;
        const inner = emit((properties as Record<string, unknown>)[name], member);
        if (inner === undefined) throw new SubsetError();
        const isRequired = (required as string[]).includes(name);
        const test = isRequired
          ? `if (${member} === undefined) return false; ${inner}`
          : inner === ''
            ? ''
            : `if (${member} !== undefined) { ${inner} }`;
        cases += `case ${JSON.stringify(name)}: { const ${member} = ${v}[${key}]; ${seen} |= ${1 << bit}; ${test} break; }`;
        if (test !== '')
          unseen += `if ((${seen} & ${1 << bit}) === 0) { const ${member} = ${v}[${JSON.stringify(name)}]; ${test} }`;
      });
      const otherwise = s.additionalProperties === false ? 'default: return false;' : '';
      code += `let ${seen} = 0; for (const ${key} in ${v}) { switch (${key}) { ${cases} ${otherwise} } }`;
      if (unseen !== '') code += `if (${seen} !== ${2 ** names.length - 1}) { ${unseen} }`;
    }
    return code;
  }

  let body: string | undefined;
  try {
    body = emit(schema, 'd0');
  } catch (error) {
    if (error instanceof SubsetError) return undefined;
    throw error;
  }
  if (body === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('ctx', `"use strict"; return function isTraceEvent(d0) { ${body} return true; };`)(
    context,
  ) as Check;
}

/** A member schema outside the subset, found while generating the parent's code. */
class SubsetError extends Error {}

/** ajv's minLength counts code points (a surrogate pair is one character), as its ucs2length does. */
function codePointsAtLeast(text: string, min: number): boolean {
  if (text.length < min) return false;
  if (text.length >= 2 * min) return true;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count >= min;
}
