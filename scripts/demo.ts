/**
 * `npm run demo`: the main job on an embedded default, with no cloud account.
 *
 * Starts the fauxqs SNS/SQS/S3 emulator on loopback, creates an alert topic with an SQS queue
 * subscribed to it and the demo CloudTrail bucket, then feeds every sample in `events/` (AWS and
 * Huawei Cloud, every envelope) to the built Lambda bundles exactly as Lambda would, and finally
 * prints what the topic's subscriber received.
 */
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeInput } from '../shared/intake/decode-input';
import { unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import type { InvocationResult } from '../shared/platform/invoke';
import { startCloudWatchServer } from './cloudwatch-endpoint';
import { startEmulator } from './emulator';

// Node 20 is supported by the pinned AWS SDK; its notice about future releases is noise in a CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROOT = join(__dirname, '..');
const TOPIC = 'trailguard-alerts';
const QUEUE = 'trailguard-alerts-inbox';
const DEMO_LOG_FILE = 'events/aws/envelope-cloudtrail-log-file.json.gz';

/** The embedded default configuration: an office range on both IP versions. */
const DEMO_ENV: Record<string, string> = {
  IP_WHITELIST: '203.0.113.0/24, 2001:db8:1::/48',
  ALERT_ON_FAILED_LOGIN: 'true',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'demo',
  AWS_SECRET_ACCESS_KEY: 'demo',
  LOG_LEVEL: 'warn',
};

function listEvents(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return listEvents(path);
      return /\.json(\.gz)?$/.test(name) ? [path] : [];
    });
}

/** S3 objects the samples point at (S3 notifications, CloudTrail SNS deliveries). */
function referencedObjects(files: string[]): { bucket: string; key: string }[] {
  const objects = new Map<string, { bucket: string; key: string }>();
  for (const file of files) {
    for (const document of decodeInput(readFileSync(file), file).documents) {
      for (const item of unwrapEnvelope(document.value, file)) {
        if (item.type === 'fetch') objects.set(`${item.bucket}/${item.key}`, { bucket: item.bucket, key: item.key });
      }
    }
  }
  return [...objects.values()];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function main(): Promise<void> {
  const files = listEvents(join(ROOT, 'events'));
  const objects = referencedObjects(files);
  const buckets = [...new Set(objects.map((object) => object.bucket))];
  const cloudWatch = await startCloudWatchServer();
  const emulator = await startEmulator({
    topics: [{ name: TOPIC }],
    queues: [{ name: QUEUE }],
    subscriptions: [{ topic: TOPIC, queue: QUEUE }],
    buckets,
  });
  try {
    Object.assign(process.env, DEMO_ENV, {
      ALERT_TOPIC: `arn:aws:sns:us-east-1:000000000000:${TOPIC}`,
      SINK_ENDPOINT: emulator.address,
      S3_ENDPOINT: emulator.address,
      METRIC_ENDPOINT: cloudWatch.url,
    });
    const client = {
      region: 'us-east-1',
      endpoint: emulator.address,
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
    };
    const s3 = new S3Client({ ...client, forcePathStyle: true });
    const logFile = readFileSync(join(ROOT, DEMO_LOG_FILE));
    for (const object of objects)
      await s3.send(new PutObjectCommand({ Bucket: object.bucket, Key: object.key, Body: logFile }));

    console.log(`trailguard demo: SNS/SQS/S3 emulator on ${emulator.address}`);
    console.log(`whitelist ${DEMO_ENV.IP_WHITELIST}; ${files.length} sample events; S3 objects: ${objects.length}\n`);
    const functions = readdirSync(join(ROOT, 'dist', 'aws'))
      .filter((name) => name.endsWith('.mjs'))
      .sort();
    for (const bundle of functions) {
      // The Lambda bundles are ES modules, loaded as Lambda loads them.
      const { handler } = (await import(pathToFileURL(join(ROOT, 'dist', 'aws', bundle)).href)) as {
        handler: (event: unknown, context: object) => Promise<InvocationResult>;
      };
      const totals = {
        records: 0,
        alerts: 0,
        rejected: 0,
        metric: undefined as undefined | { name: string; value: number },
      };
      for (const file of files) {
        for (const document of decodeInput(readFileSync(file), file).documents) {
          const result = await handler(document.value, {
            awsRequestId: `demo-${relative(ROOT, file)}`,
            invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${bundle.replace(/\.mjs$/, '')}`,
          });
          totals.records += result.records;
          totals.alerts += result.alerts;
          totals.rejected += result.rejected;
          if (result.metric)
            totals.metric = { name: result.metric.name, value: (totals.metric?.value ?? 0) + result.metric.value };
        }
      }
      const metric = totals.metric
        ? `, ${totals.metric.name} ${totals.metric.value} (sent to the local CloudWatch endpoint)`
        : '';
      console.log(
        `${bundle.replace(/\.mjs$/, '')}: ${totals.records} records, ${totals.alerts} alerts published, ${totals.rejected} rejected${metric}`,
      );
    }

    const sqs = new SQSClient(client);
    const { QueueUrl: queueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: QUEUE }));
    const received: { Subject?: string; Message?: string }[] = [];
    for (;;) {
      const batch = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (!batch.Messages?.length) break;
      for (const message of batch.Messages)
        received.push(parseJson(message.Body ?? '') as { Subject?: string; Message?: string });
    }
    console.log(`\nThe subscriber of ${TOPIC} received ${received.length} message(s):\n`);
    for (const message of received) {
      console.log(`--- Subject: ${message.Subject ?? '(none)'}`);
      console.log(`${message.Message ?? ''}\n`);
    }
  } finally {
    await Promise.all([emulator.stop(), cloudWatch.close()]);
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
