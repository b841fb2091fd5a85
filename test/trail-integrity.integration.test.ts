/**
 * trail-integrity on Lambda, end to end on loopback: digests and log files in the fauxqs S3 emulator
 * (signatures as object metadata), public keys from a local CloudTrail endpoint, alerts through the SNS
 * emulator to an SQS subscriber, liveness in the in-memory state store.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createTrailIntegrityLambdaHandler } from '../functions/trail-integrity/lambda-handler';
import { createMemoryStore, LIVENESS_PREFIX } from '../functions/trail-integrity/liveness';
import { useAlertTopicEmulator } from './support/alert-topic-emulator';
import { type CloudTrailEndpoint, startCloudTrailEndpoint } from './support/cloudtrail-endpoint';
import { BUCKET, buildChain, type ChainFile, logFileBytes, signingKey } from './support/digest-chain';
import { fixture } from './support/fixtures';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';

const CONTEXT = {
  awsRequestId: 'test-request',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:trail-integrity',
};
const emulator = useAlertTopicEmulator('integrity-alerts', 'integrity-inbox');
const key = signingKey();
const START = Date.parse('2026-11-24T10:01:31Z');
let cloudTrail: CloudTrailEndpoint;
let s3: S3Client;

beforeAll(async () => {
  cloudTrail = await startCloudTrailEndpoint([key]);
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: emulator.address,
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3?.destroy();
  await cloudTrail?.close();
});

async function upload(files: ChainFile[], withSignatures = true): Promise<void> {
  for (const file of files)
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: file.key,
        Body: file.bytes,
        Metadata:
          file.signature && withSignatures
            ? { signature: file.signature, 'signature-algorithm': 'SHA256withRSA' }
            : undefined,
      }),
    );
}

function notification(key: string) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-11-24T14:01:44.275Z',
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: 1 },
        },
      },
    ],
  };
}

/** The Lambda handler; `store: null` leaves liveness to the alert memory's store (STATE_STORE), as deployed. */
function handlerFor(
  store: ReturnType<typeof createMemoryStore> | null = createMemoryStore(),
  now = () => new Date(START + 4 * 3_600_000),
  env: Record<string, string> = {},
) {
  return createTrailIntegrityLambdaHandler(
    {
      ALERT_TOPIC: 'integrity-alerts',
      ALERT_REGION: 'us-east-1',
      AWS_REGION: 'us-east-1',
      SINK_ENDPOINT: emulator.address,
      S3_ENDPOINT: emulator.address,
      CLOUDTRAIL_ENDPOINT: cloudTrail.url,
      TRAIL_BUCKETS: BUCKET,
      LOG_LEVEL: 'silent',
      ...env,
    },
    store ? { store, now } : { now },
  );
}

describe('trail-integrity: digests on arrival', () => {
  it('a digest whose chain and log files verify raises nothing', async () => {
    const chain = buildChain(key, START, [2, 1, 2], 'ok/');
    await upload(chain.files);
    const result = await handlerFor()(notification(chain.digests[2].key), CONTEXT);
    const received = await drainQueue(emulator.address, 'integrity-inbox');
    expect(received.map((m) => m.Message)).toEqual([]);
    expect(result).toMatchObject({ digestsVerified: 1, verificationFailures: 0, unverifiable: 0, alerts: 0 });
  });

  it('an edited log file and a deleted one raise alerts naming them', async () => {
    const chain = buildChain(key, START, [1, 3], 'tampered/');
    const [, edited, deleted] = chain.logs;
    edited.bytes = logFileBytes(START, 11);
    await upload(chain.files.filter((f) => f !== deleted));
    const result = await handlerFor()(notification(chain.digests[1].key), CONTEXT);
    expect(result).toMatchObject({ digestsVerified: 1, verificationFailures: 2, alerts: 2, delivered: 2 });
    const received = await drainQueue(emulator.address, 'integrity-inbox');
    const invalid = received.find((m) => m.Message.includes('Status: invalid'));
    const missing = received.find((m) => m.Message.includes('Status: missing'));
    expect(invalid?.Message).toContain(`File: ${edited.key}`);
    expect(invalid?.MessageAttributes?.rule?.Value).toBe('digest-verification-failed');
    expect(missing?.Message).toContain(`File: ${deleted.key}`);
    expect(invalid?.Subject).toMatch(/^trailguard: trail log invalid: /);
  });

  it('a digest without signature metadata, or re-signed with another key, is invalid', async () => {
    const unsigned = buildChain(key, START, [1], 'unsigned/');
    await upload(unsigned.files, false);
    const forged = buildChain(signingKey(), START, [1], 'forged/');
    await upload(forged.files);
    const handler = handlerFor();
    await handler(notification(unsigned.digests[0].key), CONTEXT);
    await handler(notification(forged.digests[0].key), CONTEXT);
    const received = await drainQueue(emulator.address, 'integrity-inbox');
    expect(received.map((m) => /Reason: (.*)/.exec(m.Message)?.[1]).sort()).toEqual([
      expect.stringMatching(/^no public key with fingerprint/),
      'no signature in its object metadata (x-amz-meta-signature)',
    ]);
  });

  it('a deleted previous digest is missing', async () => {
    const chain = buildChain(key, START, [1, 1, 1], 'gap/');
    await upload(chain.files.filter((f) => f !== chain.digests[1]));
    const result = await handlerFor()(notification(chain.digests[2].key), CONTEXT);
    expect(result.verificationFailures).toBe(1);
    const [message] = await drainQueue(emulator.address, 'integrity-inbox');
    expect(message.Message).toContain(`File: ${chain.digests[1].key}`);
    expect(message.Message).toContain('Status: missing');
  });
});

describe('trail-integrity: tamper events through the usual intake', () => {
  it('an EventBridge StopLogging reaches the subscriber', async () => {
    const envelope = {
      version: '0',
      id: '0b9c6e1d-7a3f-4c2e-9d5b-8f1a2c3d4e5f',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.cloudtrail',
      account: '111122223333',
      time: '2026-11-24T09:14:52Z',
      region: 'us-east-1',
      resources: [],
      detail: fixture('aws/cloudtrail-stop-logging.json'),
    };
    const result = await handlerFor()(envelope, CONTEXT);
    expect(result).toMatchObject({ records: 1, alerts: 1, delivered: 1 });
    const [message] = await drainQueue(emulator.address, 'integrity-inbox');
    expect(message.Subject).toBe('trailguard: CloudTrail logging stopped: management-events');
    expect(message.MessageAttributes?.severity?.Value).toBe('critical');
  });
});

describe('trail-integrity: liveness', () => {
  it('a backfill (S3 Batch Operations tasks) verifies the archive but records no arrival: old files do not make a stopped trail look alive', async () => {
    const store = createMemoryStore(() => new Date(START));
    const handler = handlerFor(store);
    const chain = buildChain(key, START, [1], 'backfill/');
    await upload(chain.files);
    const task = (taskId: string, objectKey: string) => ({
      taskId,
      s3Key: encodeURIComponent(objectKey).replace(/%2F/g, '/'),
      s3VersionId: null,
      s3Bucket: BUCKET,
    });
    const answer = (await handler(
      {
        invocationSchemaVersion: '2.0',
        invocationId: 'inv-backfill',
        job: { id: 'job-backfill' },
        tasks: [task('t-log', chain.logs[0].key), task('t-digest', chain.digests[0].key)],
      },
      CONTEXT,
    )) as unknown as { results: Array<{ taskId: string; resultCode: string; resultString: string }> };
    expect(answer.results).toEqual([
      { taskId: 't-log', resultCode: 'Succeeded', resultString: expect.stringMatching(/^records=\d+ alerts=0 /) },
      {
        taskId: 't-digest',
        resultCode: 'Succeeded',
        resultString: expect.stringMatching(/ digestsVerified=1 verificationFailures=0 unverifiable=0$/),
      },
    ]);
    const liveness = () => [...store.records.keys()].filter((k) => k.startsWith(LIVENESS_PREFIX));
    expect(liveness()).toEqual([]);
    expect(await drainQueue(emulator.address, 'integrity-inbox')).toEqual([]);
    // The same files arriving (S3 notifications) are arrivals.
    await handler(notification(chain.logs[0].key), CONTEXT);
    await handler(notification(chain.digests[0].key), CONTEXT);
    expect(liveness()).toHaveLength(2);
  });

  it("keeps liveness in the alert memory's state store when no store is given (STATE_STORE), as deployed", async () => {
    let now = START;
    const handler = handlerFor(null, () => new Date(now), { STATE_STORE: 'memory' });
    const chain = buildChain(key, START, [1], 'wired/');
    await upload(chain.files);
    expect(await handler(notification(chain.logs[0].key), CONTEXT)).toMatchObject({ arrivalsRecorded: 1 });
    await drainQueue(emulator.address, 'integrity-inbox');
    const flush = fixture('aws/envelope-eventbridge-scheduled-event.json');
    now = START + 45 * 60_000; // log files quiet for 45 min (> DELIVERY_GAP's 30m)
    expect(await handler(flush, CONTEXT)).toMatchObject({ livenessAlerts: 1 });
    const gaps = await drainQueue(emulator.address, 'integrity-inbox');
    expect(gaps.map((m) => m.Subject)).toEqual([
      expect.stringMatching(/^trailguard: no trail deliveries: log files s3:\/\/acme-cloudtrail-111122223333\/wired\//),
    ]);
  });

  it('alerts once when deliveries stop, and again when they resume', async () => {
    const store = createMemoryStore(() => new Date(START));
    let now = START;
    const handler = handlerFor(store, () => new Date(now));
    const chain = buildChain(key, START, [1], 'live/');
    await upload(chain.files);
    await handler(notification(chain.logs[0].key), CONTEXT);
    await handler(notification(chain.digests[0].key), CONTEXT);
    expect([...store.records.keys()].filter((k) => k.startsWith(LIVENESS_PREFIX))).toHaveLength(2);
    await drainQueue(emulator.address, 'integrity-inbox');

    const flush = fixture('aws/envelope-eventbridge-scheduled-event.json');
    now = START + 20 * 60_000;
    expect(await handler(flush, CONTEXT)).toMatchObject({ livenessAlerts: 0, alerts: 0 });
    now = START + 45 * 60_000; // log files quiet for 45 min (> 30m), digests not yet (< 2h)
    expect(await handler(flush, CONTEXT)).toMatchObject({ livenessAlerts: 1 });
    now = START + 150 * 60_000;
    expect(await handler(flush, CONTEXT)).toMatchObject({ livenessAlerts: 1 }); // the digests; the log gap is not repeated
    const gaps = await drainQueue(emulator.address, 'integrity-inbox');
    expect(gaps.map((m) => m.Subject)).toEqual([
      expect.stringMatching(
        /^trailguard: no trail deliveries: log files s3:\/\/acme-cloudtrail-111122223333\/live\/AWSLogs/,
      ),
      expect.stringMatching(/^trailguard: no trail deliveries: digests s3:/),
    ]);
    expect(gaps[0].Message).toContain('Reason: nothing delivered for 45 min (DELIVERY_GAP for log files: 30 min)');

    now = START + 160 * 60_000;
    await handler(notification(chain.logs[0].key), CONTEXT);
    now = START + 165 * 60_000;
    const resumed = await handler(flush, CONTEXT);
    expect(resumed).toMatchObject({ livenessAlerts: 1 });
    const [message] = await drainQueue(emulator.address, 'integrity-inbox');
    expect(message.Subject).toMatch(/^trailguard: trail deliveries resumed: log files/);
    expect(await handler(flush, CONTEXT)).toMatchObject({ livenessAlerts: 0 });
  });

  it('a failing state store fails open: the digest is still verified', async () => {
    const chain = buildChain(key, START, [1], 'storefail/');
    await upload(chain.files);
    const broken = {
      getRecord: async () => {
        throw new Error('store down');
      },
      putRecord: async () => undefined,
      listRecords: async () => [],
    };
    const result = await handlerFor(broken as never)(notification(chain.digests[0].key), CONTEXT);
    expect(result).toMatchObject({ digestsVerified: 1, arrivalsRecorded: 0 });
  });
});
