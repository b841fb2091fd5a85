/**
 * `replay --threads N` through the built CLI (bin/trailguard.js → dist/cli/, the shipped artifact, whose
 * worker threads run dist/cli/replay-worker.js): a generated folder (log files with cross-file duplicates,
 * a corrupt gzip, a truncated one, one that is blank after gunzip, a bomb over MAX_DECOMPRESSED_MB, a
 * nested bomb whose outer and inner gunzip only together pass the cap, a plain file, bad records) and one
 * big file (read in parts over the threads, with malformed records and re-delivered ones across parts)
 * give the same stdout, the same stderr (rejections with their positions, --stats) and the same exit code
 * with 1, 2 and 4 threads. With 2 threads the worker only reads, gunzips and scans each file (a `decode`
 * job) and the main thread does the rest; with more, each worker does all of a file's work.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fixture } from './support/fixtures';
import { apiCallText, awslogsEnvelope } from './support/hostile-inputs';
import { ROOT, runCli } from './support/run-cli';
import { buildBundles } from './support/build-once';
import { offerAhead, startReplayWorkers } from '../cli/replay-workers';

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
  // More rejections than are listed in full, all in one file (a worker lists the first ones only).
  writeFileSync(
    join(folder, 'file-47-many-bad.json.gz'),
    gzipSync(JSON.stringify({ Records: [...Array.from({ length: 150 }, () => 1), ...records('many', 1)] })),
  );
  // With two threads a worker gunzips and scans each file and the main thread does the rest: the kinds of
  // file that take another way there (a byte-order mark, NDJSON, a CTS trace list, a second member).
  writeFileSync(
    join(folder, 'file-48-bom.json.gz'),
    gzipSync(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ Records: records('bom', 2) }))]),
    ),
  );
  writeFileSync(
    join(folder, 'file-49-ndjson.json.gz'),
    gzipSync(
      records('nd', 2)
        .map((record) => JSON.stringify(record))
        .join('\n'),
    ),
  );
  writeFileSync(
    join(folder, 'file-50-cts.json.gz'),
    gzipSync(JSON.stringify({ traces: [fixture('huaweicloud/cts-api-call-forbidden.json'), 7] })),
  );
  writeFileSync(
    join(folder, 'file-51-second-member.json.gz'),
    gzipSync(JSON.stringify({ Records: records('second', 1), extra: true })),
  );
  // 1.2 MiB outer and 1.2 MiB inner: each fits MAX_DECOMPRESSED_MB=2, together they do not.
  writeFileSync(
    join(folder, 'file-46-nested-bomb.json.gz'),
    gzipSync(awslogsEnvelope([apiCallText('nested') + ' '.repeat(1_200_000)]) + ' '.repeat(1_200_000)),
  );
  // Over 32 MB unpacked: read in parts with several threads. Malformed records and re-deliveries of
  // records from far back are spread over the parts, so their positions are renumbered across parts.
  const list: unknown[] = records('big', 7000);
  for (let at = 100; at < list.length; at += 4321)
    list.splice(at, 0, 1, { eventVersion: '1.08', eventID: `bad-${at}` });
  for (let at = 30_000; at < list.length; at += 3000) list.splice(at, 0, structuredClone(list[at - 25_000]));
  big = join(dir, 'big.json.gz');
  writeFileSync(big, gzipSync(JSON.stringify({ Records: list })));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The shipped CLI, copied, whose worker runs `lines` (with `parentPort` in scope; their listeners run
 * before the real worker's) and then the real worker bundle. Its CLI bundle's path.
 */
function cliWithWorkerPrelude(lines: string[]): string {
  const copy = mkdtempSync(join(dir, 'dist-'));
  // The geo databases too (dist/geo, beside dist/cli): without them alerts carry no geo fields.
  for (const part of ['cli', 'geo']) cpSync(join(ROOT, 'dist', part), join(copy, part), { recursive: true });
  renameSync(join(copy, 'cli', 'replay-worker.js'), join(copy, 'cli', 'replay-worker-real.js'));
  writeFileSync(
    join(copy, 'cli', 'replay-worker.js'),
    [
      "const { parentPort } = require('node:worker_threads');",
      ...lines,
      "require('./replay-worker-real.js');",
      '',
    ].join('\n'),
  );
  return join(copy, 'cli', 'trailguard.js');
}

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
      const input = what === 'folder' ? [folder] : [big];
      const runs = [];
      for (const threads of ['1', '2', '4'])
        runs.push(
          await runCli(['replay', fn, ...input, '--json', '--stats', '--threads', threads], {
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
        // The nested bomb: the whole file's budget covers the outer and the inner gunzip, whatever the threads.
        expect(one.stderr).toMatch(/file-46-nested-bomb\.json\.gz.*decompressed size exceeds 2097152 bytes/);
        expect(one.stderr).toMatch(/rejected: … and \d+ more/);
      } else {
        expect(one.code).toBe(1);
        expect(one.stderr).toMatch(/big\.json\.gz#Records\[100\]: /);
        expect(one.stderr).toMatch(/big\.json\.gz#Records\[3\d{4}\]/);
        expect(one.stderr).toMatch(/: 1 file\(s\), 350\d\d record\(s\).*, [1-9]\d* duplicate\(s\)/);
      }
      for (const other of [two, four]) {
        expect(other.code).toBe(one.code);
        expect(other.stdout).toBe(one.stdout);
        expect(other.stderr).toBe(one.stderr);
      }
    },
    600_000,
  );

  it("a worker that dies loses nothing: its files come back as the main thread's to read", async () => {
    const script = join(dir, 'dying-worker.js');
    writeFileSync(
      script,
      "const { parentPort } = require('node:worker_threads');\nparentPort.postMessage('ready');\nparentPort.on('message', () => process.exit(3));\n",
    );
    const files = ['a', 'b', 'c', 'd'].map((name) => ({ path: join(folder, `${name}.json`), size: 10 }));
    const workers = startReplayWorkers(2, script, { functionName: 'login-whitelist', env: {} });
    try {
      // Jobs go to ready workers only: once both said so, each gets a file and dies on it.
      expect(await workers.room()).toBe(true);
      const ahead = offerAhead(files, workers);
      for (const index of files.keys()) expect(await ahead.take(index)).toBeUndefined();
      // A worker still alive (the second may have become ready only now) gets a job and dies on it too.
      for (let k = 0; k < 20 && (await workers.room()); k++) {
        const job = workers.tryFile(files[0].path);
        if (job) expect(await job).toEqual({ lost: true });
      }
      expect(await workers.room()).toBe(false);
      expect(workers.tryFile(files[0].path)).toBeUndefined();
    } finally {
      await workers.close();
    }
  });

  it.each([
    ['folder', 2],
    ['folder', 5],
    ['big file', 2],
  ] as const)(
    'a worker that dies mid-replay (%s, at its message %i) loses nothing: the same output and exit code as --threads 1',
    async (what, dieAt) => {
      // The shipped CLI, copied, with a worker that hands its first messages to the real worker bundle and
      // exits as message `dieAt` arrives (its listener runs first), with earlier jobs possibly in flight.
      const cli = cliWithWorkerPrelude([
        'let seen = 0;',
        "parentPort.on('message', () => { if (++seen === Number(process.env.DIE_AT)) process.exit(3); });",
      ]);
      const env = what === 'folder' ? ENV : { ...ENV, MAX_DECOMPRESSED_MB: '512' };
      const args = ['replay', 'unauthorized-api', what === 'folder' ? folder : big, '--json', '--stats'];
      const one = await runCli([...args, '--threads', '1'], { env, timeoutMs: 240_000 });
      const dying = await runCli([...args, '--threads', '2'], {
        env: { ...env, DIE_AT: String(dieAt) },
        timeoutMs: 240_000,
        cli,
      });
      expect(one.stdout.length).toBeGreaterThan(0);
      expect(dying.code).toBe(one.code);
      expect(dying.stdout).toBe(one.stdout);
      expect(dying.stderr).toBe(one.stderr);
    },
    600_000,
  );

  it('two threads split each file (decode jobs), more give each worker whole files', async () => {
    // The shipped CLI, copied, with a worker that notes the type of each job it gets, then does it.
    const cli = cliWithWorkerPrelude([
      "const { appendFileSync } = require('node:fs');",
      "parentPort.on('message', (job) => appendFileSync(process.env.JOB_LOG, job.type + '\\n'));",
    ]);
    const types: Record<string, string[]> = {};
    for (const threads of ['2', '3']) {
      const log = join(dir, `jobs-${threads}.log`);
      writeFileSync(log, '');
      const run = await runCli(['replay', 'unauthorized-api', folder, '--json', '--threads', threads], {
        env: { ...ENV, JOB_LOG: log },
        timeoutMs: 240_000,
        cli,
      });
      expect(run.code).toBe(1);
      types[threads] = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
    }
    // With two threads the spare buffers the decoded files came in go back to the worker, too.
    expect(types).toEqual({ '2': ['decode', 'spare'], '3': ['file'] });
  });

  it('a folder with no readable log file (empty, or one dangling link): the same answer with 1, 2 and 4 threads', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const dangling = mkdtempSync(join(dir, 'dangling-'));
    symlinkSync(join(dir, 'no-such-file.json.gz'), join(dangling, 'gone.json.gz'));
    for (const [input, code] of [
      [empty, 0],
      [dangling, 1],
    ] as const) {
      const runs = [];
      for (const threads of ['1', '2', '4'])
        runs.push(await runCli(['replay', 'login-whitelist', input, '--json', '--threads', threads], { env: ENV }));
      expect(runs[0].code).toBe(code);
      expect(runs[0].stderr).toMatch(/0 file\(s\), 0 record\(s\)/);
      // The empty folder is said to be empty; the dangling link is a problem of its own, said instead.
      expect(runs[0].stderr.includes(`warning: ${input}: no log files in this folder`)).toBe(input === empty);
      for (const run of runs) {
        // With threads, deciding whether to start workers once read the first of no files (a TypeError).
        expect(run.stderr).not.toMatch(/Cannot read properties/);
        expect([run.code, run.stdout, run.stderr]).toEqual([runs[0].code, runs[0].stdout, runs[0].stderr]);
      }
    }
  });

  it('the worker bin/trailguard.js starts early (a folder, threads) is adopted, or ended when not needed', async () => {
    const one = mkdtempSync(join(dir, 'one-file-'));
    cpSync(join(folder, 'file-00.json.gz'), join(one, 'file-00.json.gz'));
    // A folder of one file needs no worker: the early one is ended, and the answer is that of one thread.
    const runs = [];
    for (const threads of ['--threads=1', '--threads=2', '--threads'])
      runs.push(
        await runCli(
          ['replay', 'login-whitelist', one, '--json', ...(threads === '--threads' ? ['--threads', '2'] : [threads])],
          { env: ENV },
        ),
      );
    for (const run of runs)
      expect([run.code, run.stdout, run.stderr]).toEqual([runs[0].code, runs[0].stdout, runs[0].stderr]);
    expect(runs[0].stdout.length).toBeGreaterThan(0);
    // A config error ends the replay before any worker is adopted: it says so and exits, nothing hangs.
    const bad = await runCli(['replay', 'login-whitelist', folder, '--threads', '2'], {
      env: { ...ENV, IP_WHITELIST: 'not-an-address' },
      timeoutMs: 30_000,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/IP_WHITELIST/);
    // A path under a file (ENOTDIR from stat): the replay's own answer, as with one thread, not a crash of the bin.
    const under = [];
    for (const threads of ['1', '2'])
      under.push(
        await runCli(['replay', 'login-whitelist', join(big, 'x'), folder, '--threads', threads], { env: ENV }),
      );
    expect(under[0].stderr).not.toMatch(/ENOTDIR.*\n\s+at /);
    expect([under[1].code, under[1].stdout, under[1].stderr]).toEqual([
      under[0].code,
      under[0].stdout,
      under[0].stderr,
    ]);
    // --help with a folder: no replay at all.
    const help = await runCli(['replay', folder, '--help'], { env: ENV, timeoutMs: 30_000 });
    expect(help.code).toBe(0);
  });

  it('--threads 0 is a usage error', async () => {
    const run = await runCli(['replay', 'login-whitelist', folder, '--threads', '0'], { env: ENV });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--threads 0: a whole number from 1 to 256/);
  });
});
