/**
 * trail-integrity on AWS Lambda: the shared config and sinks, plus what only this function needs: S3
 * reads with metadata (digest signatures), CloudTrail ListPublicKeys (cached per instance, per region
 * and fingerprint), and the state store for liveness. Config is checked at cold start.
 */
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { readEnv, type Env } from '../../shared/platform/env-config';
import { createLambdaHandlerWith, type HandlerOptions } from '../../shared/platform/lambda-handler';
import { createS3MetadataFetcher } from '../../shared/platform/s3-fetch';
import { invokeTrailIntegrity } from './invoke-trail-integrity';
import { type KeyValueStore, memoryStageRecords } from './liveness';
import { listPublicKeysResolver } from './public-keys';
import { trailIntegrity } from './trail-integrity';

export interface TrailIntegrityHandlerOptions extends HandlerOptions {
  /** The state store for liveness; default: the alert-memory stage's store (STATE_STORE). */
  store?: KeyValueStore;
  now?: () => Date;
}

export function createTrailIntegrityLambdaHandler(env: Env = process.env, options: TrailIntegrityHandlerOptions = {}) {
  return createLambdaHandlerWith(trailIntegrity, env, options, (instance) => {
    const { config, maxDecompressedBytes, memoryStage, enricher, fetchObject } = instance;
    const cloudTrailEndpoint = readEnv(env, 'CLOUDTRAIL_ENDPOINT')?.value;
    // Liveness keeps "time last seen" in the alert-memory stage's store (STATE_STORE), like the others' dedup state.
    // Tamper alerts go through that stage too (repeats, dedup window, thresholds, suppressions).
    const store = options.store ?? memoryStageRecords(memoryStage);
    const cloudTrailClients = new Map<string, Promise<CloudTrailClient>>();
    // Per instance: the keys of a region change about once a year, digests arrive every hour.
    const resolveKey = listPublicKeysResolver((region) => {
      let client = cloudTrailClients.get(region);
      if (!client) {
        client = import('@aws-sdk/client-cloudtrail').then(
          ({ CloudTrailClient }) =>
            new CloudTrailClient({
              region,
              maxAttempts: 4,
              ...(cloudTrailEndpoint ? { endpoint: cloudTrailEndpoint } : {}),
            }),
        );
        cloudTrailClients.set(region, client);
      }
      return client;
    });
    const fetchWithMetadata = createS3MetadataFetcher(instance.s3Clients);
    return (event, { log, sinks }) =>
      invokeTrailIntegrity(config, event, {
        log,
        fetchObject,
        fetchWithMetadata,
        resolveKey,
        store,
        memory: memoryStage,
        enricher,
        now: options.now,
        maxDecompressedBytes,
        sinks,
      });
  });
}
