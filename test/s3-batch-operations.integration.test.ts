/**
 * S3 Batch Operations through the shipped artifacts: the built Lambda bundles (dist/aws/login-whitelist.js,
 * and dist/aws/trail-integrity.js at the end) get LambdaInvoke events (schema 1.0 and 2.0), reads each task's log file from fauxqs S3 and publishes to
 * a fauxqs topic, all on loopback; its answer says per task what the job should do.
 */
import { gzipSync } from 'node:zlib';
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
const TAMPER_KEY = `${PREFIX}000000000000_CloudTrail_us-east-1_20261105T0020Z_tamper.json.gz`;
const UNSIGNED_DIGEST_KEY =
  'AWSLogs/000000000000/CloudTrail-Digest/us-east-1/2026/11/05/000000000000_CloudTrail-Digest_us-east-1_t_us-east-1_20261105T020000Z.json.gz';

/** More unsigned digests of the same trail, account and region: a backfill of a broken archive. */
const MORE_UNSIGNED_DIGEST_KEYS = ['03', '04', '05', '06'].map(
  (hour) =>
    `AWSLogs/000000000000/CloudTrail-Digest/us-east-1/2026/11/05/000000000000_CloudTrail-Digest_us-east-1_t_us-east-1_20261105T${hour}0000Z.json.gz`,
);
/** An unsigned digest of another region: another stream, its own alert. */
const OTHER_REGION_DIGEST_KEY =
  'AWSLogs/000000000000/CloudTrail-Digest/eu-west-1/2026/11/05/000000000000_CloudTrail-Digest_eu-west-1_t_eu-west-1_20261105T030000Z.json.gz';

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
  // For trail-integrity: a log file with a StopLogging call, and a digest without its signature metadata.
  const stopLogging = JSON.parse(fixtureBytes('aws/cloudtrail-stop-logging.json').toString('utf8'));
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: TAMPER_KEY,
      Body: gzipSync(JSON.stringify({ Records: [stopLogging] })),
    }),
  );
  for (const key of [UNSIGNED_DIGEST_KEY, ...MORE_UNSIGNED_DIGEST_KEYS, OTHER_REGION_DIGEST_KEY])
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: gzipSync('{}') }));
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

describe('S3 Batch Operations invoking the built trail-integrity bundle', () => {
  const invokeIntegrity = async (events: unknown[], env: Record<string, string> = {}) =>
    (await invokeBundle('trail-integrity', events, { S3_ENDPOINT: emulator.address, ...env })) as unknown as Answer[];

  it('a log file with a StopLogging call alerts once (a second run of the task: the memory stage keeps it quiet); a digest is verified, not skipped (unsigned: invalid; not there: missing); a non-log object or a missing log file is a permanent failure', async () => {
    const [first, again, digests] = await invokeIntegrity([
      v2('inv-tamper', [nameTask('t-tamper', TAMPER_KEY), nameTask('t-plain', PLAIN_KEY)]),
      v1('inv-tamper-again', [arnTask('t-tamper', TAMPER_KEY)]),
      v2('inv-digests', [
        nameTask('t-unsigned', UNSIGNED_DIGEST_KEY),
        nameTask('t-gone', DIGEST_KEY),
        nameTask('t-garbage', GARBAGE_KEY),
        nameTask('t-missing', `${PREFIX}no-such-file.json.gz`),
      ]),
    ]);
    expect(first).toMatchObject({ invocationSchemaVersion: '2.0', invocationId: 'inv-tamper' });
    expect(first.results).toEqual([
      {
        taskId: 't-tamper',
        resultCode: 'Succeeded',
        resultString: expect.stringMatching(/^records=1 alerts=1 delivered=1 /),
      },
      { taskId: 't-plain', resultCode: 'Succeeded', resultString: expect.stringMatching(/ alerts=0 /) },
    ]);
    expect(again.results).toEqual([
      { taskId: 't-tamper', resultCode: 'Succeeded', resultString: expect.stringMatching(/^records=1 alerts=0 /) },
    ]);
    const byTask = Object.fromEntries(digests.results.map((result) => [result.taskId, result]));
    // An unsigned digest fails verification: an alert, and the task's string says so.
    expect(byTask['t-unsigned']).toMatchObject({
      resultCode: 'Succeeded',
      resultString: expect.stringMatching(/ digestsVerified=1 verificationFailures=1 unverifiable=0$/),
    });
    // A digest in the manifest that is not in the bucket is a missing digest: an alert too.
    expect(byTask['t-gone']).toMatchObject({
      resultCode: 'Succeeded',
      resultString: expect.stringMatching(/ digestsVerified=1 verificationFailures=1 unverifiable=0$/),
    });
    expect(byTask['t-garbage']).toMatchObject({
      resultCode: 'PermanentFailure',
      resultString: expect.stringMatching(/^no record could be read/),
    });
    expect(byTask['t-missing']).toEqual({
      taskId: 't-missing',
      resultCode: 'PermanentFailure',
      resultString: expect.stringMatching(/^could not read the object: NoSuchKey/),
    });
    const received = await drainQueue(emulator.address, 'batch-inbox');
    expect(received.map((message) => message.Subject).sort()).toEqual([
      'trailguard: CloudTrail logging stopped: management-events',
      expect.stringMatching(/^trailguard: trail digest invalid: /),
      expect.stringMatching(/^trailguard: trail digest missing: /),
    ]);
  }, 90_000);

  it('digest failures go through the alert memory: a digest checked again alerts once, a suppression mutes one', async () => {
    const [first, again] = await invokeIntegrity([
      v2('inv-unsigned', [nameTask('t-unsigned', UNSIGNED_DIGEST_KEY)]),
      v1('inv-unsigned-again', [arnTask('t-unsigned', UNSIGNED_DIGEST_KEY)]),
    ]);
    expect(first.results[0].resultString).toMatch(/^records=0 alerts=1 delivered=1 .* verificationFailures=1 /);
    // Checked again (a retried task, a job run twice): still a failure, not a second alert.
    expect(again.results[0].resultString).toMatch(
      /^records=0 alerts=0 delivered=0 .* repeats=1 .*verificationFailures=1 /,
    );
    expect(await drainQueue(emulator.address, 'batch-inbox')).toHaveLength(1);
    const [muted] = await invokeIntegrity([v2('inv-gone', [nameTask('t-gone', DIGEST_KEY)])], {
      SUPPRESS: JSON.stringify([
        { pattern: '{ $.status = "missing" }', rules: ['digest-verification-failed'], reason: 'known gap' },
      ]),
    });
    expect(muted.results[0].resultString).toMatch(
      /^records=0 alerts=0 delivered=0 rejected=0 duplicates=0 suppressed=1 /,
    );
    expect(await drainQueue(emulator.address, 'batch-inbox')).toHaveLength(0);
  }, 90_000);

  it('a broken archive is no alert storm: digests of one trail failing the same way alert once, the rest held for the roll-up; another region alerts on its own', async () => {
    // One task per invocation, as S3 Batch Operations sends them, to one warm instance.
    const answers = await invokeIntegrity([
      ...[UNSIGNED_DIGEST_KEY, ...MORE_UNSIGNED_DIGEST_KEYS].map((key, index) =>
        v2(`inv-broken-${index}`, [nameTask(`t-broken-${index}`, key)]),
      ),
      v1('inv-other-region', [arnTask('t-other-region', OTHER_REGION_DIGEST_KEY)]),
    ]);
    const strings = answers.map((answer) => answer.results[0].resultString);
    for (const answer of answers) expect(answer.results[0].resultCode).toBe('Succeeded');
    // Every digest is still checked and counted as a failure; only the first of the stream alerts.
    for (const text of strings) expect(text).toMatch(/ digestsVerified=1 verificationFailures=1 unverifiable=0$/);
    expect(strings[0]).toMatch(/^records=0 alerts=1 delivered=1 .* sent=1 held=0 /);
    for (const text of strings.slice(1, 5)) expect(text).toMatch(/^records=0 alerts=0 delivered=0 .* sent=0 held=1 /);
    expect(strings[5]).toMatch(/^records=0 alerts=1 delivered=1 .* sent=1 held=0 /);
    const received = await drainQueue(emulator.address, 'batch-inbox');
    expect(received.map((message) => message.Subject).sort()).toEqual([
      'trailguard: trail digest invalid: 000000000000 eu-west-1 trail t',
      'trailguard: trail digest invalid: 000000000000 us-east-1 trail t',
    ]);
  }, 90_000);
});
