import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeInput, parseJsonSafely } from '../shared/intake/decode-input';
import { fixtureBytes } from './support/fixtures';

const MiB = 1024 * 1024;
const text = (value: string): Buffer => Buffer.from(value, 'utf8');

/**
 * 1 GiB of zeros as 1024 concatenated gzip members of 1 MiB each: about 1 MB of input, built without ever
 * holding the gigabyte. gunzip reads concatenated members as one stream, as the gzip format says it must.
 */
function gzipBomb(): Buffer {
  const member = gzipSync(Buffer.alloc(MiB));
  return Buffer.concat(Array.from({ length: 1024 }, () => member));
}

describe('decodeInput', () => {
  it('a JSON document is one document named after the input', () => {
    expect(decodeInput(text('{"Records":[]}'), 'trail.json')).toEqual({
      documents: [{ value: { Records: [] }, position: 'trail.json' }],
      rejected: [],
    });
  });

  it('gzip is recognised by its magic bytes, whatever the name says', () => {
    const plain = fixtureBytes('aws/envelope-cloudtrail-log-file.json');
    const gzipped = fixtureBytes('aws/envelope-cloudtrail-log-file.json.gz');
    const expected = JSON.parse(plain.toString('utf8')) as unknown;
    expect(decodeInput(gzipped, 'no-extension').documents).toEqual([{ value: expected, position: 'no-extension' }]);
    expect(decodeInput(plain, 'misleading.json.gz').documents).toEqual([
      { value: expected, position: 'misleading.json.gz' },
    ]);
  });

  it('a UTF-8 byte-order mark is stripped, also inside gzip', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text('{"a":"é"}')]);
    expect(decodeInput(withBom, 'bom.json').documents).toEqual([{ value: { a: 'é' }, position: 'bom.json' }]);
    expect(decodeInput(gzipSync(withBom), 'bom.json.gz').documents).toEqual([
      { value: { a: 'é' }, position: 'bom.json.gz' },
    ]);
  });

  it('a Uint8Array that is a view into a larger buffer is read from its own bytes only', () => {
    const backing = text('xx{"ok":true}yy');
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, backing.length - 4);
    expect(decodeInput(view, 'view').documents).toEqual([{ value: { ok: true }, position: 'view' }]);
  });

  it('NDJSON with blank lines and one bad line keeps the good lines, numbered', () => {
    const ndjson = '{"trace_name":"login"}\n\n   \n{"trace_name": oops\r\n{"trace_name":"logout"}\r\n';
    const decoded = decodeInput(text(ndjson), 'traces.json');
    expect(decoded.documents).toEqual([
      { value: { trace_name: 'login' }, position: 'traces.json:line 1' },
      { value: { trace_name: 'logout' }, position: 'traces.json:line 5' },
    ]);
    expect(decoded.rejected).toEqual([
      { reason: expect.stringMatching(/^invalid JSON: /), position: 'traces.json:line 4' },
    ]);
  });

  it('a pretty-printed document with a syntax error is rejected once, not line by line', () => {
    const broken = JSON.stringify({ Records: [{ eventName: 'a' }, { eventName: 'b' }] }, null, 2).replace(
      '"b"',
      '"b",',
    );
    const decoded = decodeInput(text(broken), 'broken.json');
    expect(decoded.documents).toEqual([]);
    expect(decoded.rejected).toEqual([{ reason: expect.stringMatching(/^invalid JSON: /), position: 'broken.json' }]);
  });

  it('a single line that is not JSON is rejected with the parser message', () => {
    expect(decodeInput(text('hello'), 'x').rejected).toEqual([
      { reason: expect.stringMatching(/^invalid JSON: .*hello/), position: 'x' },
    ]);
  });

  it.each([
    ['no bytes at all', Buffer.alloc(0), 'empty input'],
    ['only whitespace', text(' \r\n\t\n'), 'empty input'],
    ['only a byte-order mark', Buffer.from([0xef, 0xbb, 0xbf]), 'empty input'],
    ['a gzip of nothing', gzipSync(Buffer.alloc(0)), 'empty input (after gunzip)'],
  ])('%s is rejected as empty input', (_name, bytes, reason) => {
    expect(decodeInput(bytes, 'e')).toEqual({ documents: [], rejected: [{ reason, position: 'e' }] });
  });

  it('truncated gzip is rejected as truncated', () => {
    const whole = fixtureBytes('aws/envelope-cloudtrail-log-file.json.gz');
    const decoded = decodeInput(whole.subarray(0, Math.floor(whole.length / 2)), 'cut.json.gz');
    expect(decoded).toEqual({
      documents: [],
      rejected: [{ reason: 'truncated gzip: unexpected end of file', position: 'cut.json.gz' }],
    });
  });

  it('gzip magic followed by garbage is rejected as invalid gzip', () => {
    expect(decodeInput(Buffer.from([0x1f, 0x8b, 0x01, 0x02, 0x03]), 'g').rejected).toEqual([
      { reason: expect.stringMatching(/^invalid gzip: /), position: 'g' },
    ]);
  });

  it('a gzip bomb fails on the size cap as soon as the output passes it', () => {
    const decoded = decodeInput(gzipBomb(), 'bomb.json.gz', { maxDecompressedBytes: 8 * MiB });
    expect(decoded).toEqual({
      documents: [],
      rejected: [
        { reason: expect.stringMatching(`^decompressed size exceeds ${8 * MiB} bytes`), position: 'bomb.json.gz' },
      ],
    });
  });

  it('the default cap is 512 MiB', () => {
    expect(DEFAULT_MAX_DECOMPRESSED_BYTES).toBe(512 * MiB);
  });

  it('output exactly at the cap is accepted', () => {
    const json = text(JSON.stringify({ padding: 'x'.repeat(1000) }));
    expect(decodeInput(gzipSync(json), 'fits', { maxDecompressedBytes: json.length }).documents).toHaveLength(1);
    expect(decodeInput(gzipSync(json), 'too big', { maxDecompressedBytes: json.length - 1 }).rejected).toHaveLength(1);
  });
});

describe('parseJsonSafely', () => {
  it('keeps a "__proto__" key as an own property instead of setting the prototype', () => {
    const parsed = parseJsonSafely('{"__proto__":{"polluted":true}}');
    expect(parsed.ok && Object.hasOwn(parsed.value as object, '__proto__')).toBe(true);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('decodeInput properties', () => {
  const wellFormed = (result: ReturnType<typeof decodeInput>): void => {
    expect(result.documents.length + result.rejected.length).toBeGreaterThanOrEqual(1);
    for (const rejection of result.rejected) expect(rejection.reason).not.toMatch(/^could not decode/);
  };

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => wellFormed(decodeInput(bytes, 'random'))),
      { numRuns: 1000 },
    );
  });

  it('never throws on random bytes behind gzip magic, nor on gzip cut anywhere', () => {
    const gzipped = gzipSync(text(JSON.stringify({ Records: [{ eventName: 'ConsoleLogin' }] })));
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.concat([Buffer.from([0x1f, 0x8b]), bytes])),
      fc.nat({ max: gzipped.length }).map((length) => gzipped.subarray(0, length)),
    );
    fc.assert(
      fc.property(inputs, (bytes) => wellFormed(decodeInput(bytes, 'gz'))),
      { numRuns: 500 },
    );
  });

  it('every line of valid NDJSON comes back as a document, at its line number', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 2, maxLength: 8 }), (values) => {
        const lines = values.map((value) => JSON.stringify(value));
        const decoded = decodeInput(text(lines.join('\n')), 'n');
        expect(decoded.rejected).toEqual([]);
        expect(decoded.documents).toEqual(
          lines.map((line, i) => ({ value: JSON.parse(line), position: `n:line ${i + 1}` })),
        );
      }),
    );
  });
});
