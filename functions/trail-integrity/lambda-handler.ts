/**
 * trail-integrity on AWS Lambda: the shared config and sinks, plus what only this function needs: S3
 * reads with metadata (digest signatures), CloudTrail ListPublicKeys (cached per instance, per region
 * and fingerprint), and the state store for liveness. Config is checked at cold start.
 */
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { readEnv, type Env } from '../../shared/platform/env-config';
import { createLambdaHandlerWith, type HandlerOptions, type LambdaContext } from '../../shared/platform/lambda-handler';
import { createS3MetadataFetcher } from '../../shared/platform/s3-fetch';
import { isS3BatchInvocation } from '../../shared/intake/unwrap-envelope';
import type { FetchObject } from '../../shared/pipeline';
import {
  runS3BatchInvocation,
  type S3BatchInvocationEvent,
  type S3BatchResponse,
} from '../../shared/platform/s3-batch';
import { invokeTrailIntegrity, type TrailIntegrityResult } from './invoke-trail-integrity';
import { type KeyValueStore, memoryStageRecords } from './liveness';
import { listPublicKeysResolver } from './public-keys';
import { trailIntegrity } from './trail-integrity';

export interface TrailIntegrityHandlerOptions extends HandlerOptions {
  /** The state store for liveness; default: the alert-memory stage's store (STATE_STORE). */
  store?: KeyValueStore;
  now?: () => Date;
}

/** An S3 Batch Operations invocation gets its per-task answer; any other event the invocation's result. */
export interface TrailIntegrityLambdaHandler {
  (event: S3BatchInvocationEvent, context?: LambdaContext): Promise<S3BatchResponse>;
  (event: unknown, context?: LambdaContext): Promise<TrailIntegrityResult>;
}

export function createTrailIntegrityLambdaHandler(
  env: Env = process.env,
  options: TrailIntegrityHandlerOptions = {},
): TrailIntegrityLambdaHandler {
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
    return (event, { log, sinks }): Promise<TrailIntegrityResult | S3BatchResponse> => {
      const run = (input: unknown, fetch: FetchObject) =>
        invokeTrailIntegrity(config, input, {
          log,
          fetchObject: fetch,
          fetchWithMetadata,
          resolveKey,
          store,
          memory: memoryStage,
          enricher,
          now: options.now,
          maxDecompressedBytes,
          sinks,
        });
      // S3 Batch Operations over an archive's manifest (docs/backfill-aws.md): a result per task, as the
      // other functions give (invokeTrailIntegrity records no liveness arrival for a task's files).
      if (isS3BatchInvocation(event)) return runS3BatchInvocation(event, fetchObject, run, digestCounts);
      return run(event, fetchObject);
    };
  }) as TrailIntegrityLambdaHandler;
}

/** A task's result string also says what became of the digests in it (S3 Batch Operations' report). */
function digestCounts(result: TrailIntegrityResult): string[] {
  return result.digestsVerified
    ? [
        `digestsVerified=${result.digestsVerified}`,
        `verificationFailures=${result.verificationFailures}`,
        `unverifiable=${result.unverifiable}`,
      ]
    : [];
}
