/**
 * `replay --threads N` through the built CLI: a generated folder (log files with cross-file duplicates,
 * a corrupt gzip, a truncated one, one that is blank after gunzip, a bomb over MAX_DECOMPRESSED_MB, a plain
 * file) and one big file (read one record at a time) give the same stdout, the same stderr and the same
 * exit code with 1, 2 and 4 threads.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fixture } from './support/fixtures';
import { runCli } from './support/run-cli';
import { buildBundles } from './support/build-once';

type LogFile = { Records: Array<Record<string, unknown> & { eventID: string }> };
const base = fixture('aws/envelope-cloudtrail-log-file.json') as LogFile;

function records(tag: string, copies: number): LogFile['Records'] {
  const out: LogFile['Records'] = [];
  for (let c = 0; c < copies; c++)
    for (const record of base.Records)
      out.push({ ...structuredClone(record), eventID: `${record.eventID}-${tag}-${c}` });
  return out;
}

let dir: string;
let folder: string;
let big: string;

beforeAll(() => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'trailguard-threads-'));
  folder = join(dir, 'AWSLogs');
  mkdirSync(folder);
  for (let i = 0; i < 40; i++) {
    const list = records(`f${i}`, 20);
    // Every fifth file re-delivers the first records of the file before it (CloudTrail does).
    if (i % 5 === 4) list.push(...records(`f${i - 1}`, 2));
    writeFileSync(
      join(folder, `file-${String(i).padStart(2, '0')}.json.gz`),
      gzipSync(JSON.stringify({ Records: list })),
    );
  }
  const good = gzipSync(JSON.stringify({ Records: records('cut', 3) }));
  writeFileSync(join(folder, 'file-40-truncated.json.gz'), good.subarray(0, good.length - 20));
  writeFileSync(join(folder, 'file-41-corrupt.json.gz'), Buffer.concat([good.subarray(0, 10), Buffer.alloc(200, 7)]));
  writeFileSync(join(folder, 'file-42-blank.json.gz'), gzipSync(' \n\t '.repeat(2000)));
  writeFileSync(join(folder, 'file-43-bomb.json.gz'), gzipSync(Buffer.alloc(3 * 1024 * 1024, 0x20)));
  writeFileSync(join(folder, 'file-44-plain.json'), JSON.stringify({ Records: records('plain', 2) }));
  writeFileSync(
    join(folder, 'file-45-bad-record.json.gz'),
    gzipSync(JSON.stringify({ Records: [1, ...records('bad', 1)] })),
  );
  // Over 32 MB unpacked: the pipeline reads it one record at a time.
  big = join(dir, 'big.json.gz');
  writeFileSync(big, gzipSync(JSON.stringify({ Records: records('big', 7000) })));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ENV = { IP_WHITELIST: '203.0.113.0/24', RULE_SETS: 'all', MAX_DECOMPRESSED_MB: '2' };

describe('replay --threads', () => {
  it.each([
    ['login-whitelist', 'folder'],
    ['unauthorized-api', 'folder'],
    ['unauthorized-api', 'big file'],
  ])(
    '%s over the %s: the same alerts, order, messages and exit code with 1, 2 and 4 threads',
    async (fn, what) => {
      // A big file and a small one: with one file alone, replay does not start workers.
      const input = what === 'folder' ? [folder] : [big, join(folder, 'file-00.json.gz')];
      const runs = [];
      for (const threads of ['1', '2', '4'])
        runs.push(
          await runCli(['replay', fn, ...input, '--json', '--threads', threads], {
            env: what === 'folder' ? ENV : { ...ENV, MAX_DECOMPRESSED_MB: '512' },
            timeoutMs: 240_000,
          }),
        );
      const [one, two, four] = runs;
      expect(one.stdout.length).toBeGreaterThan(0);
      if (what === 'folder') {
        expect(one.code).toBe(1);
        expect(one.stderr).toMatch(/truncated gzip/);
        expect(one.stderr).toMatch(/invalid gzip/);
        expect(one.stderr).toMatch(/empty input \(after gunzip\)/);
        expect(one.stderr).toMatch(/decompressed size exceeds/);
        expect(one.stderr).toMatch(/duplicate/);
      } else {
        expect(one.code).toBe(0);
        expect(one.stderr).toMatch(/: 2 file\(s\), 35100 record\(s\)/);
      }
      for (const other of [two, four]) {
        expect(other.code).toBe(one.code);
        expect(other.stdout).toBe(one.stdout);
        expect(other.stderr).toBe(one.stderr);
      }
    },
    600_000,
  );

  it('--threads 0 is a usage error', async () => {
    const run = await runCli(['replay', 'login-whitelist', folder, '--threads', '0'], { env: ENV });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--threads 0: a whole number from 1 to 256/);
  });
});
