/**
 * `trailguard replay <function> <path...>`: runs a function's pipeline over files or folders of any
 * supported envelope, prints the alerts, and publishes nothing unless `--sink` says so.
 * Exit codes: 0 ran fine (alerts or not); 2 usage or configuration error; 1 some input could not be
 * processed (everything else was still processed and reported).
 */
import type { Alert, AlertSink } from '../shared/alert/alert';
import { ConfigProblems, readEnv, type Env } from '../shared/platform/env-config';
import { ConfigError, errorMessage } from '../shared/errors';
import { inlineValue } from '../shared/alert/alert-text';
import { maxDecompressedBytesFromEnv } from '../shared/intake/decode-input';
import { createLogger, redactText } from '../shared/platform/logger';
import { DetectionRun } from '../shared/pipeline';
import { publishAlerts } from '../shared/sinks/publish-alerts';
import { loadSinkConfig, type SinkConfig } from '../shared/sinks/sink-config';
import { createAlertSinks, type SmnAuth } from '../shared/sinks/create-sinks';
import { alertJsonLine } from '../shared/sinks/stdout-sink';
import { snsSinkFor } from '../shared/sinks/sns-sink';
import { DETECTORS, detectorNames } from '../functions/registry';
import { metricCounter } from '../shared/detect/detector';
import { parseArgs } from './parse-args';
import { collectInputFiles, readInput } from './read-inputs';
import type { CliIo } from './io';
import { replayMemory } from './replay-memory';

export const REPLAY_USAGE = `usage: trailguard replay <function> <path...> [options]

  <function>        ${detectorNames().join(' | ')}
  <path>            files or folders (.json, .json.gz, .ndjson, .gz); - reads stdin

options:
  --json            one JSON object per alert per line on stdout
  --sink <kind>     also publish the alerts: sns | smn (default: publish nothing)
  --endpoint <url>  endpoint of the sink (an emulator, a VPC endpoint)
  --topic <topic>   alert topic (default: ALERT_TOPIC)
  --region <name>   region of the topic (default: ALERT_REGION / AWS_REGION)
  --rules <sets>    unauthorized-api only: rule sets or rule ids, comma-separated
                    (unauthorized, unauthorized-v1.4, cis, cis-v1.4, all, CloudWatch.1, …)
  --state <store>   memory stage state: memory (default) | dynamodb://<table> | redis://host:port
  --quiet           no summary on stderr

Configuration comes from the same environment variables as the deployed function:
  login-whitelist     IP_WHITELIST, ALERT_ON_FAILED_LOGIN, NON_IP_SOURCE
  unauthorized-api    RULE_SETS, CUSTOM_RULES, FILTER_PATTERN, CTS_RULE
  config-compliance   NOTIFY_ON, RULE_INCLUDE, RULE_EXCLUDE, ALERT_ON_PUT_EVALUATIONS`;

const FLAGS = {
  json: 'boolean',
  rules: 'string',
  sink: 'string',
  endpoint: 'string',
  topic: 'string',
  region: 'string',
  quiet: 'boolean',
  state: 'string',
  help: 'boolean',
} as const;

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

function replaySinks(flags: Map<string, string | true>, env: Env): () => AlertSink[] {
  const sink = flags.get('sink');
  if (sink === undefined) return () => [];
  if (sink !== 'sns' && sink !== 'smn') throw new ConfigError(`--sink must be sns or smn, got ${String(sink)}`);
  const overrides: Record<string, string> = { ALERT_SINK: sink };
  for (const [flag, name] of [
    ['endpoint', 'SINK_ENDPOINT'],
    ['topic', 'ALERT_TOPIC'],
    ['region', 'ALERT_REGION'],
  ] as const) {
    const value = flags.get(flag);
    if (typeof value === 'string') overrides[name] = value;
  }
  const problems = new ConfigProblems();
  const sinkConfig: SinkConfig = loadSinkConfig({ ...env, ...overrides }, 'cli', problems);
  problems.throwIfAny('replay --sink');
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
  return () => createAlertSinks(sinkConfig, facts);
}

export async function replay(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, flags } = parseArgs(argv, FLAGS);
  if (flags.has('help')) {
    io.out(REPLAY_USAGE);
    return 0;
  }
  const [name, ...paths] = positionals;
  if (!name || paths.length === 0)
    throw new ConfigError(`replay needs a function and at least one path\n\n${REPLAY_USAGE}`);
  const detector = Object.hasOwn(DETECTORS, name) ? DETECTORS[name as keyof typeof DETECTORS] : undefined;
  if (!detector)
    throw new ConfigError(`unknown function ${JSON.stringify(name)}: use one of ${detectorNames().join(', ')}`);
  const rules = flags.get('rules');
  if (rules !== undefined && detector.name !== 'unauthorized-api')
    throw new ConfigError('--rules applies to unauthorized-api only');
  const config = detector.loadConfig(typeof rules === 'string' ? { ...io.env, RULE_SETS: rules } : io.env);
  const sinks = replaySinks(flags, io.env);
  const quiet = flags.has('quiet');
  const json = flags.has('json');

  const { files, problems } = await collectInputFiles(paths);
  for (const problem of problems) io.err(`error: ${problem}`);
  const metric = detector.metric;
  const counter = metricCounter(detector, config);
  const limits = new ConfigProblems();
  const maxDecompressedBytes = maxDecompressedBytesFromEnv(io.env, limits);
  limits.throwIfAny('replay');
  const memory = replayMemory(flags.get('state'), io.env);
  const run = new DetectionRun(detector, config, {
    suppress: memory.suppress,
    maxDecompressedBytes,
    onFindings: counter.onFindings,
    // One line per rejection, whatever the record holds: ids and reasons quote attacker-chosen text.
    onRejected: (rejected) =>
      io.err(
        redactText(
          `rejected: ${inlineValue(rejected.position, 600)}${rejected.recordId ? ` (id ${inlineValue(rejected.recordId, 300)})` : ''}: ${inlineValue(rejected.reason, 600)}`,
        ),
      ),
  });
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const progress = io.errIsTty && !quiet && (totalBytes > 8 * 1024 * 1024 || files.length > 50);
  let readFailures = 0;
  let doneBytes = 0;
  for (const [index, file] of files.entries()) {
    if (progress)
      io.progress(
        `[${index + 1}/${files.length}] ${Math.round(doneBytes / 1e6)}/${Math.round(totalBytes / 1e6)} MB, ${run.stats.records} records`,
      );
    try {
      await run.ingestBytes(await readInput(file), file.path === '-' ? 'stdin' : file.path);
    } catch (error) {
      readFailures += 1;
      io.err(`error: ${file.path}: ${errorMessage(error)}`);
    }
    doneBytes += file.size;
  }
  if (progress) io.progress('');

  const alerts = await memory.remember(detector, config, run.groups());
  for (const alert of alerts) io.out(json ? alertJsonLine(alert) : humanAlert(alert));
  let publishFailed = false;
  if (alerts.length > 0) {
    const active = sinks();
    if (active.length > 0) {
      try {
        const secrets = CLI_SECRET_VARIABLES.map((name) => readEnv(io.env, name)?.value);
        const log = createLogger(
          { level: readEnv(io.env, 'LOG_LEVEL')?.value ?? 'warn', name: 'replay', secrets },
          { write: (line: string) => io.err(line.trimEnd()) },
        );
        const report = await publishAlerts(alerts, active, log);
        if (!quiet) io.err(`published ${report.delivered} alert(s) to ${active.map((s) => s.name).join(', ')}`);
      } catch (error) {
        publishFailed = true;
        io.err(`error: ${errorMessage(error)}`);
      }
    }
  }
  const { stats } = run;
  if (!quiet) {
    io.err(memory.summaryLine(run.stats.suppressed));
    io.err(
      `${detector.name}: ${files.length} file(s), ${stats.records} record(s), ${alerts.length} alert(s)` +
        ` (${stats.findings} finding(s)), ${stats.rejected.length} rejected, ${stats.skipped.length} skipped, ${stats.duplicates} duplicate(s)`,
    );
    if (metric) io.err(`${metric.settings(config).name}: ${counter.count()} (not published by replay)`);
  }
  await memory.close();
  return problems.length > 0 || readFailures > 0 || stats.rejected.length > 0 || publishFailed ? 1 : 0;
}
