// A small deterministic zip writer for the deployment packages (Lambda and FunctionGraph both take a
// plain zip). Same input bytes → same zip bytes: entries sorted by name, a fixed timestamp, fixed
// attributes, no extra fields, so a rebuild of unchanged code changes no hash.
//
// Format (PKWARE APPNOTE 6.3): per entry a local file header and the data, then the central
// directory, then the end-of-central-directory record. Deflate (method 8) via node:zlib, or stored
// (method 0) when deflating would not make the entry smaller. No zip64: a package this large would
// be far over both platforms' upload limits anyway.
import { deflateRaw } from 'node:zlib';
import { promisify } from 'node:util';

const deflateRawAsync = promisify(deflateRaw);

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const VERSION = 20; // 2.0: deflate
const MADE_BY_UNIX = (3 << 8) | VERSION; // so the external attributes below are read as a Unix mode
const FILE_MODE = 0o100644; // regular file, rw-r--r--: the runtimes read the code as another user
const UTF8_NAMES = 0x0800;
// 1980-01-01 00:00:00, the earliest DOS date: no clock in the output.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const MAX_U32 = 0xffffffff;
const MAX_ENTRIES = 0xffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, reflected, as zip and gzip use it). */
export function crc32(data) {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checkName(name) {
  if (
    typeof name !== 'string' ||
    name === '' ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.split('/').includes('..')
  ) {
    throw new Error(`zip: bad entry name ${JSON.stringify(name)}`);
  }
}

/**
 * Builds a zip archive from `entries` ({ name, data }), sorted by name; `data` is a Buffer,
 * Uint8Array or string (UTF-8). Resolves to the archive's bytes. `level` is the zlib level: 6, since
 * 9 takes about 2.5 times as long on the bundles for about 1 % less.
 */
export async function createZip(entries, { level = 6 } = {}) {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (sorted.length > MAX_ENTRIES)
    throw new Error(`zip: ${sorted.length} entries, at most ${MAX_ENTRIES} without zip64`);
  sorted.forEach((entry, i) => {
    checkName(entry.name);
    if (i > 0 && sorted[i - 1].name === entry.name) throw new Error(`zip: duplicate entry ${entry.name}`);
  });

  const prepared = await Promise.all(
    sorted.map(async ({ name, data, prepared: ready }) => {
      // A large file that goes into many zips (the geo databases) is deflated once: see prepareEntry.
      if (ready)
        return { ...ready, nameBytes: Buffer.from(name, 'utf8'), flags: /[^\x00-\x7f]/.test(name) ? UTF8_NAMES : 0 };
      const raw =
        typeof data === 'string'
          ? Buffer.from(data, 'utf8')
          : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const deflated = await deflateRawAsync(raw, { level });
      const stored = deflated.length >= raw.length;
      const nameBytes = Buffer.from(name, 'utf8');
      if (raw.length > MAX_U32) throw new Error(`zip: ${name} is larger than 4 GiB`);
      return {
        nameBytes,
        flags: nameBytes.length !== name.length ? UTF8_NAMES : 0,
        method: stored ? 0 : 8,
        crc: crc32(raw),
        size: raw.length,
        body: stored ? raw : deflated,
      };
    }),
  );

  const chunks = [];
  const central = [];
  let offset = 0;
  for (const entry of prepared) {
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(entry.flags, 6);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(entry.crc, 14);
    local.writeUInt32LE(entry.body.length, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(entry.nameBytes.length, 26);
    local.writeUInt16LE(0, 28); // extra field length

    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(MADE_BY_UNIX, 4);
    header.writeUInt16LE(VERSION, 6);
    header.writeUInt16LE(entry.flags, 8);
    header.writeUInt16LE(entry.method, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(entry.crc, 16);
    header.writeUInt32LE(entry.body.length, 20);
    header.writeUInt32LE(entry.size, 24);
    header.writeUInt16LE(entry.nameBytes.length, 28);
    header.writeUInt16LE(0, 30); // extra field length
    header.writeUInt16LE(0, 32); // comment length
    header.writeUInt16LE(0, 34); // disk number start
    header.writeUInt16LE(0, 36); // internal attributes
    header.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);

    chunks.push(local, entry.nameBytes, entry.body);
    central.push(header, entry.nameBytes);
    offset += local.length + entry.nameBytes.length + entry.body.length;
    if (offset > MAX_U32) throw new Error('zip: archive larger than 4 GiB');
  }

  const centralSize = central.reduce((sum, chunk) => sum + chunk.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(0, 4); // this disk
  end.writeUInt16LE(0, 6); // disk with the central directory
  end.writeUInt16LE(prepared.length, 8);
  end.writeUInt16LE(prepared.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20); // comment length
  return Buffer.concat([...chunks, ...central, end]);
}

/**
 * A file deflated once for several zips: pass the result as `{ name, prepared }` to createZip. Same
 * bytes out as passing `data` (same level, same choice between stored and deflated).
 */
export async function prepareEntry(data, { level = 6 } = {}) {
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (raw.length > MAX_U32) throw new Error('zip: entry larger than 4 GiB');
  const deflated = await deflateRawAsync(raw, { level });
  const stored = deflated.length >= raw.length;
  return { method: stored ? 0 : 8, crc: crc32(raw), size: raw.length, body: stored ? raw : deflated };
}
