import { isIP } from 'node:net';
import fc from 'fast-check';
import { classifyAddress, formatIpv6, parseIp } from '../shared/normalize/ip';

describe('parseIp', () => {
  it.each([
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['203.0.113.5', 4, '203.0.113.5'],
    ['::', 6, '::'],
    ['::1', 6, '::1'],
    ['2001:DB8::1', 6, '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, '2001:db8::1'],
    ['1:2:3:4:5:6:7:8', 6, '1:2:3:4:5:6:7:8'],
    ['1:0:0:2:0:0:0:3', 6, '1:0:0:2::3'],
    ['1:0:0:2:0:0:3:4', 6, '1::2:0:0:3:4'],
    ['1:0:2:3:4:5:6:7', 6, '1:0:2:3:4:5:6:7'],
    ['1:2:3:4:5:6:7::', 6, '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', 6, '0:2:3:4:5:6:7:8'],
    ['::1.2.3.4', 6, '::102:304'],
    ['64:ff9b::192.0.2.33', 6, '64:ff9b::c000:221'],
    ['::ffff:1.2.3.4', 4, '1.2.3.4'],
    ['::FFFF:0102:0304', 4, '1.2.3.4'],
    ['0:0:0:0:0:ffff:203.0.113.5', 4, '203.0.113.5'],
  ])('reads %s as IPv%s %s', (text, version, canonical) => {
    expect(parseIp(text)).toMatchObject({ version, canonical });
  });

  it.each([
    '',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '256.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.',
    '.1.2.3',
    '1..2.3',
    '0x7f.0.0.1',
    '0x7f000001',
    '2130706433',
    '1.2.3.0001',
    '035.249.253.232',
    '١٢٣.1.1.1',
    '１.2.3.4',
    '+1.2.3.4',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '1::2::3',
    ':::',
    ':1::',
    '1::2:',
    ':',
    '12345::',
    'g::1',
    '::ffff:01.2.3.4',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '::ffff:1.2.3',
    'fe80::1%eth0',
    '[2001:db8::1]',
    '10.0.0.0/8',
    '198.51.100.7:443',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('reads leading-zero parts as decimal only when asked', () => {
    expect(parseIp('035.249.253.232', { allowLeadingZeros: true })).toEqual({
      version: 4,
      canonical: '35.249.253.232',
      value: (35 * 2 ** 24 + 249 * 2 ** 16 + 253 * 2 ** 8 + 232) >>> 0,
      leadingZeros: true,
    });
    expect(parseIp('010.0.0.1', { allowLeadingZeros: true })?.canonical).toBe('10.0.0.1');
    expect(parseIp('0255.1.1.1', { allowLeadingZeros: true })).toBeUndefined();
    expect(parseIp('256.1.1.01', { allowLeadingZeros: true })).toBeUndefined();
  });

  it('gives IPv6 as four unsigned 32-bit words', () => {
    expect(parseIp('ffff:ffff::1')).toMatchObject({ words: [0xffffffff, 0, 0, 1] });
  });

  it('rejects long and non-string input without work', () => {
    expect(parseIp('1'.repeat(10_000))).toBeUndefined();
    expect(parseIp(null as unknown as string)).toBeUndefined();
  });
});

describe('classifyAddress', () => {
  it.each<[unknown, object]>([
    ['203.0.113.5', { kind: 'ipv4', ip: '203.0.113.5' }],
    ['  203.0.113.5\n', { kind: 'ipv4', ip: '203.0.113.5' }],
    ['035.249.253.232', { kind: 'ipv4', ip: '35.249.253.232', note: 'leading-zeros' }],
    ['06.237.252.245', { kind: 'ipv4', ip: '6.237.252.245', note: 'leading-zeros' }],
    ['225.01.00.16', { kind: 'ipv4', ip: '225.1.0.16', note: 'leading-zeros' }],
    ['::ffff:1.2.3.4', { kind: 'ipv4', ip: '1.2.3.4', note: 'ipv4-mapped' }],
    ['2001:DB8::1', { kind: 'ipv6', ip: '2001:db8::1' }],
    ['::', { kind: 'ipv6', ip: '::' }],
    ['::1', { kind: 'ipv6', ip: '::1' }],
    ['fe80::1%eth0', { kind: 'ipv6', ip: 'fe80::1', note: 'zone-id', zone: 'eth0' }],
    ['[2001:db8::1]', { kind: 'ipv6', ip: '2001:db8::1', note: 'brackets' }],
    ['[fe80::1%25]', { kind: 'ipv6', ip: 'fe80::1', note: 'brackets,zone-id', zone: '25' }],
    ['AWS Internal', { kind: 'internal' }],
    ['aws internal', { kind: 'internal' }],
    ['AWS Internal/3', { kind: 'internal' }],
    ['cloudtrail.amazonaws.com', { kind: 'service' }],
    ['signin.amazonaws.com', { kind: 'service' }],
    ['delivery.logs.amazonaws.com', { kind: 'service' }],
    ['', { kind: 'empty' }],
    ['   \t', { kind: 'empty' }],
    [null, { kind: 'empty' }],
    [undefined, { kind: 'empty' }],
    [42, { kind: 'empty' }],
    [{ toString: () => '1.2.3.4' }, { kind: 'empty' }],
    ['256.1.1.1', { kind: 'other' }],
    ['1.2.3', { kind: 'other' }],
    ['1.2.3.4.5', { kind: 'other' }],
    ['1::2::3', { kind: 'other' }],
    ['0x7f.0.0.1', { kind: 'other' }],
    ['١٢٣.1.1.1', { kind: 'other' }],
    ['198.51.100.7:443', { kind: 'other' }],
    ['[2001:db8::1]:443', { kind: 'other' }],
    ['[198.51.100.7]', { kind: 'other' }],
    ['1.2.3.4%eth0', { kind: 'other' }],
    ['fe80::1%', { kind: 'other' }],
    ['fe80::1%eth 0', { kind: 'other' }],
    ['AWS Internal/', { kind: 'other' }],
    ['AWS Internal/x', { kind: 'other' }],
    ['localhost', { kind: 'other' }],
    ['example.com.', { kind: 'other' }],
    ['-bad.example.com', { kind: 'other' }],
    ['1.2.3.4 5.6.7.8', { kind: 'other' }],
    // A list (X-Forwarded-For style) is read by its first address; the whole text stays in sourceAddress.
    ['1.2.3.4,5.6.7.8', { kind: 'ipv4', ip: '1.2.3.4', note: 'list' }],
    ['8.8.8.8, 10.0.0.1', { kind: 'ipv4', ip: '8.8.8.8', note: 'list' }],
    [' 2001:DB8::1 , 10.0.0.1', { kind: 'ipv6', ip: '2001:db8::1', note: 'list' }],
    ['035.1.2.3, 10.0.0.1', { kind: 'ipv4', ip: '35.1.2.3', note: 'leading-zeros,list' }],
    ['unknown, 10.0.0.1', { kind: 'other' }],
    [', 10.0.0.1', { kind: 'other' }],
  ])('classifies %j', (raw, expected) => {
    expect(classifyAddress(raw)).toEqual(expected);
  });

  it('gives up on 10 KB strings', () => {
    expect(classifyAddress('1'.repeat(10_000))).toEqual({ kind: 'other' });
    expect(classifyAddress(`${'a.'.repeat(5_000)}com`)).toEqual({ kind: 'other' });
    expect(classifyAddress(' '.repeat(10_000))).toEqual({ kind: 'empty' });
  });
});

/** Eight random 16-bit groups. */
const hextets = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
/** Bias toward zero runs, where `::` compression gets interesting. */
const sparseHextets = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
});
const isMapped = (h: number[]) => h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff;

/** Valid spellings of the same address: full, padded, upper-case, `::` anywhere on a zero run, embedded IPv4. */
function spellingsOf(h: number[]): string[] {
  const hex = (list: number[]) => list.map((n) => n.toString(16));
  const out = [
    hex(h).join(':'),
    h
      .map((n) => n.toString(16).padStart(4, '0'))
      .join(':')
      .toUpperCase(),
  ];
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j <= 8 && h[j - 1] === 0; j++) {
      out.push(`${hex(h.slice(0, i)).join(':')}::${hex(h.slice(j)).join(':')}`);
    }
  }
  const v4 = `${h[6] >> 8}.${h[6] & 0xff}.${h[7] >> 8}.${h[7] & 0xff}`;
  out.push(`${hex(h.slice(0, 6)).join(':')}:${v4}`);
  return out;
}

describe('parseIp properties', () => {
  it('reads any uint32 written as dotted decimal back as the same number', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (n) => {
        const text = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
        const parsed = parseIp(text);
        return parsed?.version === 4 && parsed.value === n && parsed.canonical === text;
      }),
    );
  });

  it('gives every spelling of an IPv6 address the same canonical text, which is the WHATWG one', () => {
    fc.assert(
      fc.property(fc.oneof(hextets, sparseHextets), (h) => {
        const canonicals = new Set(spellingsOf(h).map((s) => parseIp(s)?.canonical));
        expect(canonicals.size).toBe(1);
        const [canonical] = canonicals;
        if (isMapped(h)) {
          expect(canonical).toBe(`${h[6] >> 8}.${h[6] & 0xff}.${h[7] >> 8}.${h[7] & 0xff}`);
        } else {
          const full = h.map((n) => n.toString(16)).join(':');
          expect(canonical).toBe(new URL(`http://[${full}]`).hostname.slice(1, -1));
        }
      }),
    );
  });

  it('keeps canonical text canonical', () => {
    fc.assert(
      fc.property(fc.oneof(hextets, sparseHextets), (h) => {
        const words = [0, 2, 4, 6].map((i) => h[i] * 0x10000 + h[i + 1]);
        const canonical = parseIp(formatIpv6(words))!.canonical;
        expect(parseIp(canonical)?.canonical).toBe(canonical);
      }),
    );
  });

  it('accepts exactly what node:net accepts (which never allows leading zeros in IPv4)', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''), '1', '0', ':', '.', 'f');
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: chars, maxLength: 45 }), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()),
        (text) => {
          expect(parseIp(text) !== undefined).toBe(isIP(text) !== 0);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

describe('classifyAddress properties', () => {
  it('never throws and only gives IPs with a canonical ip', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), (raw) => {
        const result = classifyAddress(raw);
        expect(result.kind === 'ipv4' || result.kind === 'ipv6').toBe(result.ip !== undefined);
      }),
    );
  });
});
