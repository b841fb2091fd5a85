/**
 * S3 Batch Operations through the shipped artifact: the built Lambda bundle (dist/aws/login-whitelist.js)
 * gets LambdaInvoke events (schema 1.0 and 2.0), reads each task's log file from fauxqs S3 and publishes to
 * a fauxqs topic, all on loopback; its answer says per task what the job should do.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { useBundlePeers } from './support/bundle-peers';
import { fixtureBytes } from './support/fixtures';
import { listenOnLoopback, type LoopbackServer } from './support/loopback-server';
import { drainQueue, TEST_CREDENTIALS } from './support/sqs-inbox';

const BUCKET = 'trail-archive';
const PREFIX = 'AWSLogs/000000000000/CloudTrail/us-east-1/2026/11/05/';
/** A key with a space and a plus: S3 Batch Operations hands it URL-encoded. */
const ODD_KEY = `${PREFIX}000000000000_CloudTrail_us-east-1_20261105T0000Z_a b+c.json.gz`;
const PLAIN_KEY = `${PREFIX}000000000000_CloudTrail_us-east-1_20261105T0005Z_plain.json.gz`;
const COPY_KEY = `${PREFIX}000000000000_CloudTrail_us-east-1_20261105T0010Z_copy.json.gz`;
const GARBAGE_KEY = `${PREFIX}000000000000_CloudTrail_us-east-1_20261105T0015Z_garbage.json.gz`;
const DIGEST_KEY =
  'AWSLogs/000000000000/CloudTrail-Digest/us-east-1/2026/11/05/000000000000_CloudTrail-Digest_us-east-1_t_us-east-1_20261105T010000Z.json.gz';

const { emulator, invoke: invokeBundle } = useBundlePeers({ topic: 'batch-alerts', inbox: 'batch-inbox' });

beforeAll(async () => {
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: emulator.address,
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const log = fixtureBytes('aws/envelope-cloudtrail-log-file.json.gz');
  for (const key of [ODD_KEY, PLAIN_KEY, COPY_KEY])
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: log }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: GARBAGE_KEY, Body: 'not a log file' }));
  s3.destroy();
}, 120_000);

type Answer = {
  invocationSchemaVersion: string;
  treatMissingKeysAs: string;
  invocationId: string;
  results: Array<{ taskId: string; resultCode: string; resultString: string }>;
};

async function invoke(events: unknown[], env: Record<string, string> = {}): Promise<Answer[]> {
  return (await invokeBundle('login-whitelist', events, {
    IP_WHITELIST: '203.0.113.0/24',
    S3_ENDPOINT: emulator.address,
    ...env,
  })) as unknown as Answer[];
}

/** Form-style URL encoding, as in S3 Batch Operations manifests and events. */
function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

function v1(invocationId: string, tasks: Array<Record<string, unknown>>): unknown {
  return { invocationSchemaVersion: '1.0', invocationId, job: { id: 'job-1' }, tasks };
}

function v2(invocationId: string, tasks: Array<Record<string, unknown>>): unknown {
  return {
    invocationSchemaVersion: '2.0',
    invocationId,
    job: { id: 'job-2', userArguments: { purpose: 'backfill' } },
    tasks,
  };
}

const arnTask = (taskId: string, key: string) => ({
  taskId,
  s3Key: encodeKey(key),
  s3VersionId: null,
  s3BucketArn: `arn:aws:s3:::${BUCKET}`,
});
const nameTask = (taskId: string, key: string) => ({
  taskId,
  s3Key: encodeKey(key),
  s3VersionId: null,
  s3Bucket: BUCKET,
});

describe('S3 Batch Operations invoking the built Lambda bundle', () => {
  it('schema 1.0 and 2.0 tasks run through the pipeline; a re-read file alerts nothing twice (memory stage)', async () => {
    const [first, second, third] = await invoke([
      v1('inv-1', [arnTask('t-odd', ODD_KEY)]),
      v2('inv-2', [nameTask('t-plain', PLAIN_KEY)]),
      v2('inv-3', [nameTask('t-copy', COPY_KEY)]),
    ]);
    expect(first).toEqual({
      invocationSchemaVersion: '1.0',
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: 'inv-1',
      results: [
        { taskId: 't-odd', resultCode: 'Succeeded', resultString: expect.stringMatching(/^records=\d+ alerts=[1-9]/) },
      ],
    });
    const alerts = Number(/alerts=(\d+)/.exec(first.results[0].resultString)?.[1]);
    expect(second).toMatchObject({ invocationSchemaVersion: '2.0', invocationId: 'inv-2' });
    // The same records again (an overlapping backfill, a retried task): the memory stage keeps the topic quiet.
    for (const answer of [second, third]) {
      expect(answer.results).toHaveLength(1);
      expect(answer.results[0]).toMatchObject({ resultCode: 'Succeeded' });
      expect(answer.results[0].resultString).toMatch(/ alerts=0 /);
    }
    expect(await drainQueue(emulator.address, 'batch-inbox')).toHaveLength(alerts);
  }, 60_000);

  it('a missing object, a malformed task, a non-log object and an unknown schema are permanent failures; a digest is skipped', async () => {
    const [answer] = await invoke([
      v1('inv-bad', [
        arnTask('t-missing', `${PREFIX}no-such-file.json.gz`),
        { taskId: 't-no-key', s3BucketArn: `arn:aws:s3:::${BUCKET}` },
        { taskId: 't-bad-encoding', s3Key: 'AWSLogs/%E0%A4%A.json.gz', s3BucketArn: `arn:aws:s3:::${BUCKET}` },
        arnTask('t-garbage', GARBAGE_KEY),
        arnTask('t-digest', DIGEST_KEY),
        { s3Key: 'no-task-id', s3BucketArn: `arn:aws:s3:::${BUCKET}` },
      ]),
    ]);
    const byTask = Object.fromEntries(answer.results.map((result) => [result.taskId, result]));
    expect(answer.results).toHaveLength(5);
    expect(byTask['t-missing']).toMatchObject({ resultCode: 'PermanentFailure' });
    expect(byTask['t-missing'].resultString).toMatch(/^could not read the object: NoSuchKey/);
    expect(byTask['t-no-key']).toMatchObject({
      resultCode: 'PermanentFailure',
      resultString: expect.stringMatching(/without s3Key/),
    });
    expect(byTask['t-bad-encoding']).toMatchObject({
      resultCode: 'PermanentFailure',
      resultString: expect.stringMatching(/not valid URL encoding/),
    });
    expect(byTask['t-garbage']).toMatchObject({
      resultCode: 'PermanentFailure',
      resultString: expect.stringMatching(/^no record could be read/),
    });
    expect(byTask['t-digest']).toMatchObject({
      resultCode: 'Succeeded',
      resultString: expect.stringMatching(/^skipped: CloudTrail digest/),
    });

    const [unknown] = await invoke([
      { ...(v1('inv-v3', [arnTask('t-v3', PLAIN_KEY)]) as object), invocationSchemaVersion: '3.0' },
    ]);
    expect(unknown).toMatchObject({
      invocationSchemaVersion: '3.0',
      results: [
        { taskId: 't-v3', resultCode: 'PermanentFailure', resultString: expect.stringMatching(/not 1\.0 or 2\.0/) },
      ],
    });
    expect(await drainQueue(emulator.address, 'batch-inbox')).toHaveLength(0);
  }, 60_000);

  it('an alert that cannot be delivered is a temporary failure: the job runs the task again', async () => {
    const [answer] = await invoke([v2('inv-topic', [nameTask('t-topic', PLAIN_KEY)])], {
      ALERT_TOPIC: 'arn:aws:sns:us-east-1:000000000000:no-such-topic',
    });
    expect(answer.results).toEqual([
      {
        taskId: 't-topic',
        resultCode: 'TemporaryFailure',
        resultString: expect.stringMatching(/^alert delivery failed: /),
      },
    ]);
  }, 60_000);

  describe('S3 answering 503 SlowDown (throttling)', () => {
    let slow: LoopbackServer;
    beforeAll(async () => {
      slow = await listenOnLoopback(async (_req, res) => {
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
        );
      }, new Set());
    });
    afterAll(() => slow.close());

    it('is a temporary failure', async () => {
      const [answer] = await invoke([v1('inv-slow', [arnTask('t-slow', PLAIN_KEY)])], { S3_ENDPOINT: slow.url });
      expect(answer.results).toEqual([
        { taskId: 't-slow', resultCode: 'TemporaryFailure', resultString: expect.stringMatching(/SlowDown/) },
      ]);
    }, 60_000);
  });
});
