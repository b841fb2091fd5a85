/**
 * readInputNow reads local files into spare buffers (cli/read-inputs.ts, shared/intake/spare-inflate.ts)
 * instead of fresh memory. It must give what readFileSync gives: the same bytes, and the same error
 * (message and code) for a missing file, a folder, a path under a file; /proc files, which say size 0,
 * are read to their end as readFileSync reads them. A buffer given back is used for the next file, and
 * one still in use is not.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputNow, releaseInput } from '../cli/read-inputs';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailguard-read-spare-'));
  writeFileSync(join(dir, 'small.json'), '{"Records":[]}');
  writeFileSync(join(dir, 'empty.json'), '');
  writeFileSync(join(dir, 'one-mib.bin'), Buffer.alloc(1024 * 1024, 7));
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(25 * 1024 * 1024, 9));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function outcome(read: () => Buffer | Promise<Buffer>): Promise<unknown> {
  return Promise.resolve()
    .then(read)
    .then(
      (bytes) => ({ bytes: Buffer.from(bytes).toString('base64') }),
      (error: NodeJS.ErrnoException) => ({ message: error.message, code: error.code }),
    );
}

describe('readInputNow = readFileSync', () => {
  it.each([
    ['a small file', 'small.json'],
    ['an empty file', 'empty.json'],
    ['a file of 1 MiB', 'one-mib.bin'],
    ['a file larger than a spare buffer', 'big.bin'],
    ['a missing file', 'missing.json'],
    ['a folder', '.'],
    ['a path under a file', 'small.json/x'],
  ])('%s', async (_name, file) => {
    const path = join(dir, file);
    const ours = await outcome(() => readInputNow({ path, size: 0 }));
    expect(ours).toEqual(await outcome(() => readFileSync(path)));
  });

  it('a /proc file (size 0) to its end', async () => {
    const path = '/proc/self/mountinfo';
    const bytes = await readInputNow({ path, size: 0 });
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.toString('utf8').split('\n')[0]).toBe(readFileSync(path, 'utf8').split('\n')[0]);
  });

  it('a buffer given back serves the next file; one still in use does not', async () => {
    const first = await readInputNow({ path: join(dir, 'small.json'), size: 0 });
    const second = await readInputNow({ path: join(dir, 'small.json'), size: 0 });
    expect(second.buffer).not.toBe(first.buffer);
    expect(first.toString()).toBe('{"Records":[]}');
    releaseInput(first);
    const third = await readInputNow({ path: join(dir, 'small.json'), size: 0 });
    expect(third.buffer).toBe(first.buffer);
    // Bytes of any other origin are left alone.
    const other = Buffer.alloc(2 * 1024 * 1024);
    releaseInput(other);
    releaseInput(third);
    releaseInput(second);
    const fourth = await readInputNow({ path: join(dir, 'small.json'), size: 0 });
    expect(fourth.buffer).not.toBe(other.buffer);
    releaseInput(fourth);
  });
});
