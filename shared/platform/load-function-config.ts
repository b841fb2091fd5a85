import type { Detector } from '../detect/detector';
import { ConfigProblems, readEnv, type Env } from './env-config';
import { ConfigError } from '../errors';
import { maxDecompressedBytesFromEnv } from '../intake/decode-input';
import { loadSinkConfig, type Platform, type SinkConfig } from '../sinks/sink-config';
import { loadMemoryConfig, type MemoryConfig, type MemoryConfigOptions } from '../memory/memory-config';

export interface FunctionConfig<Config> {
  config: Config;
  sinkConfig: SinkConfig;
  maxDecompressedBytes: number;
  logLevel?: string;
  memory: MemoryConfig;
}

/**
 * Everything a deployed function reads from its environment, checked together: one ConfigError lists
 * the sink's, the intake's and the detector's problems at once, so one deploy shows them all.
 */
export function loadFunctionConfig<Config>(
  detector: Detector<Config>,
  env: Env,
  platform: Platform,
  memoryOptions: MemoryConfigOptions = {},
): FunctionConfig<Config> {
  const problems = new ConfigProblems();
  const sinkConfig = loadSinkConfig(env, platform, problems);
  const maxDecompressedBytes = maxDecompressedBytesFromEnv(env, problems);
  const memory = loadMemoryConfig(env, problems, memoryOptions);
  if (platform === 'functiongraph' && memory.store.kind === 'dynamodb')
    problems.add('STATE_STORE: dynamodb:// is for AWS; on FunctionGraph use redis:// or rediss:// (DCS)');
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
    memory,
  };
}
