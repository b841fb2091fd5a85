/**
 * copyJsonData (shared/json-data-copy.ts) stands in for the JSON round trip in the alert and memory paths:
 * wherever it answers, its answer is the round trip's, and it is a copy (nothing shared with its input).
 */
import fc from 'fast-check';
import { copyJsonData, NOT_PLAIN } from '../shared/json-data-copy';

const roundTrip = (value: unknown, mapString?: (text: string) => string): unknown =>
  JSON.parse(
    JSON.stringify(value, (_key, member: unknown) =>
      typeof member === 'string' && mapString ? mapString(member) : member,
    ) ?? 'null',
  );

/** Values as our events and windows hold them, and the odd ones JSON writes differently. */
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, undefined),
    fc.constant(new Date(0)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constant('__proto__')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('copyJsonData', () => {
  it('is the JSON round trip wherever it answers, and a copy', () => {
    const mapString = (text: string) => `<${text}>`;
    fc.assert(
      fc.property(anyValue, fc.boolean(), (value, mapping) => {
        if (value === undefined) return;
        const copied = copyJsonData(value, mapping ? mapString : undefined);
        if (copied === NOT_PLAIN) return;
        expect(copied).toStrictEqual(roundTrip(value, mapping ? mapString : undefined));
        if (typeof value === 'object' && value !== null) expect(copied).not.toBe(value);
      }),
      { numRuns: 3000 },
    );
  });

  it('answers for all plain JSON data but a `__proto__` member (which it leaves to the round trip)', () => {
    const hasProtoKey = (value: unknown): boolean =>
      typeof value === 'object' &&
      value !== null &&
      (Object.hasOwn(value, '__proto__') || Object.values(value).some(hasProtoKey));
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copied = copyJsonData(value);
        if (hasProtoKey(value)) expect(copied).toBe(NOT_PLAIN);
        else expect(copied).toStrictEqual(roundTrip(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves what JSON writes differently to the round trip', () => {
    for (const odd of [[undefined], new Array(3), { at: new Date(0) }, { n: Number.NaN }, { f: () => 1 }, new Map()])
      expect(copyJsonData(odd)).toBe(NOT_PLAIN);
    expect(copyJsonData(JSON.parse('{"__proto__": {"polluted": true}}'))).toBe(NOT_PLAIN);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 500; i++) deep = [deep];
    expect(copyJsonData(deep)).toBe(NOT_PLAIN);
  });

  it('leaves out undefined members and writes -0 as 0, as JSON does', () => {
    expect(copyJsonData({ a: undefined, b: -0, c: [{ d: 'x' }] })).toStrictEqual({ b: 0, c: [{ d: 'x' }] });
  });
});
