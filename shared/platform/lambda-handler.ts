/**
 * AWS Lambda adapter. Config is read and checked at cold start (module load): a bad whitelist or a
 * missing topic fails the init phase loudly instead of letting every event through.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Detector, MetricSettings } from '../detect/detector';
import { readEnv, type Env } from './env-config';
import { createLogger, type DestinationStream } from './logger';
import { createCloudWatchMetricPublisher, createEmfMetricPublisher } from '../sinks/metrics';
import { createAlertSinks } from '../sinks/create-sinks';
import { sinkSecrets } from '../sinks/sink-config';
import { snsSinkFor } from '../sinks/sns-sink';
import { type HandlerInvocation, invokeDetector, type InvocationResult } from './invoke';
import { type FunctionConfig, loadFunctionConfig } from './load-function-config';
import { createS3Fetcher, s3ClientsByRegion } from './s3-fetch';
import { readFileSync } from 'node:fs';
import { storeSecrets } from '../memory/memory-config';
import { createMemoryStage, reportMemoryAtColdStart, type StoreLoaders } from '../memory/create-memory-stage';
import type { MemoryStage } from '../memory/memory-stage';
import { isFlushEvent } from '../memory/flush-event';
import { flushMemory } from './invoke';
import { createEnricher, type Enricher, enrichmentErrorLogger, listAccountsWithSdk } from '../enrich/enricher';
import { nodeGeoFiles } from '../enrich/geo-database';
import type { FetchObject } from '../pipeline';
import { isS3BatchInvocation } from '../intake/unwrap-envelope';
import { runS3BatchInvocation, type S3BatchInvocationEvent, type S3BatchResponse } from './s3-batch';

export interface LambdaContext {
  awsRequestId?: string;
  invokedFunctionArn?: string;
}

/** `arn:aws:lambda:us-east-1:111122223333:function:name` → `111122223333`. */
export function accountFromFunctionArn(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** The environment variables that hold this process's AWS credentials: scrubbed from every log line. */
export const AWS_CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

function isSqsBatch(event: unknown): boolean {
  const records = (event as { Records?: unknown })?.Records;
  return (
    Array.isArray(records) && records.length > 0 && (records[0] as { eventSource?: unknown })?.eventSource === 'aws:sqs'
  );
}

export interface HandlerOptions {
  /** Where log lines go (default: stderr); tests and embedders capture them here. */
  logDestination?: DestinationStream;
}

/** What one Lambda instance holds after its cold start, for the function's invocations. */
export type LambdaInstance<Config> = FunctionConfig<Config> & {
  env: Env;
  log: ReturnType<typeof createLogger>;
  /** AWS_REGION, else the topic's region. */
  functionRegion: string | undefined;
  /** S3 clients by bucket region (S3_ENDPOINT honoured), and the fetcher over them. */
  s3Clients: (region: string | undefined) => Promise<S3Client>;
  fetchObject: FetchObject;
  memoryStage: MemoryStage;
  enricher: Enricher;
};

/** One invocation's wiring, as the shared handler made it. */
export type LambdaInvocation = HandlerInvocation<LambdaContext>;

/**
 * A function's own part of the shared handler (trail-integrity: digests and liveness): called once at
 * cold start with the instance, it returns what runs each invocation instead of the detector's pipeline.
 */
export type LambdaInvokeStep<Config, Result> = (
  instance: LambdaInstance<Config>,
) => (event: unknown, invocation: LambdaInvocation) => Promise<Result>;

export function createLambdaHandler<Config>(
  detector: Detector<Config>,
  env: Env = process.env,
  options: HandlerOptions = {},
): LambdaHandler {
  return createLambdaHandlerWith(detector, env, options, (instance) =>
    invokeDetectorOnLambda(detector, instance),
  ) as LambdaHandler;
}

/** The shared handler (config at cold start, secrets, logger, clients, sinks) with a function's own invocation step. */
export function createLambdaHandlerWith<Config, Result>(
  detector: Detector<Config>,
  env: Env,
  options: HandlerOptions,
  step: LambdaInvokeStep<Config, Result>,
): (event: unknown, context?: LambdaContext) => Promise<Result> {
  const loaded = loadFunctionConfig(detector, env, 'aws', {
    readFile: (path) => readFileSync(path, 'utf8'),
    geoFiles: nodeGeoFiles,
  });
  const { sinkConfig, logLevel, warnings } = loaded;
  const secrets = [
    ...AWS_CREDENTIAL_VARIABLES.flatMap((name) => [env[name], process.env[name]]),
    ...storeSecrets(loaded.memory),
    ...sinkSecrets(sinkConfig),
  ];
  const log = createLogger({ level: logLevel, name: detector.name, secrets }, options.logDestination);
  for (const warning of warnings) log.warn({ warning }, 'configuration warning');
  const s3Endpoint = readEnv(env, 'S3_ENDPOINT')?.value ?? sinkConfig.endpoint;
  // SDK clients are created (and their code loaded) on first use: an invocation that fetches nothing
  // and publishes nothing never pays for them.
  // S3 and CloudWatch live in the function's region (ALERT_REGION is the topic's, which may differ).
  const functionRegion = readEnv(env, 'AWS_REGION', 'AWS_DEFAULT_REGION')?.value ?? sinkConfig.region;
  const s3Clients = s3ClientsByRegion({ defaultRegion: functionRegion ?? 'us-east-1', endpoint: s3Endpoint });
  const fetchObject = createS3Fetcher(s3Clients);
  // The memory stage's store client loads on first use, in its own chunk, like the SDK clients.
  const memory = createMemoryStage(loaded.memory, lambdaStoreLoaders(functionRegion));
  reportMemoryAtColdStart(log, loaded.memory, Date.now());
  // Geo databases and Organizations' account list: opened on the first alert that needs them, kept per instance.
  const enricher = createEnricher(loaded.enrich, {
    onError: enrichmentErrorLogger(log),
    listAccounts: listAccountsWithSdk,
  });
  const invoke = step({ ...loaded, env, log, functionRegion, s3Clients, fetchObject, memoryStage: memory, enricher });

  return async function handler(event: unknown, context: LambdaContext = {}): Promise<Result> {
    const sinks = () =>
      createAlertSinks(sinkConfig, {
        account: accountFromFunctionArn(context.invokedFunctionArn),
        snsSink: snsSinkFor,
      });
    return invoke(event, { context, log: log.child({ requestId: context.awsRequestId }), sinks });
  };
}

/** The detector's pipeline per invocation: flushes, S3 Batch Operations tasks, SQS batches, metrics. */
function invokeDetectorOnLambda<Config>(
  detector: Detector<Config>,
  {
    env,
    config,
    maxDecompressedBytes,
    functionRegion,
    fetchObject,
    memoryStage: memory,
    enricher,
  }: LambdaInstance<Config>,
) {
  const metricEndpoint = readEnv(env, 'METRIC_ENDPOINT')?.value;
  let cloudWatch: Promise<CloudWatchClient> | undefined;
  const emfPublisher = (settings: MetricSettings) =>
    createEmfMetricPublisher(settings, (line) => process.stdout.write(`${line}\n`), { function: detector.name });
  const metricPublisher = (settings: MetricSettings) =>
    settings.mode === 'emf'
      ? emfPublisher(settings)
      : createCloudWatchMetricPublisher(
          (cloudWatch ??= import('@aws-sdk/client-cloudwatch').then(
            ({ CloudWatchClient }) =>
              new CloudWatchClient({
                region: functionRegion,
                maxAttempts: 4,
                // As for SNS: a CloudWatch endpoint that does not answer must fail the attempt, not hold the invocation.
                requestHandler: { requestTimeout: 5_000, connectionTimeout: 3_000, throwOnRequestTimeout: true },
                ...(metricEndpoint ? { endpoint: metricEndpoint } : {}),
              }),
          )),
          settings,
        );

  return async (
    event: unknown,
    { log: child, sinks }: LambdaInvocation,
  ): Promise<InvocationResult | S3BatchResponse> => {
    if (isFlushEvent(event)) return flushMemory(detector.name, memory, { log: child, sinks });
    const run = (input: unknown, fetch: FetchObject) =>
      invokeDetector(detector, config, input, {
        log: child,
        fetchObject: fetch,
        maxDecompressedBytes,
        metricPublisher,
        metricFallback: emfPublisher,
        memory,
        sinks,
        enricher,
      });
    // S3 Batch Operations wants a result per task, not a thrown error (shared/platform/s3-batch.ts).
    if (isS3BatchInvocation(event)) return runS3BatchInvocation(event, fetchObject, run);
    const result = await run(event, fetchObject);
    // EventBridge → SQS → Lambda with ReportBatchItemFailures: nothing failed (a failure throws, and the
    // whole batch is retried; the memory stage makes the retry repeat nothing that was delivered).
    return isSqsBatch(event) ? { ...result, batchItemFailures: [] } : result;
  };
}

/** An S3 Batch Operations invocation gets its per-task answer; any other event the invocation's result. */
export interface LambdaHandler {
  (event: S3BatchInvocationEvent, context?: LambdaContext): Promise<S3BatchResponse>;
  (event: unknown, context?: LambdaContext): Promise<InvocationResult>;
}

/** The DynamoDB and Redis stores on Lambda: each client loads on first use, in its own chunk, like the SDK clients. */
export function lambdaStoreLoaders(functionRegion: string | undefined): StoreLoaders {
  return {
    dynamodb: (table, memoryConfig) =>
      import('../memory/dynamodb-store').then(({ createDynamoDbStore }) =>
        createDynamoDbStore({
          table,
          endpoint: memoryConfig.endpoint,
          region: functionRegion ?? 'us-east-1',
          requestTimeoutMs: Math.max(1_000, memoryConfig.timeoutMs),
        }),
      ),
    redis: (url, memoryConfig) =>
      import('../memory/redis-store').then(({ createRedisStore }) =>
        createRedisStore({ url, password: memoryConfig.password, timeoutMs: memoryConfig.timeoutMs }),
      ),
  };
}
