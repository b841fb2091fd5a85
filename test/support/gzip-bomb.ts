/**
 * A gzip bomb built by streaming: the same zero-filled chunk is written again and again into a gzip
 * stream, so making a 256 MiB bomb never holds more than one chunk and the (small) compressed output.
 */
import { createGzip, constants } from 'node:zlib';

export async function gzipBomb(inflatedBytes: number, prefix = '', chunkBytes = 1024 * 1024): Promise<Buffer> {
  const gzip = createGzip({ level: constants.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve) => (gzip.write(chunk) ? resolve() : gzip.once('drain', resolve)));
  if (prefix) await write(Buffer.from(prefix));
  const chunk = Buffer.alloc(chunkBytes, 0x20); // spaces: still "valid JSON so far" after a prefix like `{"Records":[`
  for (let left = inflatedBytes - prefix.length; left > 0; left -= chunk.length) {
    await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}
