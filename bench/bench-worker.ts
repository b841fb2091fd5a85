/**
 * One measurement in a fresh process, so that peak RSS (`process.resourceUsage().maxRSS`) belongs to
 * that measurement alone. Prints one JSON line on stdout; everything the pipeline would print goes to
 * discarding writers.
 *
 *   node dist/bench/bench-worker.js baseline <file.json.gz> <iterations> [warm-up iterations]
 *   node dist/bench/bench-worker.js pipeline <function> <file.json.gz> <iterations> [warm-up iterations]
 *   node dist/bench/bench-worker.js verify <function> <file.json.gz>
 *   node dist/bench/bench-worker.js compare <function> <file.json.gz> <iterations> [warm-up iterations]
 *
 * Timings start with the file's bytes in memory (read before the clock starts) and end when the last
 * alert has gone to the sink, so baseline and pipeline cover the same work boundary. With several
 * iterations the median is reported: the best one flatters whichever reader had the luckiest garbage
 * collection. Small files get warm-up iterations first (not reported), so they are measured with the
 * JIT warm, as a busy function instance runs; big files amortize that within one pass. Peak RSS is
 * over the whole process either way.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DETECTORS } from '../functions/registry';
import type { Detector } from '../shared/detect/detector';
import { createLogger } from '../shared/platform/logger';
import { DetectionRun } from '../shared/pipeline';
import { invokeDetector } from '../shared/platform/invoke';
import { publishAlerts } from '../shared/sinks/publish-alerts';
import { createStdoutSink } from '../shared/sinks/stdout-sink';

export interface WorkerResult {
  mode: string;
  /** Median iteration, milliseconds. */
  ms: number;
  /** Every iteration, milliseconds. */
  runs: number[];
  records: number;
  /** Peak resident set size of this process, bytes. */
  maxRssBytes: number;
  alerts?: number;
  findings?: number;
  rejected?: number;
  duplicates?: number;
  error?: string;
}

const discard = { write(): void {} };

function finish(result: Omit<WorkerResult, 'maxRssBytes'>): void {
  const out: WorkerResult = { ...result, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function countRecords(value: unknown): number {
  if (value && typeof value === 'object') {
    const object = value as { Records?: unknown[]; traces?: unknown[] };
    if (Array.isArray(object.Records)) return object.Records.length;
    if (Array.isArray(object.traces)) return object.traces.length;
  }
  return Array.isArray(value) ? value.length : 1;
}

/** The reference: what any tool reading a CloudTrail file must at least do. */
function baseline(file: string, iterations: number, warmup: number): void {
  const bytes = readFileSync(file);
  const runs: number[] = [];
  let records = 0;
  for (let i = 0; i < warmup + iterations; i++) {
    const start = process.hrtime.bigint();
    const parsed: unknown = JSON.parse(gunzipSync(bytes).toString('utf8'));
    records = countRecords(parsed);
    if (i >= warmup) runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  finish({ mode: 'baseline', ms: median(runs), runs, records });
}

async function pipeline(name: string, file: string, iterations: number, warmup: number): Promise<void> {
  const detector = (Object.hasOwn(DETECTORS, name) ? DETECTORS[name as keyof typeof DETECTORS] : undefined) as
    | Detector<unknown>
    | undefined;
  if (!detector) throw new Error(`no detector ${name} in functions/registry.ts`);
  const config = detector.loadConfig(process.env);
  const bytes = readFileSync(file);
  const cts = file.includes('/cts-') || file.includes('\\cts-');
  // info, as deployed (an `alert published` line per alert); BENCH_LOG_LEVEL=warn shows what those lines cost.
  const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'info', name: detector.name }, discard);
  const sinks = () => [createStdoutSink(() => undefined)];
  const runs: number[] = [];
  let last: Omit<WorkerResult, 'mode' | 'ms' | 'runs' | 'maxRssBytes'> = { records: 0 };
  for (let i = 0; i < warmup + iterations; i++) {
    const start = process.hrtime.bigint();
    if (cts) {
      // The replay path (FunctionGraph receives traces one by one; a CTS batch file is replayed).
      const run = new DetectionRun(detector, config, {});
      await run.ingestBytes(bytes, 'cts-traces.json.gz');
      const alerts = run.alerts();
      if (alerts.length > 0) await publishAlerts(alerts, sinks(), log);
      last = {
        records: run.stats.records,
        alerts: alerts.length,
        findings: run.stats.findings,
        rejected: run.stats.rejected,
        duplicates: run.stats.duplicates,
      };
    } else {
      // The Lambda log-file path: an S3 ObjectCreated notification, the object fetched, then the pipeline.
      const result = await invokeDetector(detector, config, s3Notification(), {
        log,
        sinks,
        fetchObject: async () => bytes,
      });
      last = {
        records: result.records,
        alerts: result.alerts,
        rejected: result.rejected,
        duplicates: result.duplicates,
      };
    }
    if (i >= warmup) runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  finish({ mode: `pipeline:${name}`, ms: median(runs), runs, ...last });
}

/**
 * The record-at-a-time reader (decodeInput's recordList, used from RECORD_LIST_BYTES on) must give exactly
 * what parsing the whole document gives: same stats, rejections, alerts, callbacks. Both, on this file; and
 * the record-at-a-time reader with the detector's prefilter the same as without it (every record parsed).
 */
async function verify(name: string, file: string): Promise<void> {
  const detector = (Object.hasOwn(DETECTORS, name) ? DETECTORS[name as keyof typeof DETECTORS] : undefined) as
    | Detector<unknown>
    | undefined;
  if (!detector) throw new Error(`no detector ${name} in functions/registry.ts`);
  const config = detector.loadConfig(process.env);
  const bytes = readFileSync(file);
  const outcomes: string[] = [];
  let records = 0;
  for (const [recordListBytes, prefilter] of [
    [0, true],
    [Number.POSITIVE_INFINITY, true],
    [0, false],
  ] as const) {
    const calls: string[] = [];
    const run = new DetectionRun(detector, config, {
      recordListBytes,
      prefilter,
      onRejected: (rejected) => calls.push(`rejected ${JSON.stringify(rejected)}`),
      onFindings: (findings) =>
        calls.push(`findings ${findings.map((finding) => `${finding.rule}/${finding.event.id}`).join(',')}`),
    });
    await run.ingestBytes(bytes, file);
    records = run.stats.records;
    outcomes.push(JSON.stringify({ stats: run.stats, alerts: run.alerts(), calls }));
  }
  const equal = outcomes[0] === outcomes[1];
  const prefiltered = outcomes[0] === outcomes[2];
  finish({
    mode: `verify:${name}`,
    ms: 0,
    runs: [],
    records,
    ...(equal ? {} : { error: 'record-at-a-time reader differs from whole-document reader' }),
    ...(prefiltered ? {} : { error: 'the prefilter changes the outcome (stats, rejections, findings or alerts)' }),
  });
}

/**
 * One process, interleaved: baseline, the pipeline with every record parsed, the pipeline with the
 * detector's prefilter; `iterations` rounds after `warmup`. Ratios of medians taken in the same process
 * hold on a loaded machine, where separate processes' timings drift apart.
 */
async function compare(name: string, file: string, iterations: number, warmup: number): Promise<void> {
  const detector = (Object.hasOwn(DETECTORS, name) ? DETECTORS[name as keyof typeof DETECTORS] : undefined) as
    | Detector<unknown>
    | undefined;
  if (!detector) throw new Error(`no detector ${name} in functions/registry.ts`);
  const config = detector.loadConfig(process.env);
  const bytes = readFileSync(file);
  const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'info', name: detector.name }, discard);
  const sinks = () => [createStdoutSink(() => undefined)];
  const times: Record<'baseline' | 'parsed' | 'prefiltered', number[]> = { baseline: [], parsed: [], prefiltered: [] };
  let records = 0;
  let alerts = 0;
  for (let i = 0; i < warmup + iterations; i++) {
    let start = process.hrtime.bigint();
    records = countRecords(JSON.parse(gunzipSync(bytes).toString('utf8')));
    if (i >= warmup) times.baseline.push(Number(process.hrtime.bigint() - start) / 1e6);
    for (const prefilter of [false, true]) {
      start = process.hrtime.bigint();
      const run = new DetectionRun(detector, config, { prefilter });
      await run.ingestBytes(bytes, file);
      const built = run.alerts();
      if (built.length > 0) await publishAlerts(built, sinks(), log);
      alerts = built.length;
      if (i >= warmup) times[prefilter ? 'prefiltered' : 'parsed'].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const out = {
    mode: `compare:${name}`,
    ms: median(times.prefiltered),
    runs: times.prefiltered,
    records,
    alerts,
    baselineMs: median(times.baseline),
    parsedMs: median(times.parsed),
  };
  finish(out);
}

function s3Notification(): unknown {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2024-06-03T17:25:00.000Z',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: 'acme-logs-prod' },
          object: {
            key: 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/06/03/111122223333_CloudTrail_us-east-1_20240603T1725Z_bench.json.gz',
            size: 1,
          },
        },
      },
    ],
  };
}

async function main(argv: string[]): Promise<void> {
  const [mode, ...args] = argv;
  if (mode === 'baseline') return baseline(args[0], Number(args[1] ?? 1), Number(args[2] ?? 0));
  if (mode === 'pipeline') return pipeline(args[0], args[1], Number(args[2] ?? 1), Number(args[3] ?? 0));
  if (mode === 'verify') return verify(args[0], args[1]);
  if (mode === 'compare') return compare(args[0], args[1], Number(args[2] ?? 10), Number(args[3] ?? 5));
  throw new Error(`unknown mode ${String(mode)}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stdout.write(
    `${JSON.stringify({ mode: process.argv[2], error: error instanceof Error ? error.message : String(error) })}\n`,
  );
  process.exitCode = 1;
});
