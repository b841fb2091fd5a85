import fc from 'fast-check';
import { ConfigError } from '../shared/errors';
import { formatIpv4, formatIpv6 } from '../shared/normalize/ip';
import { parseWhitelist } from '../shared/detect/ip-whitelist';

function configError(text: string): ConfigError {
  try {
    parseWhitelist(text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`parseWhitelist(${JSON.stringify(text)}) did not throw`);
}

describe('parseWhitelist', () => {
  it('splits entries on commas, semicolons, spaces, tabs and newlines in any mix', () => {
    const list = parseWhitelist(' 10.0.0.1,\n\t203.0.113.0/24 ;; 2001:DB8::/32,,\r\n192.0.2.9 \t');
    expect(list.entries).toEqual(['10.0.0.1', '203.0.113.0/24', '2001:db8::/32', '192.0.2.9']);
  });

  it('lists canonical entries once, keeping a /32 written as a CIDR', () => {
    const list = parseWhitelist('10.0.0.1 10.0.0.1 10.0.0.1/32 ::ffff:10.0.0.1 ::ffff:10.0.0.0/104');
    expect(list.entries).toEqual(['10.0.0.1', '10.0.0.1/32', '10.0.0.0/8']);
  });

  it.each<[string, string, boolean]>([
    ['10.0.0.1', '10.0.0.1', true],
    ['10.0.0.1', '10.0.0.10', false],
    ['10.0.0.10', '10.0.0.1', false],
    ['10.0.0.1', '110.0.0.1', false],
    ['10.0.0.1', '', false],
    ['10.0.0.1', 'AWS Internal', false],
    ['10.0.0.1', '::ffff:10.0.0.1', true],
    ['10.0.0.1', '::ffff:a00:1', true],
    ['10.0.0.1', '::10.0.0.1', false],
    ['10.0.0.1', '010.0.0.1', false],
    ['203.0.113.0/24', '203.0.113.255', true],
    ['203.0.113.0/24', '203.0.114.0', false],
    ['203.0.113.0/24', '::ffff:203.0.113.7', true],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '1.2.3.4', false],
    ['198.51.100.7/32', '198.51.100.7', true],
    ['198.51.100.7/32', '198.51.100.6', false],
    ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', true],
    ['2001:db8::1', '2001:db8::10', false],
    ['2001:db8::1/128', '2001:db8::1', true],
    ['2001:db8:1::/48', '2001:db8:1:ffff::1', true],
    ['2001:db8:1::/48', '2001:db8:2::1', false],
    ['::ffff:10.0.0.0/104', '10.255.0.1', true],
    ['::ffff:0:0/96', '192.0.2.1', true],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
  ])('whitelist %s contains %j: %s', (whitelist, ip, expected) => {
    expect(parseWhitelist(whitelist).contains(ip)).toBe(expected);
  });

  it.each<[string, string]>([
    [
      '035.249.253.232',
      'leading zeros are ambiguous (010 is octal 8 to some tools and decimal 10 to others); remove them',
    ],
    ['10.0.0.0/08', 'prefix length "/08" is not a number from 0 to 32'],
    ['10.0.0.0/33', 'prefix length "/33" is not a number from 0 to 32'],
    ['10.0.0.0/', 'prefix length "/" is not a number from 0 to 32'],
    ['10.0.0.0/-1', 'prefix length "/-1" is not a number from 0 to 32'],
    ['10.0.0.0/8/8', 'prefix length "/8/8" is not a number from 0 to 32'],
    ['2001:db8::/129', 'prefix length "/129" is not a number from 0 to 128'],
    ['203.0.113.7/24', 'host bits are set; did you mean 203.0.113.0/24?'],
    ['2001:db8::1/32', 'host bits are set; did you mean 2001:db8::/32?'],
    ['::ffff:10.0.0.1/104', 'host bits are set; did you mean ::ffff:10.0.0.0/104?'],
    ['::ffff:10.0.0.0/64', 'host bits are set; did you mean ::/64?'],
    ['fe80::1%eth0', 'zone ids (%…) are not allowed in a whitelist'],
    ['[2001:db8::1]', 'brackets are not allowed; write the bare IPv6 address'],
    ['10.0.0.*', 'not an IPv4 or IPv6 address or CIDR network'],
    ['10.0.0', 'not an IPv4 or IPv6 address or CIDR network'],
    ['256.0.0.1', 'not an IPv4 or IPv6 address or CIDR network'],
    ['1::2::3', 'not an IPv4 or IPv6 address or CIDR network'],
    ['example.com', 'not an IPv4 or IPv6 address or CIDR network'],
    ['/24', 'not an IPv4 or IPv6 address or CIDR network'],
  ])('rejects %j: %s', (entry, reason) => {
    const error = configError(`192.0.2.1, ${entry}`);
    expect(error.problems).toEqual([`IP whitelist entry "${entry}": ${reason}`]);
    expect(error.message).toBe(`Invalid IP whitelist (1 bad entry): IP whitelist entry "${entry}": ${reason}`);
  });

  it('lists every bad entry at once', () => {
    const error = configError('10.0.0.1, 010.0.0.1\n10.0.0.7/8; bogus 10.0.0.0/40');
    expect(error.problems).toEqual([
      'IP whitelist entry "010.0.0.1": leading zeros are ambiguous (010 is octal 8 to some tools and decimal 10 to others); remove them',
      'IP whitelist entry "10.0.0.7/8": host bits are set; did you mean 10.0.0.0/8?',
      'IP whitelist entry "bogus": not an IPv4 or IPv6 address or CIDR network',
      'IP whitelist entry "10.0.0.0/40": prefix length "/40" is not a number from 0 to 32',
    ]);
    expect(error.message).toMatch(/^Invalid IP whitelist \(4 bad entries\): /);
  });

  it('cuts long hostile entries short in messages', () => {
    const error = configError('x'.repeat(10_000));
    expect(error.problems).toEqual([
      `IP whitelist entry "${'x'.repeat(60)}…": not an IPv4 or IPv6 address or CIDR network`,
    ]);
  });

  it.each(['', '   ', ' ,\n;\t, ', undefined as unknown as string])('refuses an empty whitelist (%j)', (text) => {
    expect(configError(text).message).toBe(
      'IP whitelist is empty: refusing to start, every login would be treated as unauthorized and raise an alert',
    );
  });
});

/** Naive reference: addresses and masks as BigInt bit strings. */
function inCidrReference(address: bigint, network: bigint, prefix: number, bits: number): boolean {
  const shift = BigInt(bits - prefix);
  return address >> shift === network >> shift;
}

const toBigInt = (words: number[]) => words.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n);
const uint32 = fc.nat({ max: 0xffffffff });

describe('parseWhitelist properties', () => {
  it('an IPv4 address is in a CIDR iff its first prefix bits equal the network', () => {
    fc.assert(
      fc.property(uint32, uint32, fc.integer({ min: 0, max: 32 }), fc.nat({ max: 32 }), (net, addr, prefix, shared) => {
        // Make the address share a random number of leading bits with the network, so both outcomes occur.
        const keep = shared === 0 ? 0 : (0xffffffff << (32 - shared)) >>> 0;
        const address = ((net & keep) | (addr & ~keep)) >>> 0;
        const network = Number((BigInt(net) >> BigInt(32 - prefix)) << BigInt(32 - prefix));
        const list = parseWhitelist(`${formatIpv4(network)}/${prefix}`);
        const expected = inCidrReference(BigInt(address), BigInt(network), prefix, 32);
        expect(list.contains(formatIpv4(address))).toBe(expected);
        expect(list.contains(`::ffff:${formatIpv4(address)}`)).toBe(expected);
      }),
    );
  });

  it('an IPv6 address is in a CIDR iff its first prefix bits equal the network', () => {
    const words = fc.array(uint32, { minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(
        words,
        words,
        fc.integer({ min: 0, max: 128 }),
        fc.nat({ max: 128 }),
        (netWords, addrWords, prefix, shared) => {
          const all = (1n << 128n) - 1n;
          const keep = shared === 0 ? 0n : (all << BigInt(128 - shared)) & all;
          const address = (toBigInt(netWords) & keep) | (toBigInt(addrWords) & ~keep & all);
          const network = (toBigInt(netWords) >> BigInt(128 - prefix)) << BigInt(128 - prefix);
          const text = (n: bigint) => formatIpv6([96n, 64n, 32n, 0n].map((s) => Number((n >> s) & 0xffffffffn)));
          // Networks in the IPv4-mapped range become IPv4 networks; skip them here, the table covers them.
          fc.pre(!text(network).includes('.') && !text(address).includes('.'));
          const list = parseWhitelist(`${text(network)}/${prefix}`);
          expect(list.contains(text(address))).toBe(inCidrReference(address, network, prefix, 128));
        },
      ),
    );
  });

  it('matches several CIDRs of mixed lengths like checking each one', () => {
    const cidr = fc.tuple(uint32, fc.integer({ min: 0, max: 32 })).map(([n, p]) => ({
      network: Number((BigInt(n) >> BigInt(32 - p)) << BigInt(32 - p)),
      prefix: p,
    }));
    fc.assert(
      fc.property(
        fc.array(cidr, { minLength: 1, maxLength: 8 }),
        fc.array(uint32, { maxLength: 20 }),
        (cidrs, addresses) => {
          const list = parseWhitelist(cidrs.map((c) => `${formatIpv4(c.network)}/${c.prefix}`).join(','));
          for (const address of [...addresses, ...cidrs.map((c) => c.network)]) {
            const expected = cidrs.some((c) => inCidrReference(BigInt(address), BigInt(c.network), c.prefix, 32));
            expect(list.contains(formatIpv4(address))).toBe(expected);
          }
        },
      ),
    );
  });
});
