/**
 * Whole-process rows of `npm run bench`: `trailguard replay <fn> --json` (bin/trailguard.js, as a user
 * runs it) against a node script doing gunzip + JSON.parse of the same input, and gunzip alone (the
 * floor), each a fresh process timed from spawn to exit, interleaved round by round so that drift on a
 * shared machine hits every row alike. Inputs: one big CloudTrail file (BENCH_WHOLE_MIB, default 268 MiB
 * uncompressed) and a folder of BENCH_WHOLE_FILES (default 150) one-MiB files cut from the same records.
 *
 * REPLAY_VARIANTS gives the replay rows: each entry is a label and the extra CLI arguments of a replay row
 * (`--threads 1`, and the default: as many threads as cores).
 *
 * On the folder, one more row per function: two `--threads 1` processes at once, each on every other file
 * (SPLIT_LABEL): a two-way split with no hand-off and nothing shared. Threads in one process pay the same
 * per-thread start, JIT compilation and garbage collection and add the hand-off, so this row is about the
 * best the default threads can do on two cores.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureDataFile, type GeneratedFile, MIB } from './generate-data';

export interface ReplayVariant {
  label: string;
  args: readonly string[];
}

/** Extra CLI arguments per replay row: everything on the main thread, and the default (the cores available). */
export const REPLAY_VARIANTS: readonly ReplayVariant[] = [
  { label: 'replay --json --threads 1', args: ['--threads', '1'] },
  { label: 'replay --json (default threads)', args: [] },
];

/** The label of the folder's two-process rows (about the best a two-way split can do). */
export const SPLIT_LABEL =
  'two `--threads 1` processes at once, every other file each (about the best of a two-way split)';

export interface WholeProcessRow {
  input: string;
  label: string;
  /** Median wall clock, ms. */
  ms: number;
  runs: number[];
  /** Reference ms / this row's ms, per round, median: above 1 is faster than gunzip + JSON.parse. */
  ratio: number;
  exitCodes: number[];
}

interface Input {
  name: string;
  path: string;
  rawBytes: number;
  records: number;
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The folder: `files` gzip files of ~1 MiB each, records taken in order from `big` (cycled, ids made unique). */
function ensureFolder(dataDir: string, big: GeneratedFile, files: number): Input {
  const dir = join(dataDir, `folder-${files}x1mb-from-${big.sizeMb}mb`);
  // Beside the folder, not in it: replay reads every file of the folder.
  const done = `${dir}.json`;
  if (existsSync(done)) {
    const meta = JSON.parse(readFileSync(done, 'utf8')) as { rawBytes: number; records: number };
    return { name: `folder of ${files} × 1 MiB`, path: dir, ...meta };
  }
  mkdirSync(dir, { recursive: true });
  const records = (JSON.parse(readFileSync(big.jsonPath, 'utf8')) as { Records: Record<string, unknown>[] }).Records;
  let next = 0;
  let rawBytes = 0;
  let count = 0;
  for (let file = 0; file < files; file++) {
    const texts: string[] = [];
    let size = 14;
    while (size < MIB) {
      const lap = Math.floor(next / records.length);
      const record = records[next % records.length];
      next++;
      const text = JSON.stringify(lap === 0 ? record : { ...record, eventID: `${lap}-${String(record.eventID)}` });
      texts.push(text);
      size += text.length + 1;
    }
    const json = `{"Records":[${texts.join(',')}]}`;
    rawBytes += json.length;
    count += texts.length;
    const stamp = String(file).padStart(4, '0');
    writeFileSync(join(dir, `111122223333_CloudTrail_us-east-1_20240603T${stamp}Z_bench.json.gz`), gzipSync(json));
  }
  writeFileSync(done, JSON.stringify({ rawBytes, records: count }));
  return { name: `folder of ${files} × 1 MiB`, path: dir, rawBytes, records: count };
}

function timeProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv): { ms: number; status: number } {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1024 * MIB });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: result.status ?? -1 };
}

/** The folder's files in two lists, every other file each. */
function splitFolder(dir: string): [string[], string[]] {
  const files = readdirSync(dir)
    .sort()
    .map((name) => join(dir, name));
  return [files.filter((_, k) => k % 2 === 0), files.filter((_, k) => k % 2 === 1)];
}

/** Processes started together, timed until the last exits; status: the first non-zero, else 0. */
async function timeTogether(
  argvs: readonly string[][],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; status: number }> {
  const start = process.hrtime.bigint();
  const statuses = await Promise.all(
    argvs.map(
      (args) =>
        new Promise<number>((resolve) => {
          const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'ignore'] });
          child.on('error', () => resolve(-1));
          child.on('exit', (code) => resolve(code ?? -1));
        }),
    ),
  );
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: statuses.find((code) => code !== 0) ?? 0 };
}

export async function measureWholeProcess(options: {
  root: string;
  dataDir: string;
  seed: number;
  functions: readonly string[];
  envFor: (fn: string) => NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<{ inputs: Input[]; rows: WholeProcessRow[]; bigMib: number; rounds: number }> {
  const bigMib = Number(process.env.BENCH_WHOLE_MIB ?? 268);
  const files = Number(process.env.BENCH_WHOLE_FILES ?? 150);
  const rounds = Math.max(1, Number(process.env.BENCH_WHOLE_ROUNDS ?? 3));
  const big = await ensureDataFile(options.dataDir, 'cloudtrail', options.seed, bigMib);
  const folder = ensureFolder(options.dataDir, big, files);
  const inputs: Input[] = [
    { name: `cloudtrail ${bigMib} MiB file`, path: big.gzPath, rawBytes: big.rawBytes, records: big.records },
    folder,
  ];
  const reference = join(options.root, 'dist', 'bench', 'parse-reference.cjs');
  const cli = join(options.root, 'bin', 'trailguard.js');
  const rows: WholeProcessRow[] = [];
  for (const input of inputs) {
    const halves = input === folder ? splitFolder(input.path) : undefined;
    options.log(`whole process: ${input.name} (${(input.rawBytes / MIB).toFixed(0)} MiB, ${input.records} records)`);
    const commands: { label: string; args: string[]; split?: string[][]; env: NodeJS.ProcessEnv }[] = [
      { label: 'reference: gunzip + JSON.parse', args: [reference, 'parse', input.path], env: options.envFor('') },
      { label: 'gunzip alone (the floor)', args: [reference, 'gunzip', input.path], env: options.envFor('') },
    ];
    for (const fn of options.functions)
      for (const variant of REPLAY_VARIANTS)
        commands.push({
          label: `${variant.label} ${fn}`,
          args: [cli, 'replay', fn, input.path, '--json', '--quiet', ...variant.args],
          env: options.envFor(fn),
        });
    if (halves)
      for (const fn of options.functions)
        commands.push({
          label: `${SPLIT_LABEL} ${fn}`,
          args: [],
          split: halves.map((files) => [cli, 'replay', fn, ...files, '--json', '--quiet', '--threads', '1']),
          env: options.envFor(fn),
        });
    const runs = commands.map(() => [] as number[]);
    const codes = commands.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++)
      for (const [k, command] of commands.entries()) {
        const { ms, status } = command.split
          ? await timeTogether(command.split, command.env)
          : timeProcess(process.execPath, command.args, command.env);
        runs[k].push(ms);
        codes[k].push(status);
      }
    commands.forEach((command, k) => {
      const ratios = runs[0].map((ms, round) => ms / runs[k][round]);
      const row: WholeProcessRow = {
        input: input.name,
        label: command.label,
        ms: median(runs[k]),
        runs: runs[k],
        ratio: median(ratios),
        exitCodes: [...new Set(codes[k])],
      };
      rows.push(row);
      options.log(
        `  ${row.label}: ${row.ms.toFixed(0)} ms (${row.runs.map((ms) => ms.toFixed(0)).join(', ')}), ${row.ratio.toFixed(2)}× of the reference, exit ${row.exitCodes.join('/')}`,
      );
    });
  }
  return { inputs, rows, bigMib, rounds };
}
