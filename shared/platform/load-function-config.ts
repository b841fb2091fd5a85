import type { Detector } from '../detect/detector';
import { ConfigProblems, readEnv, type Env } from './env-config';
import { ConfigError } from '../errors';
import { maxDecompressedBytesFromEnv } from '../intake/decode-input';
import { loadSinkConfig, type Platform, type SinkConfig } from '../sinks/sink-config';

export interface FunctionConfig<Config> {
  config: Config;
  sinkConfig: SinkConfig;
  maxDecompressedBytes: number;
  logLevel?: string;
  /** Settings that are valid but probably wrong (a whitelist entry allowing everything): log once at cold start. */
  warnings: string[];
}

/** A detector config's `warnings` member, when it has one. */
export function configWarnings(config: unknown): string[] {
  const warnings = (config as { warnings?: unknown } | undefined)?.warnings;
  return Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [];
}

/**
 * Everything a deployed function reads from its environment, checked together: one ConfigError lists
 * the sink's, the intake's and the detector's problems at once, so one deploy shows them all.
 */
export function loadFunctionConfig<Config>(
  detector: Detector<Config>,
  env: Env,
  platform: Platform,
): FunctionConfig<Config> {
  const problems = new ConfigProblems();
  const sinkConfig = loadSinkConfig(env, platform, problems);
  const maxDecompressedBytes = maxDecompressedBytesFromEnv(env, problems);
  let config: Config | undefined;
  try {
    config = detector.loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.add(problem);
  }
  problems.throwIfAny(detector.name);
  return {
    config: config as Config,
    sinkConfig,
    maxDecompressedBytes,
    logLevel: readEnv(env, 'LOG_LEVEL')?.value,
    warnings: configWarnings(config),
  };
}
