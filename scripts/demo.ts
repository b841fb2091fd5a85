/**
 * `npm run demo`: every sample in events/ through the built Lambda bundles, with no cloud account.
 *
 * 1. Sets up, on 127.0.0.1: the fauxqs SNS/SQS/S3 emulator with an alert topic, a queue subscribed to
 *    it (the subscriber) and the demo trail bucket holding the log files the S3/SNS notification samples
 *    point at; a local CloudWatch endpoint for the metric. Prints that, and the settings in use.
 * 2. Feeds each sample (AWS and Huawei Cloud, every envelope) to each function's Lambda bundle
 *    (dist/aws/<fn>.js) as Lambda would, and reads what the subscriber received after each one.
 * 3. Prints each distinct alert once, with the other envelopes that delivered the same alert
 *    ("also delivered as"), then the summary: the counts of `trailguard replay <fn> events/` with the
 *    same settings (run for real, with the built CLI), next to what the Lambda bundles delivered.
 *
 * Settings: the functions' defaults, plus IP_WHITELIST (the one variable without a default). Any
 * setting already in the environment is used instead (`ALERT_ON_FAILED_LOGIN=true npm run demo`).
 */
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeInput } from '../shared/intake/decode-input';
import { unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import type { InvocationResult } from '../shared/platform/invoke';
import { startCloudWatchServer } from './cloudwatch-endpoint';
import { startEmulator } from './emulator';

// Node 20 is supported by the pinned AWS SDK; its notice about its releases after January 2027 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROOT = join(__dirname, '..');
const TOPIC = 'trailguard-alerts';
const QUEUE = 'trailguard-alerts-inbox';
const DEMO_LOG_FILE = 'events/aws/envelope-cloudtrail-log-file.json.gz';
const DEMO_WHITELIST = '203.0.113.0/24, 2001:db8:1::/48';

/** The variables each function reads (README, Functions), shown with the value in use. */
const SETTINGS: Record<string, string[]> = {
  'login-whitelist': ['IP_WHITELIST', 'ALERT_ON_FAILED_LOGIN', 'NON_IP_SOURCE'],
  'unauthorized-api': ['RULE_SETS', 'CUSTOM_RULES', 'FILTER_PATTERN', 'CTS_RULE', 'METRIC_MODE'],
  'config-compliance': ['NOTIFY_ON', 'RULE_INCLUDE', 'RULE_EXCLUDE', 'ALERT_ON_PUT_EVALUATIONS'],
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

interface Received {
  Subject?: string;
  Message?: string;
  MessageAttributes?: Record<string, { Value?: string }>;
}

interface DistinctAlert {
  fn: string;
  rule: string;
  subject: string;
  message: string;
  /** The samples whose delivery carried this alert, first one first. */
  samples: string[];
  deliveries: number;
}

/** What `trailguard replay <fn> events/` says with the same settings: its summary line and alert count. */
function replaySummary(fn: string, env: NodeJS.ProcessEnv): { line: string; alerts: number | undefined } {
  const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'trailguard.js'), 'replay', fn, 'events/'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line =
    result.stderr
      .split('\n')
      .reverse()
      .find((text) => text.startsWith(`${fn}: `)) ?? `(no summary; exit ${result.status}) ${result.stderr.trim()}`;
  const alerts = /(\d+) alert\(s\)/.exec(line)?.[1];
  return { line, alerts: alerts === undefined ? undefined : Number(alerts) };
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
    process.env.IP_WHITELIST ??= DEMO_WHITELIST;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'demo',
      AWS_SECRET_ACCESS_KEY: 'demo',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // One process, one warm instance per function: the alert memory of replay and the demo.
      STATE_STORE: process.env.STATE_STORE ?? 'memory',
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
    const bundles = readdirSync(join(ROOT, 'dist', 'aws'))
      .filter((name) => name.endsWith('.js'))
      .map((name) => name.replace(/\.js$/, ''))
      .sort();

    console.log('trailguard demo: no cloud account; everything runs on 127.0.0.1\n');
    console.log('Set up:');
    console.log(`  SNS/SQS/S3 emulator (fauxqs)  ${emulator.address}`);
    console.log(`  alert topic                   ${process.env.ALERT_TOPIC}`);
    console.log(`  its subscriber                SQS queue ${QUEUE}`);
    console.log(
      `  trail bucket                  ${buckets.join(', ')}: ${objects.length} log files the notification samples point at (copies of ${DEMO_LOG_FILE})`,
    );
    console.log(`  CloudWatch endpoint           ${cloudWatch.url} (the AuthorizationFailureCount metric)`);
    console.log(`Inputs: ${files.length} samples in events/ (AWS and Huawei Cloud, every envelope), each fed to`);
    console.log(`  ${bundles.map((fn) => `dist/aws/${fn}.js`).join(', ')} as Lambda would`);
    console.log('Settings (unset = the function’s default; set any of them to change it):');
    for (const fn of bundles) {
      const shown = (SETTINGS[fn] ?? []).map((name) =>
        process.env[name] === undefined ? `${name} unset` : `${name}=${process.env[name]}`,
      );
      console.log(`  ${fn.padEnd(18)} ${shown.join('; ') || '(defaults)'}`);
    }
    const memoryShown = ['STATE_STORE', 'DEDUP_WINDOW', 'DEDUP_TTL', 'THRESHOLDS', 'SUPPRESS'].map((name) =>
      process.env[name] === undefined ? `${name} unset` : `${name}=${process.env[name]}`,
    );
    console.log(`  ${'every function'.padEnd(18)} ${memoryShown.join('; ')}`);

    const sqs = new SQSClient(client);
    const { QueueUrl: queueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: QUEUE }));
    /** What the subscriber has received since the last call (the emulator delivers on publish). */
    const drain = async (expected: number): Promise<Received[]> => {
      const out: Received[] = [];
      for (let empty = 0; out.length < expected || empty === 0; ) {
        const batch = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        if (!batch.Messages?.length) {
          if (out.length >= expected || ++empty > 40) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
          continue;
        }
        for (const message of batch.Messages) out.push(parseJson(message.Body ?? '') as Received);
      }
      return out;
    };

    const distinct = new Map<string, DistinctAlert>();
    const lambdaTotals = new Map<string, { invocations: number; delivered: number; metric: number }>();
    const repeatsByFunction = new Map<string, string[]>();
    for (const fn of bundles) {
      const { handler } = (await import(pathToFileURL(join(ROOT, 'dist', 'aws', `${fn}.js`)).href)) as {
        handler: (event: unknown, context: object) => Promise<InvocationResult>;
      };
      const totals = { invocations: 0, delivered: 0, metric: 0 };
      const repeats: string[] = [];
      for (const file of files) {
        const sample = relative(ROOT, file);
        for (const document of decodeInput(readFileSync(file), file).documents) {
          const result = await handler(document.value, {
            awsRequestId: `demo-${sample}`,
            invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${fn}`,
          });
          totals.invocations++;
          totals.delivered += result.delivered;
          totals.metric += result.metric?.value ?? 0;
          // The same event through another envelope: the alert memory knows its id and sends nothing again.
          if ((result.memory?.duplicates ?? 0) > 0 && !repeats.includes(sample)) repeats.push(sample);
          for (const message of await drain(result.delivered)) {
            const subject = message.Subject ?? '(no subject)';
            const text = message.Message ?? '';
            const key = `${fn}\n${subject}\n${text}`;
            const known = distinct.get(key);
            if (known) {
              known.deliveries++;
              if (!known.samples.includes(sample)) known.samples.push(sample);
            } else {
              const rule = message.MessageAttributes?.rule?.Value ?? '?';
              distinct.set(key, { fn, rule, subject, message: text, samples: [sample], deliveries: 1 });
            }
          }
        }
      }
      lambdaTotals.set(fn, totals);
      if (repeats.length > 0) repeatsByFunction.set(fn, repeats);
    }

    console.log(`\nAlerts the subscriber received, each distinct one once (${distinct.size}):\n`);
    for (const alert of distinct.values()) {
      console.log(`--- ${alert.fn} / ${alert.rule}   Subject: ${alert.subject}`);
      console.log(alert.message);
      console.log(`    delivered from: ${alert.samples[0]}`);
      if (alert.samples.length > 1) console.log(`    also delivered as: ${alert.samples.slice(1).join(', ')}`);
      console.log('');
    }
    for (const [fn, samples] of repeatsByFunction) {
      console.log(
        `--- ${fn}: events already alerted, held back by the alert memory (same event id, STATE_STORE=memory)`,
      );
      console.log(`    also delivered as: ${samples.join(', ')}`);
      console.log('');
    }

    const replayEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['ALERT_TOPIC', 'SINK_ENDPOINT', 'S3_ENDPOINT', 'METRIC_ENDPOINT']) delete replayEnv[name];
    const settingsShown = Object.values(SETTINGS)
      .flat()
      .filter((name) => process.env[name] !== undefined)
      .map((name) => `${name}='${process.env[name]}'`)
      .join(' ');
    console.log('Summary');
    console.log(`  the same inputs, the same settings: ${settingsShown} trailguard replay <function> events/`);
    for (const fn of bundles) {
      const replay = replaySummary(fn, replayEnv);
      const mine = [...distinct.values()].filter((alert) => alert.fn === fn).length;
      // A digest delivered to the Lambda is verified on arrival; replay leaves digests to --verify.
      const onArrival = [...distinct.values()].filter(
        (alert) => alert.fn === fn && alert.rule === 'digest-verification-failed',
      ).length;
      const totals = lambdaTotals.get(fn) ?? { invocations: 0, delivered: 0, metric: 0 };
      const same =
        replay.alerts === mine
          ? 'the same alerts as replay'
          : onArrival > 0 && replay.alerts === mine - onArrival
            ? `the same alerts as replay, plus ${onArrival} from digest(s) checked on arrival, which replay leaves to --verify`
            : `replay counts ${replay.alerts ?? '?'} alert(s): they differ`;
      const metric = totals.metric
        ? `; metric AuthorizationFailureCount ${totals.metric} sent to the CloudWatch endpoint`
        : '';
      console.log(`  ${replay.line}`);
      console.log(
        `    Lambda bundle: ${totals.invocations} invocations, ${mine} distinct alert(s) in ${totals.delivered} message(s) to the subscriber (${same})${metric}`,
      );
    }
    const multi = [...distinct.values()].filter((alert) => alert.samples.length > 1).length;
    console.log(
      `  ${multi} of the ${distinct.size} alerts arrived in more than one envelope sample: the same event, delivered the ways AWS and Huawei Cloud deliver it.`,
    );
  } finally {
    await Promise.all([emulator.stop(), cloudWatch.close()]);
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
