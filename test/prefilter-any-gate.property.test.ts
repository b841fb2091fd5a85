/**
 * An `any` need whose members mostly require one member (eventName) to be one of a few values is gated:
 * one lookup of the union of those values answers for all of them when it fails (skip-records.ts,
 * anyPlanOf). The gate must not change a single decision: checked here against the need's definition,
 * evaluated on the parsed record, for random needs and random records.
 */
import fc from 'fast-check';
import { scanRecordList } from '../shared/intake/decode-input';
import { allOf, anyOf, contains, fieldIn, fieldWhere, type Need } from '../shared/prefilter/need';
import { compilePrefilter } from '../shared/prefilter/skip-records';

const NAMES = ['A', 'B', 'C', 'D', 'é'] as const;
const CODES = ['X', 'Y', 'Z'] as const;

/** What the need says of a parsed record with no escapes in it (need.ts). */
function passes(need: Need, record: Record<string, unknown>, text: string): boolean {
  switch (need.type) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'field': {
      const value = Object.hasOwn(record, need.name) ? record[need.name] : undefined;
      if (value === undefined) return need.absent ?? false;
      if (typeof value === 'number') return need.numberTest === undefined || need.numberTest(value);
      if (typeof value !== 'string') return true;
      return (need.values?.has(value) ?? false) || (need.test?.(value) ?? false);
    }
    case 'contains':
      return need.texts.some((needle) => text.includes(needle));
    case 'all':
      return need.needs.every((inner) => passes(inner, record, text));
    case 'any':
      return need.needs.some((inner) => passes(inner, record, text));
  }
}

const nameSet = fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 });
const member: fc.Arbitrary<Need> = fc.oneof(
  nameSet.map((names) => fieldIn('eventName', names)),
  fc
    .tuple(nameSet, fc.constantFrom(...CODES))
    .map(([names, code]) => allOf([fieldIn('eventName', names), fieldIn('errorCode', [code])])),
  fc
    .tuple(nameSet, fc.constantFrom(...CODES))
    .map(([names, code]) => allOf([fieldIn('errorCode', [code]), fieldIn('eventName', names)])),
  fc
    .constantFrom(...CODES)
    .map((code) => fieldWhere('errorCode', `errorCode starts ${code}`, (value) => value.startsWith(code))),
  fc.constant(fieldWhere('eventName', 'eventName ends A', (value) => value.endsWith('A'))),
  fc.constant(contains('Root')),
);

const eventName = fc.oneof(
  fc.constantFrom<unknown>(...NAMES, 'AA', 'Root', 7, null, ['A'], { n: 'A' }),
  fc.constant(undefined),
);
const record = fc.record({
  eventName,
  errorCode: fc.oneof(fc.constantFrom<unknown>(...CODES, 'XX', 'W'), fc.constant(undefined)),
  userName: fc.constantFrom('alice', 'Root'),
});

describe('a gated any need decides as the need says', () => {
  it('for random needs and records, eventName absent, a number or not a string included', () => {
    fc.assert(
      fc.property(
        fc.array(member, { minLength: 2, maxLength: 7 }),
        fc.array(record, { minLength: 1, maxLength: 8 }),
        (members, shapes) => {
          const need = anyOf(members);
          const prefilter = compilePrefilter({ cloudtrail: need });
          const records: Record<string, unknown>[] = shapes.map((shape, i) => ({
            eventVersion: '1.08',
            eventID: `3038ebd2-c98a-4c65-9b6e-e2250629${String(2300 + i)}`,
            eventTime: '2026-11-02T10:00:00Z',
            eventSource: 'iam.amazonaws.com',
            ...Object.fromEntries(Object.entries(shape).filter(([, value]) => value !== undefined)),
          }));
          const text = JSON.stringify({ Records: records });
          if (!prefilter) return need.type === 'always';
          const list = scanRecordList(Buffer.from(text, 'utf8'), 'x', prefilter.keys.Records ?? []);
          const skim = list?.skim;
          if (!skim) return false;
          const decide = prefilter.forList('Records', skim);
          return records.every((parsed, i) => {
            const skipped = (decide?.(i) ?? -1) >= 0;
            const matters = passes(need, parsed, JSON.stringify(parsed));
            // Only a record the normalizer takes (an eventName string starting with visible ASCII, among other things) may be skipped.
            const takes = typeof parsed.eventName === 'string' && /^[!-~]/.test(parsed.eventName);
            return takes ? skipped === !matters : !skipped;
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
