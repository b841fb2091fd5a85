/**
 * Huawei FunctionGraph adapter (also Open Telekom Cloud and Flexible Engine). Event functions read
 * their variables through `context.getUserData(key)`; `RUNTIME_USERDATA` and `process.env` are the
 * fall-backs. Config is loaded once per instance: in `initializer` when it is configured, otherwise on
 * the first invocation; a bad config fails every invocation with the same clear error.
 */
import type { Detector } from '../detect/detector';
import { ConfigProblems, type Env } from './env-config';
import { ConfigError, errorMessage } from '../errors';
import { createLogger } from './logger';
import type { HandlerOptions } from './lambda-handler';
import { createAlertSinks, type SmnAuth } from '../sinks/create-sinks';
import { sinkSecrets } from '../sinks/sink-config';
import { type HandlerInvocation, invokeDetector, type InvocationResult } from './invoke';
import { loadFunctionConfig, type FunctionConfig } from './load-function-config';
import { readFileSync } from 'node:fs';
import { storeSecrets } from '../memory/memory-config';
import { createMemoryStage, reportMemoryAtColdStart } from '../memory/create-memory-stage';
import type { MemoryStage } from '../memory/memory-stage';
import { isFlushEvent } from '../memory/flush-event';
import { flushMemory } from './invoke';
import { createEnricher, type Enricher, enrichmentErrorLogger } from '../enrich/enricher';
import { nodeGeoFiles } from '../enrich/geo-database';
import { type CesMetricConfig, functionGraphMetricPublisher, withCesMetricConfig } from '../sinks/ces-metric';

/** The subset of the FunctionGraph context we use; every method is optional (older runtimes, mocks). */
export interface FunctionGraphContext {
  getRequestID?(): string;
  getUserData?(key: string): string | undefined;
  getToken?(): string | undefined;
  getProjectID?(): string | undefined;
  getSecurityAccessKey?(): string | undefined;
  getSecuritySecretKey?(): string | undefined;
  getSecurityToken?(): string | undefined;
}

/** One context getter's non-empty string, or undefined (missing method, throwing getter, blank value). */
export function call(
  context: FunctionGraphContext,
  method: keyof FunctionGraphContext,
  arg?: string,
): string | undefined {
  const fn = context[method] as ((key?: string) => unknown) | undefined;
  if (typeof fn !== 'function') return undefined;
  try {
    const value = fn.call(context, arg);
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Variable lookup: context.getUserData, then RUNTIME_USERDATA (JSON object), then process.env. */
export function functionGraphEnv(context: FunctionGraphContext, processEnv: Env = process.env): Env {
  let userData: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(processEnv.RUNTIME_USERDATA ?? 'null');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) userData = parsed as Record<string, unknown>;
  } catch {
    userData = undefined;
  }
  return new Proxy({} as Env, {
    get(_target, key) {
      if (typeof key !== 'string') return undefined;
      const fromContext = call(context, 'getUserData', key);
      if (fromContext !== undefined) return fromContext;
      const fromUserData = userData && Object.hasOwn(userData, key) ? userData[key] : undefined;
      if (typeof fromUserData === 'string') return fromUserData;
      return processEnv[key];
    },
  });
}

/** A token when the agency gives one, else temporary AK/SK; undefined when the function has no agency. */
export function smnAuthFromContext(context: FunctionGraphContext): SmnAuth | undefined {
  const token = call(context, 'getToken');
  if (token) return { token };
  const accessKey = call(context, 'getSecurityAccessKey');
  const secretKey = call(context, 'getSecuritySecretKey');
  if (accessKey && secretKey) return { accessKey, secretKey, securityToken: call(context, 'getSecurityToken') };
  return undefined;
}

/** DCS (Redis) is the store on Huawei-stack clouds; its client loads on first use (trail-integrity's liveness too). */
export const functionGraphStoreLoaders: Parameters<typeof createMemoryStage>[1] = {
  redis: (url, memoryConfig) =>
    import('../memory/redis-store').then(({ createRedisStore }) =>
      createRedisStore({ url, password: memoryConfig.password, timeoutMs: memoryConfig.timeoutMs }),
    ),
};

/** What one instance of a function holds after its cold start: config, memory stage, enricher. */
export type FunctionGraphInstance<Config, Own = undefined> = FunctionConfig<Config> & {
  memoryStage: MemoryStage;
  ces?: CesMetricConfig;
  enricher: Enricher;
  /** What the function's own `loadOwn` returned. */
  own: Own;
};

/** One invocation's wiring, as the shared handler made it. */
export type FunctionGraphInvocation = HandlerInvocation<FunctionGraphContext>;

/**
 * A function's own part of the shared handler (trail-integrity: digests on OBS and liveness). `loadOwn`
 * reads its own variables at cold start, its problems reported with the shared ones in one error;
 * `invoke` runs each invocation instead of the detector's pipeline.
 */
export interface FunctionGraphHooks<Config, Own, Result> {
  loadOwn?(env: Env, problems: ConfigProblems): Own;
  invoke(
    instance: FunctionGraphInstance<Config, Own>,
    event: unknown,
    invocation: FunctionGraphInvocation,
  ): Promise<Result>;
}

export function createFunctionGraphHandler<Config>(
  detector: Detector<Config>,
  processEnv: Env = process.env,
  options: HandlerOptions = {},
) {
  return createFunctionGraphHandlerWith(detector, processEnv, options, {
    invoke: (instance, event, { context, log, sinks }) =>
      invokeDetectorOnFunctionGraph(detector, instance, event, { context, log, sinks }),
  });
}

function invokeDetectorOnFunctionGraph<Config>(
  detector: Detector<Config>,
  { config, sinkConfig, maxDecompressedBytes, memoryStage, ces, enricher }: FunctionGraphInstance<Config, unknown>,
  event: unknown,
  { context, log, sinks }: FunctionGraphInvocation,
): Promise<InvocationResult> {
  if (isFlushEvent(event)) return flushMemory(detector.name, memoryStage, { log, sinks });
  const topicRegion = sinkConfig.topic?.startsWith('urn:smn:') ? sinkConfig.topic.split(':')[2] : undefined;
  return invokeDetector(detector, config, event, {
    log,
    maxDecompressedBytes,
    memory: memoryStage,
    // Cloud Eye for METRIC_MODE=api; EMF lines mean nothing outside CloudWatch, so emf publishes nothing here.
    metricPublisher: (settings) =>
      ces && settings.mode === 'api'
        ? functionGraphMetricPublisher(settings, {
            ces,
            cloud: sinkConfig.smnCloud,
            region: sinkConfig.region ?? topicRegion,
            projectId: call(context, 'getProjectID') ?? sinkConfig.projectId,
            auth: smnAuthFromContext(context),
            functionName: detector.name,
          })
        : undefined,
    sinks,
    enricher,
  });
}

/** The shared handler (loading, secrets, logger, sinks) with a function's own cold-start and invocation steps. */
export function createFunctionGraphHandlerWith<Config, Own, Result>(
  detector: Detector<Config>,
  processEnv: Env,
  options: HandlerOptions,
  hooks: FunctionGraphHooks<Config, Own, Result>,
) {
  type Loaded = FunctionGraphInstance<Config, Own>;
  let loaded: Loaded | undefined;
  let loadError: Error | undefined;
  let warned = false;

  function load(context: FunctionGraphContext): Loaded {
    if (loaded) return loaded;
    if (loadError) throw loadError;
    try {
      const env = functionGraphEnv(context, processEnv);
      // The function's own variables are checked with the shared ones: one error lists every problem.
      const problems = new ConfigProblems();
      const own = hooks.loadOwn ? hooks.loadOwn(env, problems) : (undefined as Own);
      const fromEnv = () =>
        loadFunctionConfig(detector, env, 'functiongraph', {
          readFile: (path) => readFileSync(path, 'utf8'),
          geoFiles: nodeGeoFiles,
        });
      let checked: { loaded: FunctionConfig<Config>; ces: CesMetricConfig | undefined };
      try {
        // A function with a metric (unauthorized-api) sends it to Cloud Eye: its settings are checked too.
        checked = detector.metric
          ? withCesMetricConfig(env, detector.name, fromEnv)
          : { loaded: fromEnv(), ces: undefined };
      } catch (error) {
        if (!(error instanceof ConfigError) || problems.problems.length === 0) throw error;
        for (const problem of error.problems) problems.add(problem);
        problems.throwIfAny(detector.name);
        throw error;
      }
      problems.throwIfAny(detector.name);
      const { loaded: config, ces } = checked;
      const memoryStage = createMemoryStage(config.memory, functionGraphStoreLoaders);
      const instanceLog = createLogger(
        { level: config.logLevel, name: detector.name, secrets: storeSecrets(config.memory) },
        options.logDestination,
      );
      reportMemoryAtColdStart(instanceLog, config.memory, Date.now());
      // Geo databases: opened on the first alert that needs them, kept per instance.
      const enricher = createEnricher(config.enrich, { onError: enrichmentErrorLogger(instanceLog) });
      loaded = { ...config, memoryStage, enricher, own, ...(ces ? { ces } : {}) };
      return loaded;
    } catch (error) {
      loadError = error instanceof Error ? error : new Error(errorMessage(error));
      throw loadError;
    }
  }

  async function handler(event: unknown, context: FunctionGraphContext = {}): Promise<Result> {
    const instance = load(context);
    const { sinkConfig, logLevel, warnings, memoryStage } = instance;
    // The agency's credentials of this invocation: scrubbed from every log line.
    const secrets = [
      ...(['getToken', 'getSecurityAccessKey', 'getSecuritySecretKey', 'getSecurityToken'] as const).map((method) =>
        call(context, method),
      ),
      ...storeSecrets(memoryStage.config),
      ...sinkSecrets(sinkConfig),
    ];
    const log = createLogger({ level: logLevel, name: detector.name, secrets }, options.logDestination).child({
      requestId: call(context, 'getRequestID'),
    });
    if (!warned) for (const warning of warnings) log.warn({ warning }, 'configuration warning');
    warned = true;
    const sinks = () =>
      createAlertSinks(sinkConfig, {
        projectId: call(context, 'getProjectID'),
        smnAuth: smnAuthFromContext(context),
      });
    return hooks.invoke(instance, event, { context, log, sinks });
  }

  /** FunctionGraph initializer: validates the config before the first event arrives. */
  function initializer(context: FunctionGraphContext, callback?: (error: Error | null, result?: string) => void): void {
    try {
      load(context);
      callback?.(null, '');
    } catch (error) {
      if (!callback) throw error;
      callback(error instanceof Error ? error : new Error(errorMessage(error)));
    }
  }

  return { handler, initializer };
}
