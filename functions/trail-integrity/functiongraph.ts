/**
 * trail-integrity on FunctionGraph: tamper events (CTS trigger, CTS trace files), CTS digests on OBS as
 * they arrive (the OBS trigger's object-created event: the digest, its signature metadata and the trace
 * files it lists are read from OBS with the agency's temporary AK/SK), and liveness in the alert-memory
 * stage's store (STATE_STORE=redis://… on DCS; the timer trigger is the flush invocation). Config is
 * loaded once per instance, as for the other functions.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from '../../shared/errors';
import { createMemoryStage, reportMemoryAtColdStart } from '../../shared/memory/create-memory-stage';
import { storeSecrets } from '../../shared/memory/memory-config';
import type { MemoryStage } from '../../shared/memory/memory-stage';
import { ConfigProblems, readEnv, type Env } from '../../shared/platform/env-config';
import {
  call,
  type FunctionGraphContext,
  functionGraphEnv,
  functionGraphStoreLoaders,
  smnAuthFromContext,
} from '../../shared/platform/functiongraph-handler';
import type { HandlerOptions } from '../../shared/platform/lambda-handler';
import { type FunctionConfig, loadFunctionConfig } from '../../shared/platform/load-function-config';
import { createLogger } from '../../shared/platform/logger';
import { sinkSecrets } from '../../shared/sinks/sink-config';
import { createAlertSinks } from '../../shared/sinks/create-sinks';
import { keyFacts } from './digest-format';
import { invokeTrailIntegrity, type TrailIntegrityResult } from './invoke-trail-integrity';
import { type KeyValueStore, memoryStageRecords } from './liveness';
import { createObsFetcher, createObsMetadataFetcher, type ObsCredentials, type ObsFetchOptions } from './obs-fetch';
import { derPublicKey, type KeyResolver, staticKeyResolver } from './public-keys';
import { type TrailIntegrityConfig, trailIntegrity } from './trail-integrity';

export interface TrailIntegrityFunctionGraphOptions extends HandlerOptions {
  /** The state store for liveness; default: the alert-memory stage's store (STATE_STORE). */
  store?: KeyValueStore;
  now?: () => Date;
}

type Loaded = FunctionConfig<TrailIntegrityConfig> & {
  memoryStage: MemoryStage;
  obsEndpoint?: string;
  region?: string;
  resolveKey: KeyResolver;
};

/** The agency's temporary keys: OBS signs with AK/SK only. */
function obsCredentials(context: FunctionGraphContext): ObsCredentials | undefined {
  const accessKey = call(context, 'getSecurityAccessKey');
  const secretKey = call(context, 'getSecuritySecretKey');
  if (!accessKey || !secretKey) return undefined;
  const securityToken = call(context, 'getSecurityToken');
  return { accessKey, secretKey, ...(securityToken ? { securityToken } : {}) };
}

export function createTrailIntegrityFunctionGraphHandler(
  processEnv: Env = process.env,
  options: TrailIntegrityFunctionGraphOptions = {},
) {
  let loaded: Loaded | undefined;
  let loadError: Error | undefined;
  let warned = false;

  function load(context: FunctionGraphContext): Loaded {
    if (loaded) return loaded;
    if (loadError) throw loadError;
    try {
      const env = functionGraphEnv(context, processEnv);
      // This package's own variables are checked with the shared ones: one error lists every problem.
      const own = new ConfigProblems();
      const obsEndpoint = readEnv(env, 'OBS_ENDPOINT')?.value;
      if (obsEndpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(obsEndpoint))
        own.add(`OBS_ENDPOINT ${JSON.stringify(obsEndpoint)} is not an http(s) URL`);
      // CTS_PUBLIC_KEY: base64 DER of another CTS key (a cloud whose key differs: UNVERIFIED for OTC / FE).
      const ctsKeyText = readEnv(env, 'CTS_PUBLIC_KEY')?.value;
      let resolveKey: KeyResolver = staticKeyResolver([]);
      if (ctsKeyText !== undefined) {
        try {
          const key = derPublicKey(Buffer.from(ctsKeyText, 'base64'));
          resolveKey = async (_region, digest) => (digest.format === 'cts' ? key : undefined);
        } catch (error) {
          own.add(`CTS_PUBLIC_KEY is not a base64 DER RSA public key: ${errorMessage(error)}`);
        }
      }
      let config: FunctionConfig<TrailIntegrityConfig>;
      try {
        config = loadFunctionConfig(trailIntegrity, env, 'functiongraph', {
          readFile: (path) => readFileSync(path, 'utf8'),
        });
      } catch (error) {
        if (!(error instanceof ConfigError) || own.problems.length === 0) throw error;
        for (const problem of error.problems) own.add(problem);
        own.throwIfAny(trailIntegrity.name);
        throw error;
      }
      own.throwIfAny(trailIntegrity.name);
      const memoryStage = createMemoryStage(config.memory, functionGraphStoreLoaders);
      reportMemoryAtColdStart(
        createLogger(
          { level: config.logLevel, name: trailIntegrity.name, secrets: storeSecrets(config.memory) },
          options.logDestination,
        ),
        config.memory,
        Date.now(),
      );
      const topic = config.sinkConfig.topic;
      const region = config.sinkConfig.region ?? (topic?.startsWith('urn:smn:') ? topic.split(':')[2] : undefined);
      loaded = {
        ...config,
        memoryStage,
        resolveKey,
        ...(obsEndpoint ? { obsEndpoint } : {}),
        ...(region ? { region } : {}),
      };
      return loaded;
    } catch (error) {
      loadError = error instanceof Error ? error : new Error(errorMessage(error));
      throw loadError;
    }
  }

  async function handler(event: unknown, context: FunctionGraphContext = {}): Promise<TrailIntegrityResult> {
    const {
      config,
      sinkConfig,
      logLevel,
      maxDecompressedBytes,
      warnings,
      memoryStage,
      obsEndpoint,
      region,
      resolveKey,
    } = load(context);
    const secrets = [
      ...(['getToken', 'getSecurityAccessKey', 'getSecuritySecretKey', 'getSecurityToken'] as const).map((method) =>
        call(context, method),
      ),
      ...storeSecrets(memoryStage.config),
      ...sinkSecrets(sinkConfig),
    ];
    const log = createLogger({ level: logLevel, name: trailIntegrity.name, secrets }, options.logDestination).child({
      requestId: call(context, 'getRequestID'),
    });
    if (!warned) for (const warning of warnings) log.warn({ warning }, 'configuration warning');
    warned = true;
    const obs: ObsFetchOptions = {
      credentials: () => obsCredentials(context),
      ...(obsEndpoint ? { endpoint: obsEndpoint } : {}),
      ...(region ? { region } : {}),
    };
    // A CTS digest in the event is read twice: verified, then by the trace-file intake (which skips it by its
    // content). The second read is served from the first; only digests are kept (small, one per hour).
    const digests = new Map<string, Uint8Array>();
    const readWithMetadata = createObsMetadataFetcher(obs);
    const readObject = createObsFetcher(obs);
    return invokeTrailIntegrity(config, event, {
      log,
      fetchObject: async (bucket, key, bucketRegion) =>
        digests.get(`${bucket}/${key}`) ?? readObject(bucket, key, bucketRegion),
      fetchWithMetadata: async (bucket, key, bucketRegion) => {
        const object = await readWithMetadata(bucket, key, bucketRegion);
        if (keyFacts(key)?.kind === 'digest') digests.set(`${bucket}/${key}`, object.bytes);
        return object;
      },
      // CTS: the one key Huawei publishes (or CTS_PUBLIC_KEY); CloudTrail digests do not reach FunctionGraph.
      resolveKey,
      store: options.store ?? memoryStageRecords(memoryStage),
      memory: memoryStage,
      now: options.now,
      maxDecompressedBytes,
      sinks: () =>
        createAlertSinks(sinkConfig, {
          projectId: call(context, 'getProjectID'),
          smnAuth: smnAuthFromContext(context),
        }),
    });
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

export const { handler, initializer } = createTrailIntegrityFunctionGraphHandler();
