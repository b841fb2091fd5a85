import type { Detector } from '../detect/detector';
import { ConfigProblems, readChoice, readEnv, type Env } from './env-config';
import { ConfigError } from '../errors';
import { maxDecompressedBytesFromEnv } from '../intake/decode-input';
import { LOG_LEVELS, type LogLevel } from './logger';
import { loadSinkConfig, SINK_ENV, type Platform, type SinkConfig } from '../sinks/sink-config';
import { loadMemoryConfig, type MemoryConfig, type MemoryConfigOptions } from '../memory/memory-config';
import { type EnrichConfig, loadEnrichConfig } from '../enrich/enrich-config';
import type { GeoFiles } from '../enrich/geo-database';

export interface FunctionConfig<Config> {
  config: Config;
  sinkConfig: SinkConfig;
  maxDecompressedBytes: number;
  /** Lower-cased and checked against pino's levels; undefined when LOG_LEVEL is not set (pino's `info`). */
  logLevel?: LogLevel;
  /** What the check warned about; the handlers log each once at cold start. */
  warnings: string[];
  /** The memory stage's settings (STATE_STORE, DEDUP_*, THRESHOLDS, SUPPRESS). */
  memory: MemoryConfig;
  /** Geo databases and account names (GEOIP_DB, ACCOUNT_NAMES, …). */
  enrich: EnrichConfig;
}

/** The outcome of the cold-start check, without throwing: what `check-config` prints and deploy-time checks reuse. */
export interface FunctionConfigCheck<Config> {
  ok: boolean;
  /** The effective configuration; present when ok. */
  config?: FunctionConfig<Config>;
  /** Every problem, in the order the cold start lists them. */
  problems: string[];
  /** Settings that work but probably do not do what was meant. */
  warnings: string[];
  /** When not ok, the ConfigError the function throws at cold start (same message, same problems). */
  error?: ConfigError;
}

export interface CheckOptions extends MemoryConfigOptions {
  /** Finds and checks the geo databases (the edges pass nodeGeoFiles); without it geo is off unless GEOIP_DB names a file. */
  geoFiles?: GeoFiles;
  /**
   * Whether the sink settings are checked (default true). The replay CLI publishes nothing without
   * `--sink`, so it does not hold a workstation's environment to a deployed function's topic rules.
   */
  sink?: boolean;
}

/** `LOG_LEVEL`, any case; a level pino does not know is a configuration problem, not a crash in pino. */
export function readLogLevel(env: Env, problems: ConfigProblems): LogLevel | undefined {
  if (!readEnv(env, 'LOG_LEVEL')) return undefined;
  return readChoice(env, 'LOG_LEVEL', LOG_LEVELS, 'info', problems);
}

/** A documented name and an alias both set to different values: the documented one wins, silently otherwise. */
function aliasWarnings(env: Env): string[] {
  const warnings: string[] = [];
  for (const names of Object.values(SINK_ENV)) {
    const set = names
      .map((name) => ({ name, value: readEnv(env, name)?.value }))
      .filter((found): found is { name: (typeof names)[number]; value: string } => found.value !== undefined);
    const differing = set.filter((found) => found.value !== set[0]?.value);
    if (differing.length > 0)
      warnings.push(
        `${set.map((found) => found.name).join(' and ')} are all set, with different values: ${set[0].name} is used`,
      );
  }
  return warnings;
}

/** A detector config's `warnings` member, when it has one. */
export function configWarnings(config: unknown): string[] {
  const warnings = (config as { warnings?: unknown } | undefined)?.warnings;
  return Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [];
}

/**
 * Everything a deployed function reads from its environment, checked together: the sink's, the
 * intake's, the logger's and the detector's problems in one list, so one deploy shows them all.
 * Pure: reads only `env`.
 */
export function checkDetectorConfig<Config>(
  detector: Detector<Config>,
  env: Env,
  platform: Platform,
  options: CheckOptions = {},
): FunctionConfigCheck<Config> {
  const problems = new ConfigProblems();
  const sinkConfig: SinkConfig =
    options.sink === false ? { kind: 'stdout', smnCloud: 'huaweicloud' } : loadSinkConfig(env, platform, problems);
  const maxDecompressedBytes = maxDecompressedBytesFromEnv(env, problems);
  const logLevel = readLogLevel(env, problems);
  const memory = loadMemoryConfig(env, problems, options);
  if (platform === 'functiongraph' && memory.store.kind === 'dynamodb')
    problems.add('STATE_STORE: dynamodb:// is for AWS; on FunctionGraph use redis:// or rediss:// (DCS)');
  const enrich = loadEnrichConfig(env, problems, { readFile: options.readFile, geoFiles: options.geoFiles, platform });
  let config: Config | undefined;
  try {
    config = detector.loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.add(problem);
  }
  // Without the file system (the deploy-time check) only GEOIP_DB=off is known to leave the rule no database.
  const noCountryDb = enrich.geoOff === true || (options.geoFiles !== undefined && !enrich.geo?.country);
  if (config !== undefined && detector.geoRule?.needed(config) && noCountryDb)
    problems.add(
      'COUNTRY_ALLOWLIST needs a country database: none is embedded in this installation and GEOIP_DB names none (or is off)',
    );
  const warnings = options.sink === false ? [] : aliasWarnings(env);
  if (logLevel === 'silent') warnings.push('LOG_LEVEL=silent: rejected records and failed publishes leave no log line');
  if (options.sink !== false && platform !== 'cli' && sinkConfig.kind === 'stdout')
    warnings.push('ALERT_SINK=stdout: alerts are written to the function log only, not published');
  if (config !== undefined)
    for (const warning of detector.configWarnings ? detector.configWarnings(config) : configWarnings(config))
      warnings.push(warning);
  try {
    problems.throwIfAny(detector.name);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, problems: [...problems.problems], warnings, error };
  }
  return {
    ok: true,
    config: { config: config as Config, sinkConfig, maxDecompressedBytes, logLevel, warnings, memory, enrich },
    problems: [],
    warnings,
  };
}

/** The cold-start check: the effective configuration, or one ConfigError listing every problem. */
export function loadFunctionConfig<Config>(
  detector: Detector<Config>,
  env: Env,
  platform: Platform,
  options: CheckOptions = {},
): FunctionConfig<Config> {
  const check = checkDetectorConfig(detector, env, platform, options);
  if (!check.ok || !check.config) throw check.error ?? new ConfigError(`${detector.name}: invalid configuration`);
  return check.config;
}
