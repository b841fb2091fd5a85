import fc from 'fast-check';
import {
  isCanonicalUtc,
  isCanonicalUtcBytes,
  isWholeEpochMillis,
  normalizeTime,
} from '../shared/normalize/normalize-time';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('normalizeTime', () => {
  test.each([
    ['CloudTrail eventTime with second precision', '2022-11-10T16:24:34Z', '2022-11-10T16:24:34.000Z'],
    ['ISO text with milliseconds', '2024-06-03T19:12:48.391Z', '2024-06-03T19:12:48.391Z'],
    [
      'ISO text with microseconds (truncated, never rounded up)',
      '2024-06-03T19:12:48.391999Z',
      '2024-06-03T19:12:48.391Z',
    ],
    ['ISO text with a +hh:mm offset', '2024-01-02T03:04:05+08:00', '2024-01-01T19:04:05.000Z'],
    ['ISO text with a -hhmm offset', '2024-01-02T03:04:05-0530', '2024-01-02T08:34:05.000Z'],
    ['ISO text with a lower-case t and z', '2024-01-02t03:04:05z', '2024-01-02T03:04:05.000Z'],
    ['ISO text without a zone, read as UTC', '2024-01-02T03:04:05', '2024-01-02T03:04:05.000Z'],
    ['ISO text with a space instead of T', '2024-01-02 03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['ISO text without seconds', '2024-01-02T03:04Z', '2024-01-02T03:04:00.000Z'],
    ['a leap day', '2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['a year below 100 (Date.UTC would make it 19xx)', '0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
    ['epoch milliseconds as a number (CTS time)', 1717401234567, '2024-06-03T07:53:54.567Z'],
    [
      'epoch milliseconds as text (CTS record_time in the community table)',
      '1717401234567',
      '2024-06-03T07:53:54.567Z',
    ],
    ['epoch seconds as in the OTC community sample', 1529996047, '2018-06-26T06:54:07.000Z'],
    ['epoch seconds as text', '1529996047', '2018-06-26T06:54:07.000Z'],
    ['fractional epoch seconds', 1529996047.25, '2018-06-26T06:54:07.250Z'],
    ['the epoch itself', 0, '1970-01-01T00:00:00.000Z'],
    ['the largest number read as seconds (just below 1e11)', 99_999_999_999, '5138-11-16T09:46:39.000Z'],
    ['the smallest number read as milliseconds (1e11)', 100_000_000_000, '1973-03-03T09:46:40.000Z'],
    ['the CTS console form with GMT+08:00', '2016/12/08 11:07:28 GMT+08:00', '2016-12-08T03:07:28.000Z'],
    ['the CTS console form with GMT+0800', '2016/12/08 11:07:28 GMT+0800', '2016-12-08T03:07:28.000Z'],
    ['the CTS console form with GMT+8', '2016/12/08 11:07:28 GMT+8', '2016-12-08T03:07:28.000Z'],
    [
      'the CTS console form with a negative offset and one-digit parts',
      '2016/12/8 1:07:28 GMT-03:00',
      '2016-12-08T04:07:28.000Z',
    ],
    ['the CTS console form in UTC', '2016/12/08 11:07:28 UTC', '2016-12-08T11:07:28.000Z'],
    ['the CTS console form without a zone, read as UTC', '2016/12/08 11:07:28', '2016-12-08T11:07:28.000Z'],
    ['text with surrounding blanks', '  2022-11-10T16:24:34Z\n', '2022-11-10T16:24:34.000Z'],
  ])('accepts %s', (_name, input, expected) => {
    expect(normalizeTime(input)).toBe(expected);
  });

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['empty text', ''],
    ['words', 'yesterday'],
    ['the text Invalid Date', 'Invalid Date'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a negative epoch', -1],
    ['a negative epoch as text', '-1529996047'],
    ['an epoch beyond year 9999', 1e17],
    ['February 30', '2024-02-30T00:00:00Z'],
    ['February 29 in a common year', '2023-02-29T00:00:00Z'],
    ['February 29 in 1900', '1900-02-29T00:00:00Z'],
    ['month 13', '2024-13-01T00:00:00Z'],
    ['hour 24', '2024-01-01T24:00:00Z'],
    ['minute 60', '2024-01-01T23:60:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['an offset minute of 60', '2024-01-01T00:00:00+01:60'],
    ['a five-digit year', '10000-01-01T00:00:00Z'],
    ['an offset pushing past 9999', '9999-12-31T23:59:59.999-01:00'],
    ['an offset pushing before year 0', '0000-01-01T00:30:00+01:00'],
    ['a date without a time', '2024-06-03'],
    ['the JavaScript Date.toString form', 'Tue Jan 09 2018 15:11:40 GMT+0800 (CST)'],
    ['mixed separators', '2024-06/03 10:00:00'],
    ['an object', { time: 1717401234567 }],
    ['an array', [1717401234567]],
    ['a boolean', true],
  ])('rejects %s', (_name, input) => {
    expect(normalizeTime(input)).toBeUndefined();
  });

  test('never returns an invalid date, whatever it is given', () => {
    const candidates = fc.oneof(
      fc.jsonValue(),
      fc.string(),
      fc.double(),
      fc.integer({ min: -1e16, max: 1e16 }),
      fc.stringMatching(
        /^\d{4}[-/]\d{1,2}[-/]\d{1,2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?( ?(Z|GMT|UTC)?[+-]\d{1,2}(:?\d{2})?)?$/,
      ),
    );
    fc.assert(
      fc.property(candidates, (value) => {
        const result = normalizeTime(value);
        if (result === undefined) return;
        expect(result).toMatch(ISO_MS);
        expect(new Date(result).toISOString()).toBe(result);
      }),
      { numRuns: 2000 },
    );
  });

  test('gives back any ISO timestamp it produced itself', () => {
    const dates = fc.date({
      min: new Date('0000-01-01T00:00:00.000Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    });
    fc.assert(fc.property(dates, (date) => expect(normalizeTime(date.toISOString())).toBe(date.toISOString())));
  });

  test('reads numbers from 1e11 up as epoch milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1e11, max: 253_402_300_799_999 }), (ms) => {
        expect(normalizeTime(ms)).toBe(new Date(ms).toISOString());
        expect(normalizeTime(String(ms))).toBe(new Date(ms).toISOString());
      }),
    );
  });
});

describe('isWholeEpochMillis', () => {
  const SCHEMA_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  it('holds only of numbers normalizeTime turns into a schema time', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 99_999_999_990, max: 100_000_000_010 }),
          fc.integer({ min: 253_402_300_799_990, max: 253_402_300_800_010 }),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          fc.double(),
        ),
        (n) => {
          if (isWholeEpochMillis(n)) expect(normalizeTime(n)).toMatch(SCHEMA_TIME);
        },
      ),
      { numRuns: 2000 },
    );
    expect([1e11, 1717435329123, 253_402_300_799_999].map(isWholeEpochMillis)).toEqual([true, true, true]);
    expect([1e11 - 1, 1717435329123.5, 253_402_300_800_000, -1].map(isWholeEpochMillis)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('isCanonicalUtc', () => {
  it('holds only of texts normalizeTime turns into a schema time (the prefilter skips such records unparsed)', () => {
    const near = fc.stringMatching(/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,4})?[Zz]?$/);
    fc.assert(
      fc.property(fc.oneof(near, fc.string({ maxLength: 26 })), (text) => {
        // The instant Date reads from the same ISO text, not only the shape of the answer.
        if (isCanonicalUtc(text)) expect(normalizeTime(text)).toBe(new Date(text).toISOString());
      }),
      { numRuns: 5000 },
    );
    expect(isCanonicalUtc('2024-02-30T00:00:00Z')).toBe(false);
    expect(isCanonicalUtc('2024-02-29T23:59:59.999Z')).toBe(true);
  });

  it('read from UTF-8 bytes in place, answers as it does of their decoded text', () => {
    const near = fc.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    // Byte edits: non-ASCII and invalid UTF-8 where a digit was, which must not pass for one.
    const edited = fc
      .tuple(near, fc.nat(), fc.constantFrom(0x80, 0xb2, 0xc2, 0xd9, 0xef, 0xff, 0x00, 0x39, 0x3a))
      .map(([text, at, byte]) => {
        const bytes = Buffer.from(text, 'latin1');
        bytes[at % bytes.length] = byte;
        return bytes;
      });
    // Real instants, which random digits rarely are: the `true` answers get their share.
    const real = fc
      .tuple(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.boolean(),
      )
      .map(([date, millis]) => {
        const text = date.toISOString();
        return Buffer.from(millis ? text : `${text.slice(0, 19)}Z`, 'latin1');
      });
    const any = fc.oneof(
      real,
      real.map((bytes) => {
        const copy = Buffer.from(bytes);
        copy[(copy[5] + copy[12]) % copy.length] ^= 0x80;
        return copy;
      }),
      near.map((text) => Buffer.from(text, 'utf8')),
      edited,
      fc.string({ maxLength: 26 }).map((text) => Buffer.from(text, 'utf8')),
      fc.uint8Array({ minLength: 18, maxLength: 26 }).map((bytes) => Buffer.from(bytes)),
    );
    fc.assert(
      fc.property(any, fc.nat({ max: 5 }), (bytes, pad) => {
        // At an offset inside a bigger buffer, as in a log file.
        const data = Buffer.concat([Buffer.alloc(pad, 0x32), bytes, Buffer.alloc(pad, 0x5a)]);
        expect(isCanonicalUtcBytes(data, pad, pad + bytes.length)).toBe(isCanonicalUtc(bytes.toString('utf8')));
      }),
      { numRuns: 5000 },
    );
  });
});
