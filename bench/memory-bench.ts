/**
 * The memory stage's cost, printed, and with `--write` made the last section of bench/results.md (npm run bench runs it last):
 * - added latency per single-event invocation (the remember step: claim + window update), p50 / p99,
 *   for the in-process store, DynamoDB (dynalite, an emulator on loopback) and Redis (redis-server on
 *   loopback, when installed);
 * - replay throughput with the memory stage (--state memory) against without it, on a generated
 *   10 MiB CloudTrail file: the ratio must stay near 1.
 * Nothing here is asserted; targets are printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import type { FindingGroup } from '../shared/detect/detector';
import { createDynamoDbStore, STATE_TABLE_DEFINITION } from '../shared/memory/dynamodb-store';
import { loadMemoryConfig } from '../shared/memory/memory-config';
import { type MemoryStage, rememberGroups } from '../shared/memory/memory-stage';
import { createMemoryStore } from '../shared/memory/memory-store';
import { createRedisStore } from '../shared/memory/redis-store';
import type { StateStore } from '../shared/memory/state-store';
import { ConfigProblems } from '../shared/platform/env-config';
import { DetectionRun } from '../shared/pipeline';
import { ensureDataFile } from './generate-data';

const ROOT = join(__dirname, '..', '..');
const INVOCATIONS = Number(process.env.BENCH_MEMORY_INVOCATIONS ?? 400);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function group(id: string, principal: string): FindingGroup {
  const event = {
    id,
    time: '2026-11-24T10:00:00.000Z',
    cloud: 'aws',
    source: 'cloudtrail',
    service: 'ec2.amazonaws.com',
    action: 'RunInstances',
    category: 'api-call',
    outcome: 'failure',
    actor: { type: 'IAMUser', arn: principal },
    sourceAddress: '198.51.100.7',
    sourceAddressKind: 'ipv4',
    sourceIp: '198.51.100.7',
    raw: {},
  } as const;
  return {
    rule: 'unauthorized-api-calls',
    severity: 'high',
    groupKey: `unauthorized-api-calls\u0000${principal}`,
    first: structuredClone(event) as never,
    eventIds: [id],
    count: 1,
  };
}

async function latency(store: StateStore): Promise<{ p50: number; p99: number }> {
  const problems = new ConfigProblems();
  const stage: MemoryStage = { config: loadMemoryConfig({ STATE_TIMEOUT: '10s' }, problems), store: async () => store };
  const config = unauthorizedApi.loadConfig({ METRIC_MODE: 'off' });
  const times: number[] = [];
  const now = Date.now();
  for (let i = 0; i < INVOCATIONS + 20; i++) {
    // A mix: one principal storming (held), and new principals (first alerts).
    const principal = i % 4 === 0 ? `arn:aws:iam::1:user/new-${i}` : 'arn:aws:iam::1:user/storm';
    const started = process.hrtime.bigint();
    await rememberGroups(unauthorizedApi, config, [group(`bench-${i}`, principal)], stage, now + i);
    if (i >= 20) times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function withDynalite<T>(run: (store: StateStore) => Promise<T>): Promise<T | string> {
  let dynalite: (options: object) => import('node:http').Server;
  try {
    dynalite = require('dynalite');
  } catch {
    return 'dynalite not installed (npm ci)';
  }
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  const { DynamoDBClient, CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
  const admin = new DynamoDBClient({ region: 'us-east-1', endpoint });
  await admin.send(new CreateTableCommand({ TableName: 'bench', ...structuredClone(STATE_TABLE_DEFINITION) } as never));
  admin.destroy();
  const store = await createDynamoDbStore({ table: 'bench', region: 'us-east-1', endpoint, requestTimeoutMs: 10_000 });
  try {
    return await run(store);
  } finally {
    await store.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function withRedis<T>(run: (store: StateStore) => Promise<T>): Promise<T | string> {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (found.status !== 0) return 'redis-server not installed';
  const port = await freePort();
  const child = spawn(found.stdout.trim(), ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => /ready to accept/i.test(chunk.toString()) && resolve()),
  );
  const store = await createRedisStore({ url: `redis://127.0.0.1:${port}`, timeoutMs: 10_000 });
  try {
    return await run(store);
  } finally {
    await store.close();
    child.kill('SIGTERM');
  }
}

/** Rounds of the replay comparison, after WARMUP_ROUNDS untimed ones. */
const REPLAY_ROUNDS = 15;
const WARMUP_ROUNDS = 2;

/**
 * The same replay without and with the memory stage, in turns (which goes first alternates), each after a
 * full collection where `--expose-gc` allows it: garbage one run left is otherwise collected in the next,
 * which moved single rounds by more than the stage costs. The ratio is the median of the rounds' ratios.
 */
async function replayThroughput(): Promise<{ records: number; without: number; withMemory: number; ratio: number }> {
  const file = await ensureDataFile(join(ROOT, 'bench', 'data'), 'cloudtrail', 42, 10);
  const bytes = readFileSync(file.gzPath);
  const config = unauthorizedApi.loadConfig({ METRIC_MODE: 'off', RULE_SETS: 'all' });
  const problems = new ConfigProblems();
  const memoryConfig = loadMemoryConfig({ THRESHOLDS: 'CloudWatch.3=3/1h' }, problems);
  const collect = (globalThis as { gc?: () => void }).gc;
  const timings = { without: [] as number[], withMemory: [] as number[] };
  const ratios: number[] = [];
  let records = 0;
  for (let round = 0; round < WARMUP_ROUNDS + REPLAY_ROUNDS; round++) {
    const modes = round % 2 === 0 ? (['without', 'withMemory'] as const) : (['withMemory', 'without'] as const);
    const took = { without: 0, withMemory: 0 };
    for (const mode of modes) {
      collect?.();
      const started = process.hrtime.bigint();
      const run = new DetectionRun(unauthorizedApi, config, {});
      await run.ingestBytes(gunzipSync(bytes), file.gzPath);
      if (mode === 'without') run.alerts();
      else {
        const stage: MemoryStage = { config: memoryConfig, store: async () => createMemoryStore() };
        await rememberGroups(unauthorizedApi, config, run.groups(), stage, Date.now());
      }
      records = run.stats.records;
      took[mode] = Number(process.hrtime.bigint() - started) / 1e6;
    }
    if (round < WARMUP_ROUNDS) continue;
    timings.without.push(took.without);
    timings.withMemory.push(took.withMemory);
    ratios.push(took.without / took.withMemory);
  }
  return {
    records,
    without: percentile(timings.without, 50),
    withMemory: percentile(timings.withMemory, 50),
    ratio: percentile(ratios, 50),
  };
}

async function main(): Promise<void> {
  const rows: string[] = [];
  const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2));
  for (const [name, measure] of [
    ['memory (in-process)', async () => latency(createMemoryStore())],
    ['DynamoDB (dynalite emulator, loopback)', () => withDynalite(latency)],
    ['Redis (redis-server, loopback)', () => withRedis(latency)],
  ] as const) {
    const result = await measure();
    rows.push(
      typeof result === 'string'
        ? `| ${name} | – | – | skipped: ${result} |`
        : `| ${name} | ${fmt(result.p50)} | ${fmt(result.p99)} | ${INVOCATIONS} single-event invocations, 3 of 4 held in one window |`,
    );
  }
  const replay = await replayThroughput();
  const { ratio } = replay;
  const md = [
    '',
    '## Memory stage',
    '',
    'Generated by bench/memory-bench.ts (the last step of `npm run bench`). Added latency: the remember step of one',
    'single-event invocation (event claim, window update, alert building), wall clock. dynalite is an emulator written',
    'in JavaScript on LevelDB and is much slower than DynamoDB; its row shows the round trips, not DynamoDB latency.',
    '',
    '| store | added p50 ms | added p99 ms | notes |',
    '|---|---:|---:|---|',
    ...rows,
    '',
    `Replay throughput, unauthorized-api with every built-in rule on a 10 MiB CloudTrail file (${replay.records} records),`,
    `${REPLAY_ROUNDS} rounds after ${WARMUP_ROUNDS} of warm-up, each run after a full GC${(globalThis as { gc?: unknown }).gc ? '' : ' (not here: run without --expose-gc)'}; medians: without the memory stage`,
    `${fmt(replay.without)} ms, with \`--state memory\` (and a threshold) ${fmt(replay.withMemory)} ms: **${ratio.toFixed(2)}×** (the median round's ratio; target ≥ 0.95×: ${ratio >= 0.95 ? 'PASS' : 'FAIL'}).`,
    '',
  ];
  // Written only when asked (`--write`), like the rest of results.md, which is tracked. The section is the
  // file's last: replaced when run again, never duplicated.
  if (process.argv.includes('--write')) {
    const results = join(ROOT, 'bench', 'results.md');
    const before = existsSync(results) ? readFileSync(results, 'utf8') : '';
    const cut = before.indexOf('\n## Memory stage\n');
    writeFileSync(results, (cut === -1 ? before : before.slice(0, cut)) + md.join('\n'));
  }
  process.stdout.write(`${md.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
