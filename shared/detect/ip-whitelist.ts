/**
 * The login IP whitelist (env `IP_WHITELIST`, the Huawei sample's `IP`), parsed once at cold start.
 *
 * Unlike Huawei's published sample (substring `str.find`, so `10.0.0.1` allowed `10.0.0.10` and an empty
 * source IP counted as found), matching here is by address value: exact addresses and CIDR networks only.
 */
import { ConfigError } from '../errors';
import { formatIpv4, formatIpv6, parseIp } from '../normalize/ip';

export interface IpWhitelist {
  /** Canonical entries in the order written, duplicates removed; for display. */
  readonly entries: readonly string[];
  /**
   * Whether the address is allowed. Takes canonical IP text (any strict IP text works); anything that is
   * not an IP (empty, host names, leading-zero quads) is never contained. IPv4 entries also match the
   * IPv4-mapped IPv6 spelling of their addresses.
   */
  contains(ip: string): boolean;
  /**
   * Entries with a /0 prefix (`0.0.0.0/0`, `::/0`, `::ffff:0.0.0.0/96`), each of which allows a whole
   * address family: valid, but almost always a placeholder left in; loadConfig warns about them.
   */
  readonly allowsEverything: readonly string[];
}

/** Separators between entries: commas, semicolons and any whitespace, in any mix and number. */
const SEPARATORS = /[\s,;]+/;
/** Long hostile entries are cut short in error messages. */
const MAX_SHOWN = 60;

interface Network {
  /** 1 word for IPv4, 4 for IPv6. */
  words: number[];
  prefix: number;
  /** Canonical entry text: a bare address stays bare, `x/32` stays a CIDR. */
  display?: string;
}

/**
 * Parse whitelist text. Each entry is an IPv4 or IPv6 address or a CIDR network:
 * - leading-zero IPv4 (`010.0.0.1`) is rejected: some tools read `010` as octal 8, others as decimal 10;
 * - a CIDR with host bits set (`203.0.113.7/24`) is rejected with the network address suggested, as it
 *   is usually a typo for either the host or the network;
 * - prefix lengths are decimal 0–32 (IPv4) or 0–128 (IPv6); `/0` is accepted and allows the whole family;
 * - zone ids and brackets are rejected (a whitelist names addresses, not interfaces or URLs);
 * - IPv4-mapped entries (`::ffff:10.0.0.0/104`) are stored as IPv4 (`10.0.0.0/8`); an IPv6 network
 *   never matches an IPv4 address otherwise (`::/0` allows all IPv6, not IPv4).
 * Throws one ConfigError listing every bad entry, or saying the whitelist is empty: an empty whitelist
 * would make every login an alert, which is a misconfiguration, not a policy.
 */
export function parseWhitelist(text: string): IpWhitelist {
  const tokens = (typeof text === 'string' ? text : '').split(SEPARATORS).filter((t) => t !== '');
  if (tokens.length === 0) {
    throw new ConfigError(
      'IP whitelist is empty: refusing to start, every login would be treated as unauthorized and raise an alert',
    );
  }
  const problems: string[] = [];
  const networks: Network[] = [];
  for (const token of tokens) {
    const result = parseEntry(token);
    if (typeof result === 'string') problems.push(`IP whitelist entry "${shorten(token)}": ${result}`);
    else networks.push(result);
  }
  if (problems.length > 0) {
    const count = problems.length === 1 ? '1 bad entry' : `${problems.length} bad entries`;
    throw new ConfigError(`Invalid IP whitelist (${count}): ${problems.join('; ')}`, problems);
  }
  return buildWhitelist(networks);
}

function shorten(token: string): string {
  return token.length > MAX_SHOWN ? `${token.slice(0, MAX_SHOWN)}…` : token;
}

/** A network, or the reason the entry is rejected. */
function parseEntry(token: string): Network | string {
  if (token.includes('%')) return 'zone ids (%…) are not allowed in a whitelist';
  if (token.startsWith('[')) return 'brackets are not allowed; write the bare IPv6 address';
  const slash = token.indexOf('/');
  const addressText = slash < 0 ? token : token.slice(0, slash);
  const ip = parseIp(addressText, { allowLeadingZeros: true });
  if (ip === undefined) return 'not an IPv4 or IPv6 address or CIDR network';
  if (ip.version === 4 && ip.leadingZeros) {
    return 'leading zeros are ambiguous (010 is octal 8 to some tools and decimal 10 to others); remove them';
  }
  // The prefix counts bits of the address as written, so a mapped address has 128 of them.
  const words = ip.version === 6 ? [...ip.words] : ip.mapped ? [0, 0, 0xffff, ip.value] : [ip.value];
  const bits = words.length * 32;
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = token.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
      return `prefix length "/${shorten(prefixText)}" is not a number from 0 to ${bits}`;
    }
    prefix = Number(prefixText);
    const network = maskWords(words, prefix);
    if (network.some((w, i) => w !== words[i])) {
      return `host bits are set; did you mean ${formatNetwork({ words: network, prefix })}?`;
    }
  }
  const network: Network =
    words.length === 4 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff && prefix >= 96
      ? { words: [words[3]], prefix: prefix - 96 }
      : { words, prefix };
  network.display = slash < 0 ? ip.canonical : formatNetwork(network);
  return network;
}

function prefixMask(prefix: number, wordIndex: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * wordIndex));
  // `x << 32` is `x` in JavaScript, hence the special cases.
  return bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

function maskWords(words: readonly number[], prefix: number): number[] {
  return words.map((w, i) => (w & prefixMask(prefix, i)) >>> 0);
}

function formatNetwork({ words, prefix }: Network): string {
  const address = words.length === 1 ? formatIpv4(words[0]) : formatIpv6(words);
  return `${address}/${prefix}`;
}

/** A compact Set key for 128 bits: eight UTF-16 code units. */
function getOrAdd<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set<V>()));
  return set;
}

function key6(w0: number, w1: number, w2: number, w3: number): string {
  return String.fromCharCode(
    w0 >>> 16,
    w0 & 0xffff,
    w1 >>> 16,
    w1 & 0xffff,
    w2 >>> 16,
    w2 & 0xffff,
    w3 >>> 16,
    w3 & 0xffff,
  );
}

/**
 * Exact addresses go in one Set per family; networks are grouped by prefix length with one Set of
 * masked networks per length, so a lookup costs one probe per distinct prefix length.
 */
function buildWhitelist(networks: readonly Network[]): IpWhitelist {
  const entries = [...new Set(networks.map((n) => n.display ?? formatNetwork(n)))];
  const exact4 = new Set<number>();
  const exact6 = new Set<string>();
  const groups4 = new Map<number, Set<number>>();
  const groups6 = new Map<number, Set<string>>();
  for (const { words, prefix } of networks) {
    if (words.length === 1) {
      if (prefix === 32) exact4.add(words[0]);
      else getOrAdd(groups4, prefix).add(words[0]);
    } else {
      const key = key6(words[0], words[1], words[2], words[3]);
      if (prefix === 128) exact6.add(key);
      else getOrAdd(groups6, prefix).add(key);
    }
  }
  const prefixes4 = [...groups4].map(([prefix, nets]) => ({ mask: prefixMask(prefix, 0), nets }));
  const prefixes6 = [...groups6].map(([prefix, nets]) => ({
    masks: [0, 1, 2, 3].map((i) => prefixMask(prefix, i)),
    nets,
  }));

  const allowsEverything = [
    ...new Set(networks.filter((n) => n.prefix === 0).map((n) => n.display ?? formatNetwork(n))),
  ];

  return {
    entries,
    allowsEverything,
    contains(ip: string): boolean {
      const parsed = parseIp(ip);
      if (parsed === undefined) return false;
      if (parsed.version === 4) {
        const value = parsed.value;
        if (exact4.has(value)) return true;
        for (const { mask, nets } of prefixes4) if (nets.has((value & mask) >>> 0)) return true;
        return false;
      }
      const [w0, w1, w2, w3] = parsed.words;
      if (exact6.has(key6(w0, w1, w2, w3))) return true;
      for (const { masks, nets } of prefixes6) {
        if (nets.has(key6((w0 & masks[0]) >>> 0, (w1 & masks[1]) >>> 0, (w2 & masks[2]) >>> 0, (w3 & masks[3]) >>> 0)))
          return true;
      }
      return false;
    },
  };
}
