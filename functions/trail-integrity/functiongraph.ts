/**
 * trail-integrity on FunctionGraph: tamper events (CTS trigger, CTS trace files), CTS digests on OBS as
 * they arrive (the OBS trigger's object-created event: the digest, its signature metadata and the trace
 * files it lists are read from OBS with the agency's temporary AK/SK), and liveness in the alert-memory
 * stage's store (STATE_STORE=redis://… on DCS; the timer trigger is the flush invocation). Config is
 * loaded once per instance, as for the other functions.
 */
import { errorMessage } from '../../shared/errors';
import { type ConfigProblems, readEnv, type Env } from '../../shared/platform/env-config';
import {
  call,
  createFunctionGraphHandlerWith,
  type FunctionGraphContext,
} from '../../shared/platform/functiongraph-handler';
import type { HandlerOptions } from '../../shared/platform/lambda-handler';
import { keyFacts } from './digest-format';
import { invokeTrailIntegrity } from './invoke-trail-integrity';
import { type KeyValueStore, memoryStageRecords } from './liveness';
import { createObsFetcher, createObsMetadataFetcher, type ObsCredentials, type ObsFetchOptions } from './obs-fetch';
import { derPublicKey, type KeyResolver, staticKeyResolver } from './public-keys';
import { trailIntegrity } from './trail-integrity';

export interface TrailIntegrityFunctionGraphOptions extends HandlerOptions {
  /** The state store for liveness; default: the alert-memory stage's store (STATE_STORE). */
  store?: KeyValueStore;
  now?: () => Date;
}

/** The agency's temporary keys: OBS signs with AK/SK only. */
function obsCredentials(context: FunctionGraphContext): ObsCredentials | undefined {
  const accessKey = call(context, 'getSecurityAccessKey');
  const secretKey = call(context, 'getSecuritySecretKey');
  if (!accessKey || !secretKey) return undefined;
  const securityToken = call(context, 'getSecurityToken');
  return { accessKey, secretKey, ...(securityToken ? { securityToken } : {}) };
}

/** OBS_ENDPOINT and CTS_PUBLIC_KEY, read at cold start with the shared variables. */
function loadObsSettings(env: Env, problems: ConfigProblems): { obsEndpoint?: string; resolveKey: KeyResolver } {
  const obsEndpoint = readEnv(env, 'OBS_ENDPOINT')?.value;
  if (obsEndpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(obsEndpoint))
    problems.add(`OBS_ENDPOINT ${JSON.stringify(obsEndpoint)} is not an http(s) URL`);
  // CTS_PUBLIC_KEY: base64 DER of another CTS key (a cloud whose key differs: UNVERIFIED for OTC / FE).
  const ctsKeyText = readEnv(env, 'CTS_PUBLIC_KEY')?.value;
  let resolveKey: KeyResolver = staticKeyResolver([]);
  if (ctsKeyText !== undefined) {
    try {
      const key = derPublicKey(Buffer.from(ctsKeyText, 'base64'));
      resolveKey = async (_region, digest) => (digest.format === 'cts' ? key : undefined);
    } catch (error) {
      problems.add(`CTS_PUBLIC_KEY is not a base64 DER RSA public key: ${errorMessage(error)}`);
    }
  }
  return { ...(obsEndpoint ? { obsEndpoint } : {}), resolveKey };
}

export function createTrailIntegrityFunctionGraphHandler(
  processEnv: Env = process.env,
  options: TrailIntegrityFunctionGraphOptions = {},
) {
  return createFunctionGraphHandlerWith(trailIntegrity, processEnv, options, {
    loadOwn: loadObsSettings,
    invoke(instance, event, { context, log, sinks }) {
      const { config, sinkConfig, maxDecompressedBytes, memoryStage } = instance;
      const { obsEndpoint, resolveKey } = instance.own;
      const topic = sinkConfig.topic;
      const region = sinkConfig.region ?? (topic?.startsWith('urn:smn:') ? topic.split(':')[2] : undefined);
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
        sinks,
      });
    },
  });
}

export const { handler, initializer } = createTrailIntegrityFunctionGraphHandler();
