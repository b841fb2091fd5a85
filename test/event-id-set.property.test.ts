import fc from 'fast-check';
import { EventIdList, EventIdSet } from '../shared/event-id-set';

/** Ids as they come, and the near misses that must not be taken for canonical UUIDs. */
const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const uuid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((parts) => parts.join('-'));
/** A small pool, so the same id comes again often. */
const pooledUuid = fc.constantFrom(
  '3038ebd2-c98a-4c65-9b6e-e22506292313',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '00000000-0000-0000-0000-000000000001',
  '10000000-0000-0000-0000-000000000000',
);
const nearMiss = fc.oneof(
  uuid.map((id) => id.toUpperCase()),
  uuid.map((id) => `${id.slice(0, 8)}_${id.slice(9)}`),
  uuid.map((id) => `${id.slice(0, 35)}g`),
  uuid.map((id) => `${id}0`),
  uuid.map((id) => id.replace(/-/g, '')),
  uuid.map((id) => `${id.slice(0, 35)}\u00e9`),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 36, maxLength: 36 }),
);
const anyId = fc.oneof(
  uuid,
  pooledUuid,
  nearMiss,
  pooledUuid.map((id) => id.toUpperCase()),
);

describe('the event-id set answers exactly as a Set of the id strings', () => {
  it('for any sequence of ids, added as strings or as bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyId, fc.boolean()), { maxLength: 300 }), (steps) => {
        const ids = new EventIdSet();
        const reference = new Set<string>();
        for (const [id, asBytes] of steps) {
          const before = reference.size;
          const isNew = reference.add(id).size !== before;
          const bytes = Buffer.from(`{"eventID":"${id}"}`, 'utf8');
          const answer = asBytes ? ids.addBytes(bytes, 12, bytes.length - 2) : ids.add(id);
          if (answer !== isNew) return false;
          if (ids.size !== reference.size) return false;
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it('keeps every id across many doublings of its table, sequential ids included', () => {
    const ids = new EventIdSet();
    const count = 1 << 17;
    const text = (i: number) => `00000000-0000-0000-0000-${i.toString(16).padStart(12, '0')}`;
    let added = 0;
    for (let i = 0; i < count; i++) if (ids.add(text(i))) added += 1;
    expect(added).toBe(count);
    let again = 0;
    for (let i = 0; i < count; i += 7) {
      const bytes = Buffer.from(text(i), 'latin1');
      if (ids.addBytes(bytes, 0, bytes.length)) again += 1;
    }
    expect(again).toBe(0);
    expect(ids.add(text(count))).toBe(true);
    expect(ids.size).toBe(count + 1);
  });

  it('tells the all-zero UUID from an empty slot', () => {
    const ids = new EventIdSet();
    expect(ids.add('00000000-0000-0000-0000-000000000000')).toBe(true);
    expect(ids.add('00000000-0000-0000-0000-000000000000')).toBe(false);
    expect(ids.size).toBe(1);
  });

  it('reads an id from the middle of a buffer that views part of a larger one', () => {
    const whole = Buffer.from('xxxx"3038ebd2-c98a-4c65-9b6e-e22506292313"yyyy', 'latin1');
    const view = whole.subarray(4);
    const ids = new EventIdSet();
    expect(ids.add('3038ebd2-c98a-4c65-9b6e-e22506292313')).toBe(true);
    expect(ids.addBytes(view, 1, 37)).toBe(false);
    expect(ids.addBytes(view, 0, 38)).toBe(true);
  });

  it('gives the same answers for ids packed by another thread (EventIdList), in their order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyId, fc.boolean()), { maxLength: 2500 }), (steps) => {
        const list = new EventIdList();
        for (const [id, asBytes] of steps) {
          const bytes = Buffer.from(`"${id}"`, 'utf8');
          if (asBytes) list.pushBytes(bytes, 1, bytes.length - 1);
          else list.push(id);
        }
        const packed = structuredClone(list.take());
        const ids = new EventIdSet();
        const reference = new Set<string>();
        let word = 0;
        let text = 0;
        return steps.every(([id], k) => {
          const before = reference.size;
          const isNew = reference.add(id).size !== before;
          const answer =
            packed.canonical[k] === 1 ? ids.addWords(packed.words, (word += 4) - 4) : ids.add(packed.texts[text++]);
          return answer === isNew;
        });
      }),
      { numRuns: 100 },
    );
    expect(new EventIdList().take().canonical.length).toBe(0);
  });
});
