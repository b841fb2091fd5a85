/**
 * `trailguard replay <function> <path...>`: runs a function's pipeline over files or folders of any
 * supported envelope, prints the alerts, and publishes nothing unless `--sink` says so.
 * Exit codes: 0 ran fine (alerts or not), also when stdout's reader went away; 2 usage or
 * configuration error; 1 some input could not be processed or a publish failed (everything else was
 * still processed and reported).
 */
import { readFileSync } from 'node:fs';
import type { Alert, AlertSink } from '../shared/alert/alert';
import { Command, Option } from 'commander';
import { readEnv, type Env } from '../shared/platform/env-config';
import { ConfigError, errorMessage } from '../shared/errors';
import { capMessage, inlineValue } from '../shared/alert/alert-text';
import { createLogger, type LogLevel, redactText } from '../shared/platform/logger';
import { loadFunctionConfig } from '../shared/platform/load-function-config';
import { DetectionRun } from '../shared/pipeline';
import { publishAlerts } from '../shared/sinks/publish-alerts';
import type { SinkConfig } from '../shared/sinks/sink-config';
import { createAlertSinks, type SmnAuth } from '../shared/sinks/create-sinks';
import { alertJsonLine } from '../shared/sinks/stdout-sink';
import { snsSinkFor } from '../shared/sinks/sns-sink';
import { DETECTORS, detectorNames } from '../functions/registry';
import { bindGeoRule, metricCounter } from '../shared/detect/detector';
import { createEnricher, listAccountsWithSdk } from '../shared/enrich/enricher';
import { nodeGeoFiles } from '../shared/enrich/geo-database';
import { createS3Fetcher, s3ClientsByRegion } from '../shared/platform/s3-fetch';
import { REPORTED_IN_FULL, type RunStats } from '../shared/pipeline';
import { collectInputFiles, type InputFile, readInput, readInputNow, releaseInput } from './read-inputs';
import {
  bucketClientOptions,
  bucketUrlProblem,
  createStreamReadAhead,
  type ListedObjects,
  listBucketPages,
  listingProblem,
  objectReader,
  parseKeyDate,
} from './s3-inputs';
import { SingleBar } from 'cli-progress';
import {
  defaultThreads,
  decodeFile,
  discardEarlyWorker,
  ingestFile,
  offerAhead,
  worthParts,
  parseThreads,
  startReplayWorkers,
  workerScript,
} from './replay-workers';
import { ingestInParts } from './replay-parts';
import type { CliCommand } from './command';
import type { CliIo } from './io';
import { replayMemory } from './replay-memory';
import { checkReplayedFiles, type ReplayIntegrity } from './verify';
import { createReplayReporter } from './report/replay-report';

/** What `replay --help` adds below the options. */
const REPLAY_HELP_AFTER = `
<function> is one of: ${detectorNames().join(', ')}
<path> is a file or folder (.json, .jsonl, .ndjson, each maybe .gz, any .gz); - reads stdin; s3://bucket/prefix/ lists
  and reads the log files under the prefix (obs://bucket/prefix/ with --s3-endpoint at an OBS endpoint).

Configuration comes from the same environment variables as the deployed function:
  login-whitelist     IP_WHITELIST, ALERT_ON_FAILED_LOGIN, NON_IP_SOURCE
  unauthorized-api    RULE_SETS, CUSTOM_RULES, FILTER_PATTERN, CTS_RULE
  config-compliance   NOTIFY_ON, RULE_INCLUDE, RULE_EXCLUDE, ALERT_ON_PUT_EVALUATIONS
  trail-integrity     TRAIL_BUCKETS, TRAIL_KMS_KEYS (tamper events; digests: trailguard verify)
  every function      with --verify: the digests among the inputs are checked first, and each alert
                      says whether the log file its record came from is valid, invalid or unlisted
  every function      MAX_DECOMPRESSED_MB, LOG_LEVEL (with --sink: structured log lines at that level)

Exit codes: 0 ran fine (alerts or not), 2 usage or configuration error, 1 some input could not be
processed or a publish failed (everything else was still processed and reported); with --verify,
also 1 when a file is invalid, missing or unlisted.`;

/** The options commander parses for replay (camel-cased long names). */
interface ReplayOptions {
  json?: boolean;
  rules?: string;
  sink?: 'sns' | 'smn';
  endpoint?: string;
  topic?: string;
  region?: string;
  quiet?: boolean;
  fetch?: boolean;
  s3Endpoint?: string;
  state?: string;
  verify?: boolean;
  /** --verify: where ListPublicKeys is called (`verify --endpoint`); --endpoint stays the sink's. */
  cloudtrailEndpoint?: string;
  publicKeys?: string;
  report?: string;
  stats?: boolean;
  since?: string;
  until?: string;
  threads?: string;
}

/** What replay says about an S3 pointer it does not follow (counted as skipped, not rejected). */
const UNFETCHED_HINT = 'pass --fetch (or --s3-endpoint URL) to fetch it';

/** Credentials the CLI may hold in its environment: scrubbed from its log lines. */
const CLI_SECRET_VARIABLES = [
  'SMN_AUTH_TOKEN',
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

/** An alert as `--verify` prints and publishes it: which log file its record came from, and that file's verdict. */
type CheckedAlert = Alert & { integrity?: { file: string; status: string; reason: string } };

function humanAlert(alert: Alert): string {
  return [
    `== ${alert.function} / ${alert.rule} (${alert.severity}) ==`,
    `Subject: ${alert.subject}`,
    alert.message,
    '',
  ].join('\n');
}

/** Credentials for publishing to SMN from a workstation: a token, or the Huawei SDK's AK/SK variables. */
function smnAuthFromEnv(env: Env): SmnAuth | undefined {
  const token = readEnv(env, 'SMN_AUTH_TOKEN')?.value;
  if (token) return { token };
  const accessKey = readEnv(env, 'HUAWEICLOUD_SDK_AK')?.value;
  const secretKey = readEnv(env, 'HUAWEICLOUD_SDK_SK')?.value;
  if (accessKey && secretKey)
    return { accessKey, secretKey, securityToken: readEnv(env, 'HUAWEICLOUD_SDK_SECURITY_TOKEN')?.value };
  return undefined;
}

/** The sink settings `--sink` and its companions override; replay publishes nothing without `--sink`. */
function sinkOverrides(options: ReplayOptions): Record<string, string> {
  if (options.sink === undefined) return {};
  const overrides: Record<string, string> = { ALERT_SINK: options.sink };
  if (options.endpoint !== undefined) overrides.SINK_ENDPOINT = options.endpoint;
  if (options.topic !== undefined) overrides.ALERT_TOPIC = options.topic;
  if (options.region !== undefined) overrides.ALERT_REGION = options.region;
  return overrides;
}

interface ReplaySinks {
  create(): AlertSink[];
  /** The topic as the user knows it, for `error: publish to <topic> failed: …`. */
  topic: string;
}

function replaySinks(sinkConfig: SinkConfig | undefined, env: Env): ReplaySinks | undefined {
  if (!sinkConfig) return undefined;
  const facts = {
    account: readEnv(env, 'AWS_ACCOUNT_ID', 'ACCOUNT_ID')?.value,
    smnAuth: smnAuthFromEnv(env),
    snsSink: snsSinkFor,
  };
  // Resolve now, so a bad topic is a usage error (exit 2) before any input is read.
  try {
    createAlertSinks(sinkConfig, facts);
  } catch (error) {
    throw new ConfigError(errorMessage(error));
  }
  return { create: () => createAlertSinks(sinkConfig, facts), topic: sinkConfig.topic ?? sinkConfig.kind };
}

/** Failed deliveries printed one line each; past this, the summary line gives the count. */
const FAILURE_LINES = 10;

/** `error: publish to <topic> failed: <reason>`, without the sink's own "publish to <topic> failed:" prefix twice. */
function publishFailureLine(topic: string, error: unknown): string {
  const message = errorMessage(error);
  const marker = `${topic} failed: `;
  const at = message.indexOf(marker);
  const reason = at !== -1 && at < 40 ? message.slice(at + marker.length) : message;
  return redactText(`error: publish to ${topic} failed: ${inlineValue(reason, 600)}`);
}

/**
 * Publishes with one human line per failed delivery on stderr (the first FAILURE_LINES of them), and
 * pino's structured lines only when LOG_LEVEL asks for them: a terminal user reads sentences, a script
 * that wants JSON sets the level.
 */
async function publishReplayAlerts(
  alerts: readonly Alert[],
  sinks: ReplaySinks,
  logLevel: LogLevel | undefined,
  io: CliIo,
): Promise<{ delivered: number; failed: number; names: string[] }> {
  const active = sinks.create();
  let failed = 0;
  const reporting = active.map(
    (sink): AlertSink => ({
      name: sink.name,
      publish: async (alert) => {
        try {
          await sink.publish(alert);
        } catch (error) {
          failed += 1;
          if (failed <= FAILURE_LINES) io.err(publishFailureLine(sinks.topic, error));
          throw error;
        }
      },
    }),
  );
  const secrets = CLI_SECRET_VARIABLES.map((name) => readEnv(io.env, name)?.value);
  const log = createLogger(
    { level: logLevel ?? 'silent', name: 'replay', secrets },
    { write: (line: string) => io.err(line.trimEnd()) },
  );
  const names = active.map((sink) => sink.name);
  try {
    const report = await publishAlerts(alerts, reporting, log);
    return { delivered: report.delivered, failed, names };
  } catch (error) {
    // A failure the wrappers did not see (a sink that failed before publishing): say it once.
    if (failed === 0) {
      failed = alerts.length * active.length;
      io.err(publishFailureLine(sinks.topic, error));
    }
    return { delivered: alerts.length * active.length - failed, failed, names };
  }
}

async function runReplay(args: readonly unknown[], options: ReplayOptions, io: CliIo): Promise<number> {
  const [name, paths] = args as [string, string[]];
  const detector = Object.hasOwn(DETECTORS, name) ? DETECTORS[name as keyof typeof DETECTORS] : undefined;
  if (!detector)
    throw new ConfigError(`unknown function ${JSON.stringify(name)}: use one of ${detectorNames().join(', ')}`);
  const rules = options.rules;
  if (rules !== undefined && detector.name !== 'unauthorized-api')
    throw new ConfigError('--rules applies to unauthorized-api only');
  if (options.sink === undefined)
    for (const flag of ['endpoint', 'topic', 'region'] as const)
      if (options[flag] !== undefined)
        io.err(`warning: --${flag} has no effect without --sink (replay publishes nothing)`);
  const env = { ...io.env, ...(rules !== undefined ? { RULE_SETS: rules } : {}), ...sinkOverrides(options) };
  // The cold-start check of the deployed function (one error listing every problem, exit 2); the
  // sink's settings only when replay publishes.
  const checked = loadFunctionConfig(detector, env, 'cli', {
    sink: options.sink !== undefined,
    geoFiles: nodeGeoFiles,
    readFile: (path) => readFileSync(path, 'utf8'),
  });
  const { maxDecompressedBytes, logLevel } = checked;
  // Where an enrichment warning goes: under the progress bar while it is drawn (sayErr, below).
  let warnLine = (line: string) => io.err(line);
  const enricher = createEnricher(checked.enrich, {
    listAccounts: listAccountsWithSdk,
    onError: (what, error) =>
      warnLine(
        `warning: ${what === 'geo' ? 'geo databases' : 'AWS Organizations account names'} unavailable, alerts go without: ${errorMessage(error)}`,
      ),
  });
  const config = await bindGeoRule(detector, checked.config, enricher.geo);
  for (const warning of checked.warnings) io.err(`warning: ${warning}`);
  const sinks = replaySinks(options.sink !== undefined ? checked.sinkConfig : undefined, io.env);
  const quiet = options.quiet === true;
  const json = options.json === true;

  if (options.publicKeys !== undefined && options.verify !== true)
    throw new ConfigError('--public-keys needs --verify');
  if (options.cloudtrailEndpoint !== undefined && options.verify !== true)
    throw new ConfigError('--cloudtrail-endpoint needs --verify');
  if (options.cloudtrailEndpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(options.cloudtrailEndpoint))
    throw new ConfigError(`--cloudtrail-endpoint ${JSON.stringify(options.cloudtrailEndpoint)} is not an http(s) URL`);
  const range = keyDateRange(options);
  const threads = parseThreads(options.threads) ?? defaultThreads();
  if (Number.isNaN(threads)) throw new ConfigError(`--threads ${options.threads}: a whole number from 1 to 256`);
  if (options.s3Endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(options.s3Endpoint))
    throw new ConfigError(`--s3-endpoint ${JSON.stringify(options.s3Endpoint)} is not an http(s) URL`);
  for (const path of paths) {
    const problem = bucketUrlProblem(path);
    if (problem) throw new ConfigError(problem);
  }
  const s3Clients = s3ClientsByRegion(bucketClientOptions(paths, io.env, options.s3Endpoint));
  const { files, problems, warnings, outOfRange } = await collectInputFiles(paths, { range, buckets: true });
  // Bucket prefixes are listed as they are read (page by page, cli/s3-inputs.ts); what the listings leave
  // out by date is only known at the end, so the note waits for it then.
  const listings = files.some((file) => file.listing);
  const outOfRangeNote = (count: number) => {
    if (count > 0 && !quiet) io.err(`note: ${count} file(s) dated outside --since/--until not read`);
  };
  if (!listings) outOfRangeNote(outOfRange);
  for (const problem of problems) io.err(`error: ${problem}`);
  for (const warning of warnings) io.err(`warning: ${warning}`);
  // --verify: the digests among the inputs are checked before any record is, so each alert can say
  // whether the log file behind it is one the digests vouch for.
  const integrity: ReplayIntegrity | undefined = options.verify
    ? await checkReplayedFiles(
        files
          .filter((file) => !file.object && !file.listing)
          .map((file) => file.path)
          .filter((path) => path !== '-'),
        { publicKeys: options.publicKeys, endpoint: options.cloudtrailEndpoint },
        io,
      )
    : undefined;
  if (integrity)
    for (const r of integrity.results)
      if (r.status !== 'valid' && (r.status !== 'unverifiable' || !quiet))
        io.err(
          redactText(`integrity: ${r.status} ${r.kind} ${inlineValue(r.file, 600)}: ${inlineValue(r.reason, 600)}`),
        );
  /** Which input file each event that produced findings was read from (first reading wins, as duplicates do). */
  const fileOfEvent = new Map<string, string>();
  let currentFile = '';
  const metric = detector.metric;
  const s3Endpoint = options.s3Endpoint;
  const fetching = options.fetch === true || typeof s3Endpoint === 'string';
  const memory = replayMemory(options.state, io.env);
  const reporter =
    options.report !== undefined || options.stats
      ? createReplayReporter(detector, config, memory.config, { path: options.report, stats: !!options.stats, quiet })
      : undefined;
  const counter = reporter?.watchCounter(metricCounter(detector, config)) ?? metricCounter(detector, config);
  // The geo databases (18 MB) are first used after the last file, to enrich the alerts' events: their
  // read starts at the first finding, so that it runs while the files are read rather than after them
  // (a run with no finding never reads them). Never rejects: a failure is warned of once (onError).
  let geoRead: Promise<unknown> | undefined;
  const readGeoSoon = () => {
    if (geoRead === undefined && enricher.geoAvailable) geoRead = enricher.geo();
  };
  const run = new DetectionRun(detector, config, {
    suppress: reporter?.watchSuppress(memory.suppress) ?? memory.suppress,
    maxDecompressedBytes,
    // A replay reads file after file: their gunzip output goes into buffers used again (spare-inflate.ts).
    reuseBuffers: true,
    ...(fetching
      ? {
          fetchObject: createS3Fetcher(s3Clients),
        }
      : { unfetchedHint: UNFETCHED_HINT }),
    onFindings: (findings) => {
      readGeoSoon();
      if (integrity)
        for (const finding of findings)
          if (!fileOfEvent.has(finding.event.id)) fileOfEvent.set(finding.event.id, currentFile);
      counter.onFindings?.(findings);
    },
    // One line per rejection, whatever the record holds: ids and reasons quote attacker-chosen text.
    onRejected: (rejected) =>
      sayErr(
        redactText(
          `rejected: ${inlineValue(rejected.position, 600)}${rejected.recordId ? ` (id ${inlineValue(rejected.recordId, 300)})` : ''}: ${inlineValue(rejected.reason, 600)}`,
        ),
      ),
  });
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const progress = io.errIsTty && !quiet && (listings || totalBytes > 8 * 1024 * 1024 || files.length > 50);
  // Objects are fetched a few at a time ahead of the pipeline, within a byte budget (cli/s3-inputs.ts).
  const readObject = objectReader(s3Clients);
  // --threads N: N-1 worker threads run the local files after the one being counted, and the parts of a big
  // one (cli/replay-workers.ts, cli/replay-parts.ts); S3 objects and stdin are read here, a few ahead.
  const script =
    threads > 1 && !files.some((file) => file.object || file.listing || file.path === '-') ? workerScript() : undefined;
  const workers =
    script && (files.length > 1 || (files.length === 1 && worthParts(files[0])))
      ? startReplayWorkers(
          threads - 1,
          script,
          { functionName: detector.name, env },
          // One worker beside the main thread: each file split in two, gunzip and scan there, the rest here.
          { decode: threads === 2 },
        )
      : undefined;
  if (!workers) discardEarlyWorker();
  // Without workers the main thread has nothing to do while a local file is read: it reads it at once.
  const readAny = (file: (typeof files)[number]) => (file.object ? readObject(file) : readInputNow(file));
  /** What the bucket listings found so far: the progress bar's totals grow with them. */
  const found = { files: files.filter((file) => !file.listing).length, bytes: totalBytes, outOfRange: 0 };
  const bar = progress
    ? new SingleBar({
        stream: process.stderr,
        format: 'replay [{bar}] {value}/{total} files | {mb}/{totalMb} MB | {records} records',
        hideCursor: true,
      })
    : undefined;
  bar?.start(found.files, 0, { mb: 0, totalMb: Math.round(totalBytes / 1e6), records: 0 });
  // A line on stderr while the bar is drawn: the bar's line is cleared, the line printed with wrapping on
  // (the bar turns it off), and the cursor position the bar restores when it stops saved again below it,
  // where the bar is drawn next; otherwise stopping would move the cursor back over these lines.
  const sayErr = (line: string) => {
    if (!bar) return io.err(line);
    process.stderr.write('\r\x1b[2K\x1b[?7h');
    io.err(line);
    process.stderr.write('\x1b7\x1b[?7l');
  };
  warnLine = sayErr;
  let readFailures = 0;
  let doneBytes = 0;
  let filesRead = 0;
  try {
    // The main thread's own recording run: for the files it takes ahead while a worker is busy and for the
    // parts of a big file it reads itself (cli/replay-workers.ts, cli/replay-parts.ts); one at a time, as
    // the loop below awaits each file.
    const ownRun =
      workers && new DetectionRun(detector, config, { maxDecompressedBytes, recordOutcome: true, reuseBuffers: true });
    const ahead = workers &&
      ownRun && {
        files: offerAhead(files, workers, (file) =>
          workers.decode ? decodeFile(ownRun, file) : ingestFile(ownRun, file),
        ),
        parts: { workers, here: ownRun, maxDecompressedBytes },
      };
    // Without workers, every input is read ahead in order, bucket listings as they are listed.
    const stream = ahead
      ? undefined
      : createStreamReadAhead(
          expandListings(files, (location) => listBucketPages(() => s3Clients(undefined), location, range), found, {
            problem: (problem) => {
              problems.push(problem);
              sayErr(`error: ${problem}`);
            },
            warning: (warning) => sayErr(`warning: ${warning}`),
            listed: () => {
              bar?.setTotal(found.files);
            },
          }),
          readAny,
        );
    // `filesRead` is the index of the input at hand, and after the loop the number read.
    for (; ; filesRead++) {
      if (io.outClosed?.()) break;
      // A turn of the event loop per file: what runs beside the files (the geo databases' read, a
      // worker's message) gets on while they are read, rather than after the last one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      let file: InputFile;
      let bytes: Promise<Uint8Array> | undefined;
      if (stream) {
        const next = await stream.next();
        if (!next) break;
        ({ file, bytes } = next);
      } else if (filesRead < files.length) file = files[filesRead];
      else break;
      bar?.update(filesRead, {
        mb: Math.round(doneBytes / 1e6),
        totalMb: Math.round(found.bytes / 1e6),
        records: run.stats.records,
      });
      currentFile = file.path;
      const name = file.path === '-' ? 'stdin' : file.path;
      try {
        const done = ahead ? await ahead.files.take(filesRead) : undefined;
        if (done && 'outcome' in done) await run.applyOutcome(done.outcome);
        else if (done && 'decoded' in done)
          // A worker's spare buffer goes back to it, for its next files.
          await run.ingestPredecoded(done.decoded, name, done.worker && ((input) => workers?.giveBack(input)));
        else if (done && 'readError' in done) throw new Error(done.readError);
        else if (ahead) {
          // Not taken by a worker (or lost by one): here, in parts when it is a big one.
          const bytes = await readInput(file);
          if (!(await ingestInParts(run, bytes, name, ahead.parts))) await run.ingestBytes(bytes, name);
        } else {
          const read = await (bytes as Promise<Uint8Array>);
          try {
            await run.ingestBytes(read, name);
          } finally {
            // A local file's spare buffer (readInputNow) back for the next one.
            releaseInput(read);
          }
        }
      } catch (error) {
        readFailures += 1;
        sayErr(`error: ${file.path}: ${errorMessage(error)}`);
      }
      doneBytes += file.size;
    }
  } finally {
    bar?.update(filesRead, { mb: Math.round(doneBytes / 1e6), records: run.stats.records });
    bar?.stop();
    warnLine = (line) => io.err(line);
    await workers?.close();
  }
  if (listings) outOfRangeNote(outOfRange + found.outOfRange);

  // Its warning, if the read failed, comes here, before the alerts and the summary.
  await geoRead;
  await enricher.enrich(run.groups().map((group) => group.first));
  const remembered = await memory.remember(detector, config, run.groups());
  const alerts = integrity ? remembered.map((alert) => withIntegrity(alert, fileOfEvent, integrity)) : remembered;
  for (const alert of alerts) {
    // The reader of stdout has gone (`| head -1`): nothing more to print, and no error in that.
    if (io.outClosed?.()) break;
    io.out(json ? checkedAlertJsonLine(alert) : humanAlert(alert));
    const draining = io.drain?.();
    if (draining) await draining;
  }
  let publishFailed = false;
  if (alerts.length > 0 && sinks) {
    const published = await publishReplayAlerts(alerts, sinks, logLevel, io);
    publishFailed = published.failed > 0;
    if (publishFailed)
      io.err(
        `error: ${published.failed} of ${published.failed + published.delivered} alert deliveries to ${sinks.topic} failed` +
          (published.failed > FAILURE_LINES ? ` (the first ${FAILURE_LINES} are shown above)` : ''),
      );
    else if (!quiet) io.err(`published ${published.delivered} alert(s) to ${published.names.join(', ')}`);
  }
  const { stats } = run;
  const reportWritten = reporter
    ? await reporter.finish({ files: filesRead, stats, alerts, memorySummary: memory.summary() }, io)
    : true;
  // Rejections beyond the first few were counted, not printed: say how many.
  if (stats.rejected > stats.rejections.length)
    io.err(
      `rejected: … and ${thousands(stats.rejected - stats.rejections.length)} more (only the first ${REPORTED_IN_FULL} are listed)`,
    );
  // Alerts are still published (none may be lost because a pager quit); only the summary is dropped.
  if (io.outClosed?.()) {
    await memory.close();
    return publishFailed ? 1 : 0;
  }
  if (!quiet) {
    for (const skip of stats.skips)
      if (skip.label === 'unfetched')
        io.err(redactText(`skipped: ${inlineValue(skip.position, 600)}: ${inlineValue(skip.reason, 600)}`));
    io.err(memory.summaryLine(run.stats.suppressed));
    io.err(
      `${detector.name}: ${filesRead} file(s), ${stats.records} record(s), ${alerts.length} alert(s)` +
        ` (${stats.findings} finding(s)), ${stats.rejected} rejected, ${stats.skipped} skipped${skipDetail(stats)}, ${stats.duplicates} duplicate(s)`,
    );
    if (metric) io.err(`${metric.settings(config).name}: ${counter.count()} (not published by replay)`);
    if (integrity) io.err(integrity.summaryLine);
  }
  await memory.close();
  const failed = problems.length > 0 || readFailures > 0 || stats.rejected > 0 || publishFailed || !reportWritten;
  return failed || integrity?.failed ? 1 : 0;
}

/**
 * The inputs in order, each bucket prefix (an entry with `listing`) replaced by the objects its listing
 * finds, page by page as they are asked for. A listing that fails is a problem (the run goes on with the
 * next input, and exits 1); one that finds nothing, in range or not, a warning.
 */
async function* expandListings(
  files: readonly InputFile[],
  list: (location: NonNullable<InputFile['listing']>) => AsyncGenerator<ListedObjects>,
  found: { files: number; bytes: number; outOfRange: number },
  say: { problem(text: string): void; warning(text: string): void; listed(): void },
): AsyncGenerator<InputFile> {
  for (const file of files) {
    if (!file.listing) {
      yield file;
      continue;
    }
    let listed = 0;
    let outside = 0;
    try {
      for await (const page of list(file.listing)) {
        outside += page.outOfRange;
        found.outOfRange += page.outOfRange;
        found.files += page.files.length;
        for (const object of page.files) found.bytes += object.size;
        say.listed();
        for (const object of page.files) {
          listed += 1;
          yield object;
        }
      }
    } catch (error) {
      say.problem(listingProblem(file.path, error));
      continue;
    }
    if (listed === 0 && outside === 0) say.warning(`${file.path}: no log files under this prefix`);
  }
}

/** `--since` / `--until` as a range of key dates; a date that does not parse is a usage error. */
function keyDateRange(options: ReplayOptions): { since?: number; until?: number } {
  const parse = (flag: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = parseKeyDate(text);
    if (value === undefined)
      throw new ConfigError(
        `--${flag} ${JSON.stringify(text)}: use a date like 2026-11, 2026-11-05 or 2026-11-05T10:00Z`,
      );
    return value;
  };
  const since = parse('since', options.since);
  const until = parse('until', options.until);
  if (since !== undefined && until !== undefined && since >= until)
    throw new ConfigError(`--since ${options.since} is not before --until ${options.until}`);
  return { since, until };
}

/** Worst first: what an alert built from several files reports. */
const STATUS_RANK: Record<string, number> = { invalid: 0, unlisted: 1, missing: 2, unverifiable: 3, valid: 4 };
/** Integrity lines an alert carries at most (one per doubtful file); the count of the rest follows. */
const INTEGRITY_LINES = 5;

/**
 * The alert with the verdict on the log file(s) its records came from: `integrity` (the worst of them)
 * for --json, and one `Trail integrity: …` line per file that is not valid at the top of the message.
 */
function withIntegrity(
  alert: Alert,
  fileOfEvent: ReadonlyMap<string, string>,
  integrity: ReplayIntegrity,
): CheckedAlert {
  const verdicts = new Map<string, { file: string; status: string; reason: string }>();
  for (const id of alert.eventIds) {
    const file = fileOfEvent.get(id);
    if (file === undefined || verdicts.has(file)) continue;
    verdicts.set(file, integrity.verdictOf(file));
  }
  const sorted = [...verdicts.values()].sort((a, b) => (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9));
  if (sorted.length === 0) return alert;
  const doubtful = sorted.filter((v) => v.status !== 'valid');
  const lines = doubtful
    .slice(0, INTEGRITY_LINES)
    .map(
      (v) =>
        `Trail integrity: log file ${inlineValue(v.file, 600)} is ${v.status.toUpperCase()}: ${inlineValue(v.reason, 600)}`,
    );
  if (doubtful.length > INTEGRITY_LINES)
    lines.push(`Trail integrity: … and ${doubtful.length - INTEGRITY_LINES} more file(s)`);
  const message = lines.length > 0 ? capMessage(`${lines.join('\n')}\n\n${alert.message}`) : alert.message;
  return { ...alert, message, integrity: sorted[0] };
}

function checkedAlertJsonLine(alert: CheckedAlert): string {
  if (!alert.integrity) return alertJsonLine(alert);
  const line = alertJsonLine(alert);
  return `${line.slice(0, -1)},"integrity":${JSON.stringify(alert.integrity)}}`;
}

function thousands(count: number): string {
  return count.toLocaleString('en-US');
}

const SKIP_LABELS: Record<string, string> = {
  digest: 'digest file(s)',
  unfetched: 'S3 pointer(s) not fetched',
  empty: 'empty record list(s)',
};

/** ` (2 digest file(s), 4 S3 pointer(s) not fetched)` when labelled skips happened. */
function skipDetail(stats: RunStats): string {
  const parts = Object.entries(SKIP_LABELS)
    .filter(([label]) => (stats.skippedByLabel[label] ?? 0) > 0)
    .map(([label, text]) => `${stats.skippedByLabel[label]} ${text}`);
  // The rest: notifications and messages this function has nothing to do with (a CloudWatch Logs control
  // message, a scheduled event, a config change that is not a compliance result).
  const labelled = Object.keys(SKIP_LABELS).reduce((sum, label) => sum + (stats.skippedByLabel[label] ?? 0), 0);
  if (stats.skipped > labelled) parts.push(`${stats.skipped - labelled} not for this function`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export const replayCommand: CliCommand = {
  define: () =>
    new Command('replay')
      .description("run a function's pipeline over trail files; prints alerts, publishes nothing unless --sink")
      .argument('<function>', detectorNames().join(' | '))
      .argument('<path...>', 'files or folders; - reads stdin')
      .option('--json', 'one JSON object per alert per line on stdout')
      .addOption(
        new Option('--sink <kind>', 'also publish the alerts (default: publish nothing)').choices(['sns', 'smn']),
      )
      .option('--endpoint <url>', 'endpoint of the sink (an emulator, a VPC endpoint); needs --sink')
      .option('--topic <topic>', 'alert topic (default: ALERT_TOPIC); needs --sink')
      .option('--region <name>', 'region of the topic (default: ALERT_REGION / AWS_REGION); needs --sink')
      .option(
        '--rules <sets>',
        'unauthorized-api only: rule sets or rule ids, comma-separated (unauthorized, unauthorized-v1.4, cis, cis-v1.4, all, CloudWatch.1, …)',
      )
      .option('--state <store>', 'memory stage state: memory (default) | dynamodb://<table> | redis://host:port')
      .option(
        '--verify',
        'check the digests among the inputs first; each alert says whether its log file is valid, invalid or unlisted',
      )
      .option(
        '--public-keys <file>',
        'with --verify: the JSON "aws cloudtrail list-public-keys" prints (default: ListPublicKeys)',
      )
      .option(
        '--cloudtrail-endpoint <url>',
        "with --verify: the CloudTrail endpoint ListPublicKeys is called on (verify --endpoint; --endpoint is the sink's)",
      )
      .option('--report <file>', 'also write an HTML report: alerts over time, top sources, noise forecast')
      .option('--stats', "print the report's numbers as text on stderr (also with --quiet)")
      .option('--quiet', 'no summary on stderr')
      .option(
        '--fetch',
        'follow S3 pointers (S3 notifications, CloudTrail SNS deliveries) with the AWS credentials of the environment',
      )
      .option('--s3-endpoint <url>', 'like --fetch, from this S3 endpoint (an emulator, MinIO, a VPC endpoint, OBS)')
      .option(
        '--since <date>',
        'only files whose key or path dates them at or after this (2026-11, 2026-11-05, …T10:00Z)',
      )
      .option('--until <date>', 'only files whose key or path dates them before this')
      .option('--threads <n>', 'threads that read, gunzip, parse and detect local files (default: the cores available)')
      .addHelpText('after', REPLAY_HELP_AFTER),
  run: (args, options, io) => runReplay(args, options as ReplayOptions, io),
};
