/**
 * trail-integrity on AWS Lambda: the shared config and sinks, plus what only this function needs: S3
 * reads with metadata (digest signatures), CloudTrail ListPublicKeys (cached per instance, per region
 * and fingerprint), and the state store for liveness. Config is checked at cold start.
 */
import { createEnricher, enrichmentErrorLogger, listAccountsWithSdk } from '../../shared/enrich/enricher';
import { nodeGeoFiles } from '../../shared/enrich/geo-database';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import { readEnv, type Env } from '../../shared/platform/env-config';
import {
  accountFromFunctionArn,
  AWS_CREDENTIAL_VARIABLES,
  type HandlerOptions,
  type LambdaContext,
  lambdaStoreLoaders,
} from '../../shared/platform/lambda-handler';
import { createMemoryStage, reportMemoryAtColdStart } from '../../shared/memory/create-memory-stage';
import { loadFunctionConfig } from '../../shared/platform/load-function-config';
import { createLogger } from '../../shared/platform/logger';
import { storeSecrets } from '../../shared/memory/memory-config';
import { sinkSecrets } from '../../shared/sinks/sink-config';
import { createS3Fetcher, createS3MetadataFetcher } from '../../shared/platform/s3-fetch';
import { createAlertSinks } from '../../shared/sinks/create-sinks';
import { snsSinkFor } from '../../shared/sinks/sns-sink';
import { invokeTrailIntegrity, type TrailIntegrityResult } from './invoke-trail-integrity';
import { type KeyValueStore, memoryStageRecords } from './liveness';
import { listPublicKeysResolver } from './public-keys';
import { trailIntegrity } from './trail-integrity';

export interface TrailIntegrityHandlerOptions extends HandlerOptions {
  /** The state store for liveness; default: the alert-memory stage's store (STATE_STORE). */
  store?: KeyValueStore;
  now?: () => Date;
}

export function createTrailIntegrityLambdaHandler(env: Env = process.env, options: TrailIntegrityHandlerOptions = {}) {
  const loaded = loadFunctionConfig(trailIntegrity, env, 'aws', { geoFiles: nodeGeoFiles });
  const { config, sinkConfig, maxDecompressedBytes, logLevel } = loaded;
  const secrets = [
    ...AWS_CREDENTIAL_VARIABLES.flatMap((name) => [env[name], process.env[name]]),
    ...storeSecrets(loaded.memory),
    ...sinkSecrets(sinkConfig),
  ];
  const log = createLogger({ level: logLevel, name: trailIntegrity.name, secrets }, options.logDestination);
  const s3Endpoint = readEnv(env, 'S3_ENDPOINT')?.value ?? sinkConfig.endpoint;
  const cloudTrailEndpoint = readEnv(env, 'CLOUDTRAIL_ENDPOINT')?.value;
  const functionRegion = readEnv(env, 'AWS_REGION', 'AWS_DEFAULT_REGION')?.value ?? sinkConfig.region ?? 'us-east-1';
  // Liveness keeps "time last seen" in the alert-memory stage's store (STATE_STORE), like the others' dedup state.
  // Tamper alerts go through that stage too (repeats, dedup window, thresholds, suppressions).
  const memory = createMemoryStage(loaded.memory, lambdaStoreLoaders(functionRegion));
  const store = options.store ?? memoryStageRecords(memory);
  // Geo and account names for tamper alerts (shared/enrich), opened on the first alert that needs them.
  const enricher = createEnricher(loaded.enrich, {
    onError: enrichmentErrorLogger(log),
    listAccounts: listAccountsWithSdk,
  });
  reportMemoryAtColdStart(log, loaded.memory, Date.now());
  const s3Clients = new Map<string, Promise<S3Client>>();
  const s3For = (bucketRegion: string | undefined) => {
    const region = bucketRegion ?? functionRegion;
    let client = s3Clients.get(region);
    if (!client) {
      client = import('@aws-sdk/client-s3').then(
        ({ S3Client }) =>
          new S3Client({
            region,
            followRegionRedirects: true,
            ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}),
          }),
      );
      s3Clients.set(region, client);
    }
    return client;
  };
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
  const fetchObject = createS3Fetcher(s3For);
  const fetchWithMetadata = createS3MetadataFetcher(s3For);

  return async function handler(event: unknown, context: LambdaContext = {}): Promise<TrailIntegrityResult> {
    return invokeTrailIntegrity(config, event, {
      log: log.child({ requestId: context.awsRequestId }),
      fetchObject,
      fetchWithMetadata,
      resolveKey,
      store,
      memory,
      enricher,
      now: options.now,
      maxDecompressedBytes,
      sinks: () =>
        createAlertSinks(sinkConfig, {
          account: accountFromFunctionArn(context.invokedFunctionArn),
          snsSink: snsSinkFor,
        }),
    });
  };
}
