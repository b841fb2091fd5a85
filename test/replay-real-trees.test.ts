/**
 * Replay reads real trees as they are (issue #11): digest files are a recognised, skipped kind; the
 * documented dead-letter redrive works verbatim (saved `aws sqs receive-message` output holding Lambda
 * invocation records and EventBridge events); S3 pointers are skipped unless fetching is asked for; a
 * broken record gets the normalizer's reason wherever it sits; duplicates depend on event ids only.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { FetchError } from '../shared/errors';
import { isCloudTrailDigest, isCtsDigest, unwrapEnvelope } from '../shared/intake';
import { DetectionRun } from '../shared/pipeline';
import { startEmulator, type Emulator } from '../scripts/emulator';
import { EVENTS_DIR, fixture } from './support/fixtures';
import { TEST_CREDENTIALS } from './support/sqs-inbox';

const ROOT = join(__dirname, '..');
const WHITELIST = '203.0.113.0/24, 2001:db8:1::/48';
const FUNCTIONS = ['login-whitelist', 'unauthorized-api', 'config-compliance'] as const;

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env: { IP_WHITELIST: WHITELIST, ...env },
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
  };
}

/** The summary line replay prints last (before the metric line of unauthorized-api). */
const summaryOf = (io: { stderr: string[] }, name: string) =>
  io.stderr.filter((line) => line.startsWith(`${name}: `)).at(-1) ?? '';

const tempDir = () => mkdtempSync(join(tmpdir(), 'trailguard-trees-'));
const signIn = fixture('aws/envelope-eventbridge-console-signin.json') as { id: string; detail: { eventID: string } };

// --- digest files --------------------------------------------------------------------------------------

/** The AWS guide's sample digest (aws-facts.md §7.2), shortened. */
const CLOUDTRAIL_DIGEST = {
  awsAccountId: '111122223333',
  digestStartTime: '2015-08-17T14:01:31Z',
  digestEndTime: '2015-08-17T15:01:31Z',
  digestS3Bucket: 'S3-bucket-name',
  digestS3Object:
    'AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz',
  digestPublicKeyFingerprint: '31e8b5433410dfb61a9dc45cc65b22ff',
  digestSignatureAlgorithm: 'SHA256withRSA',
  newestEventTime: '2015-08-17T14:52:27Z',
  oldestEventTime: '2015-08-17T14:42:27Z',
  previousDigestS3Bucket: 'S3-bucket-name',
  previousDigestS3Object: 'AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/previous.json.gz',
  previousDigestHashValue: '97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d',
  previousDigestHashAlgorithm: 'SHA-256',
  previousDigestSignature: '50887ccffad4c002b97caa37cc9dc626',
  logFiles: [
    {
      s3Bucket: 'S3-bucket-name',
      s3Object:
        'AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz',
      hashValue: '9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6',
      hashAlgorithm: 'SHA-256',
      newestEventTime: '2015-08-17T14:52:27Z',
      oldestEventTime: '2015-08-17T14:42:27Z',
    },
  ],
};

/** A starting digest (all previousDigest* null) of an hour without activity (aws-facts.md §7.3). */
const EMPTY_STARTING_DIGEST = {
  ...CLOUDTRAIL_DIGEST,
  previousDigestS3Bucket: null,
  previousDigestS3Object: null,
  previousDigestHashValue: null,
  previousDigestHashAlgorithm: null,
  previousDigestSignature: null,
  newestEventTime: null,
  oldestEventTime: null,
  logFiles: [],
};

/** The CTS guide's sample digest (huawei-facts.md §8), shortened. */
const CTS_DIGEST = {
  project_id: '3cfb09080bd944d0b4cdd72ef2685712',
  digest_start_time: '2017-03-28T01-09-17Z',
  digest_end_time: '2017-03-28T02-09-17Z',
  digest_bucket: 'bucket',
  digest_object:
    'CloudTraces/eu-de-01/2017/3/28/Digest/EVS/mylog_CloudTrace-Digest_eu-de-01/_2017-03-28T02-09-17Z.json.gz',
  digest_signature_algorithm: 'SHA256withRSA',
  digest_end: false,
  previous_digest_bucket: 'bucket',
  previous_digest_hash_value: '5e08875de01b894eda5d1399d7b049fe',
  previous_digest_hash_algorithm: 'MD5',
  previous_digest_end: false,
  log_files: [
    {
      bucket: 'bucket',
      object:
        'CloudTraces/eu-de-01/2017/3/28/ECS/mylog_CloudTrace_eu-de-01/_2017-03-28T02-09-17Z_0faa86bc40071242.json.gz',
      log_hash_value: '633a8256ae7996e21430c3a0e9897828',
      log_hash_algorithm: 'MD5',
    },
  ],
};

describe('digest files', () => {
  it.each([
    ['a CloudTrail digest', CLOUDTRAIL_DIGEST, true, false],
    ['an empty starting CloudTrail digest', EMPTY_STARTING_DIGEST, true, false],
    ['a CTS digest', CTS_DIGEST, false, true],
    ['a CloudTrail log file', { Records: [] }, false, false],
    ['a digest-looking object that also holds Records', { ...CLOUDTRAIL_DIGEST, Records: [] }, false, false],
    ['digestStartTime without logFiles', { digestStartTime: '2015-08-17T14:01:31Z' }, false, false],
    ['a CTS trace list', { traces: [] }, false, false],
    ['not an object', ['digestStartTime'], false, false],
  ])('%s: isCloudTrailDigest %s, isCtsDigest %s', (_name, doc, cloudTrail, cts) => {
    expect(isCloudTrailDigest(doc)).toBe(cloudTrail);
    expect(isCtsDigest(doc)).toBe(cts);
  });

  it.each([
    ['CloudTrail', CLOUDTRAIL_DIGEST],
    ['empty CloudTrail', EMPTY_STARTING_DIGEST],
    ['CTS', CTS_DIGEST],
  ])('a %s digest unwraps to one skipped item labelled digest', (_name, doc) => {
    expect(unwrapEnvelope(doc, 'd.json')).toEqual([
      { type: 'skipped', position: 'd.json', reason: expect.stringMatching(/digest file/), label: 'digest' },
    ]);
  });

  it('replaying a bucket tree with log file validation on: digests skipped and counted, exit 0', async () => {
    const root = tempDir();
    const logDir = join(root, 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', '2026', '11', '24');
    const digestDir = join(root, 'AWSLogs', '111122223333', 'CloudTrail-Digest', 'us-east-1', '2026', '11', '24');
    const ctsDigestDir = join(root, 'CloudTraces', 'eu-de', '2026', '11', '24', 'system', 'Digest', 'IAM');
    for (const folder of [logDir, digestDir, ctsDigestDir]) mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(logDir, '111122223333_CloudTrail_us-east-1_20261124T0915Z_a1b2c3.json.gz'),
      gzipSync(JSON.stringify({ Records: [signIn.detail] })),
    );
    writeFileSync(
      join(digestDir, '111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261124T100000Z.json.gz'),
      gzipSync(JSON.stringify(CLOUDTRAIL_DIGEST)),
    );
    writeFileSync(
      join(ctsDigestDir, 'p_CloudTrace-Digest_eu-de_2026-11-24T10-00-00Z.json.gz'),
      gzipSync(JSON.stringify(CTS_DIGEST)),
    );
    const io = captureIo();
    expect(await main(['replay', 'login-whitelist', root, '--json'], io)).toBe(0);
    expect(io.stdout).toHaveLength(1);
    expect(io.stderr.at(-1)).toContain('3 file(s), 1 record(s), 1 alert(s)');
    expect(io.stderr.at(-1)).toContain('0 rejected, 2 skipped (2 digest file(s))');
  });

  it('a digest object fetched by a deployed function (a notification on any prefix) is skipped, not rejected', async () => {
    const run = new DetectionRun(loginWhitelist, loginWhitelist.loadConfig({ IP_WHITELIST: WHITELIST }), {
      fetchObject: async () => gzipSync(JSON.stringify(CLOUDTRAIL_DIGEST)),
    });
    await run.ingest(
      {
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: 'b' }, object: { key: 'custom/validation/digest.json.gz' } },
          },
        ],
      },
      'event',
    );
    expect(run.stats).toMatchObject({ rejected: 0, skipped: 1, skippedByLabel: { digest: 1 }, fetched: 1 });
  });
});

// --- the dead-letter redrive -----------------------------------------------------------------------------

/** A Lambda on-failure invocation record, as the AWS guide's "Example invocation record" shows it. */
function invocationRecord(requestPayload: unknown) {
  return {
    version: '1.0',
    timestamp: '2026-11-24T09:17:05.568Z',
    requestContext: {
      requestId: 'e4b46cbf-b738-4a1c-8880-a18cdf61200e',
      functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:trailguard-prod-login-whitelist:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'SinkError', errorMessage: 'sns: topic not found' },
  };
}

/** An SQS message as `aws sqs receive-message --output json` prints it. */
function sqsMessage(index: number, body: unknown) {
  const text = JSON.stringify(body);
  return {
    MessageId: `0a1b2c3d-0000-4000-8000-00000000000${index}`,
    ReceiptHandle: `AQEBexampleReceiptHandle${index}==`,
    MD5OfBody: 'e0b4a0a9f0d7e6c5b4a39281706f5e4d',
    Body: text,
  };
}

describe('the documented redrive works verbatim', () => {
  const docs = readFileSync(join(ROOT, 'docs', 'deploy-aws.md'), 'utf8');
  /** The replay command of docs/deploy-aws.md's redrive, as a user would paste it. */
  const documentedReplay = /^trailguard (replay login-whitelist failed-events\.json)$/m.exec(docs)?.[1];

  it('docs/deploy-aws.md saves receive-message output to failed-events.json and replays that file', () => {
    expect(docs).toMatch(/^aws sqs receive-message .*--output json > failed-events\.json$/m);
    expect(documentedReplay).toBeDefined();
  });

  it('a Lambda invocation record unwraps to its requestPayload', () => {
    const items = unwrapEnvelope(invocationRecord(signIn), 'r');
    expect(items).toEqual([expect.objectContaining({ type: 'record', position: 'r.requestPayload.detail' })]);
  });

  it('receive-message output holding an invocation record and an EventBridge dead letter: both alerted, exit 0', async () => {
    const dir = tempDir();
    const otherLogin = { ...signIn, id: 'eb-dead-letter', detail: { ...signIn.detail, eventID: 'dead-letter-login' } };
    // The AWS CLI indents its JSON output by four spaces.
    const saved = JSON.stringify(
      { Messages: [sqsMessage(1, invocationRecord(signIn)), sqsMessage(2, otherLogin)] },
      null,
      4,
    );
    writeFileSync(join(dir, 'failed-events.json'), `${saved}\n`);
    const io = captureIo();
    const args = (documentedReplay ?? '').split(' ');
    args[args.length - 1] = join(dir, args[args.length - 1]);
    expect(await main([...args, '--json'], io)).toBe(0);
    const alerted = io.stdout.flatMap((line) => (JSON.parse(line) as { eventIds: string[] }).eventIds).sort();
    expect(alerted).toEqual([signIn.detail.eventID, 'dead-letter-login'].sort());
    expect(io.stderr.at(-1)).toContain('0 rejected');
  });

  it('each function takes the same file: the ones that do not handle the event ignore it, exit 0', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'failed-events.json'),
      JSON.stringify({ Messages: [sqsMessage(1, invocationRecord(signIn))] }, null, 4),
    );
    for (const name of FUNCTIONS) {
      const io = captureIo();
      expect(await main(['replay', name, join(dir, 'failed-events.json')], io)).toBe(0);
    }
  });

  it('an invocation record in a Lambda SQS event, and an S3 notification inside one, unwrap too', () => {
    const s3Notification = fixture('aws/envelope-s3-object-created.json');
    const event = {
      Records: [
        { eventSource: 'aws:sqs', messageId: 'm1', body: JSON.stringify(invocationRecord(signIn)) },
        { eventSource: 'aws:sqs', messageId: 'm2', body: JSON.stringify(invocationRecord(s3Notification)) },
      ],
    };
    const items = unwrapEnvelope(event, 'event');
    expect(items[0]).toMatchObject({ type: 'record', position: 'event#Records[0].body.requestPayload.detail' });
    expect(items.slice(1).every((item) => item.type === 'fetch')).toBe(true);
  });

  it('broken redrive files are rejected with a reason that says what is wrong', () => {
    expect(unwrapEnvelope({ Messages: [{ MessageId: 'x' }] }, 'f')).toEqual([
      expect.objectContaining({
        type: 'rejected',
        position: 'f.Messages[0]',
        reason: expect.stringMatching(/without a Body/),
      }),
    ]);
    expect(unwrapEnvelope({ Messages: [{ MessageId: 'x', Body: 'not json' }] }, 'f')).toEqual([
      expect.objectContaining({
        type: 'rejected',
        recordId: 'x',
        reason: expect.stringMatching(/^SQS Body is not JSON/),
      }),
    ]);
    expect(unwrapEnvelope({ Messages: [] }, 'f')).toEqual([expect.objectContaining({ type: 'skipped' })]);
  });
});

// --- S3 pointers in replay -----------------------------------------------------------------------------

describe('S3 pointers in replay', () => {
  it.each(FUNCTIONS)(
    'replaying the project samples with %s is healthy: exit 0, pointers skipped and named',
    async (name) => {
      const io = captureIo();
      expect(await main(['replay', name, EVENTS_DIR], io)).toBe(0);
      const skippedLines = io.stderr.filter((line) => line.startsWith('skipped: '));
      expect(skippedLines).toHaveLength(4);
      for (const line of skippedLines)
        expect(line).toMatch(
          /: points at s3:\/\/trailguard-demo-trail\/.+; pass --fetch \(or --s3-endpoint URL\) to fetch it$/,
        );
      const summary = summaryOf(io, name);
      expect(summary).toMatch(
        /, 0 rejected, (\d+) skipped \(1 digest file\(s\), 4 S3 pointer\(s\) not fetched(, \d+ not for this function)?\)/,
      );
      // The breakdown adds up to the count.
      const skipped = Number(/, (\d+) skipped/.exec(summary)?.[1]);
      const rest = Number(/(\d+) not for this function/.exec(summary)?.[1] ?? 0);
      expect(skipped).toBe(1 + 4 + rest);
    },
  );

  describe('with --s3-endpoint', () => {
    let emulator: Emulator;
    beforeAll(async () => {
      emulator = await startEmulator({});
    }, 30_000);
    afterAll(async () => emulator?.stop());

    const env = () => ({
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });

    it('the log files an S3 notification names are fetched and alerted on; a missing one is an error (exit 1)', async () => {
      const saved = { ...process.env };
      Object.assign(process.env, env());
      try {
        const notification = fixture('aws/envelope-s3-object-created.json');
        const fetches = unwrapEnvelope(notification, 'n').flatMap((item) => (item.type === 'fetch' ? [item] : []));
        const s3 = new S3Client({
          region: 'us-east-1',
          endpoint: emulator.address,
          forcePathStyle: true,
          credentials: TEST_CREDENTIALS,
        });
        await s3.send(new CreateBucketCommand({ Bucket: fetches[0].bucket })).catch(() => undefined);
        await s3.send(
          new PutObjectCommand({
            Bucket: fetches[0].bucket,
            Key: fetches[0].key,
            Body: gzipSync(JSON.stringify({ Records: [signIn.detail] })),
          }),
        );
        s3.destroy();
        const file = join(EVENTS_DIR, 'aws', 'envelope-s3-object-created.json');
        const io = captureIo(env());
        const code = await main(['replay', 'login-whitelist', file, '--json', '--s3-endpoint', emulator.address], io);
        // The first key is there and alerted on; the second is not: "could not fetch", exit 1.
        expect(io.stdout.map((line) => (JSON.parse(line) as { eventIds: string[] }).eventIds)).toEqual([
          [signIn.detail.eventID],
        ]);
        expect(io.stderr.join('\n')).toMatch(/could not fetch s3:\/\/trailguard-demo-trail\/audit archive\//);
        expect(code).toBe(1);
      } finally {
        process.env = saved;
      }
    });
  });

  it('a deployed function (no hint) still rejects a pointer it cannot follow', async () => {
    const run = new DetectionRun(loginWhitelist, loginWhitelist.loadConfig({ IP_WHITELIST: WHITELIST }));
    await run.ingest(fixture('aws/envelope-s3-object-created.json'), 'event');
    expect(run.stats.rejected).toBe(2);
    expect(run.stats.rejections[0].reason).toMatch(/needs fetching but no object store is configured/);
  });

  it('a fetch that fails for good is rejected; one that may succeed later fails the run after the rest', async () => {
    const run = new DetectionRun(loginWhitelist, loginWhitelist.loadConfig({ IP_WHITELIST: WHITELIST }), {
      fetchObject: async (_bucket, key) => {
        throw new FetchError(`${key}: throttled`, key.includes('eu-west-1'));
      },
    });
    await expect(run.ingest(fixture('aws/envelope-s3-object-created.json'), 'event')).rejects.toThrow(/throttled/);
    expect(run.stats.rejected).toBe(1);
  });
});

// --- a broken record gets the normalizer's reason wherever it is ---------------------------------------

const CLOUDTRAIL = fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json') as Record<string, unknown>;
const CTS = fixture('huaweicloud/cts-login-outside-ip.json') as Record<string, unknown>;
const omit = (record: Record<string, unknown>, ...keys: string[]) =>
  Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));

describe('a record that fails normalization says why, raw or inside a list', () => {
  it.each([
    [
      'a CloudTrail record without eventTime',
      omit(CLOUDTRAIL, 'eventTime'),
      'Records',
      /eventTime missing or not a time/,
    ],
    [
      'without eventTime and eventVersion',
      omit(CLOUDTRAIL, 'eventTime', 'eventVersion'),
      'Records',
      /eventTime missing or not a time/,
    ],
    [
      'without eventName and eventVersion',
      omit(CLOUDTRAIL, 'eventName', 'eventVersion'),
      'Records',
      /eventName missing/,
    ],
    ['a CTS trace without time', omit(CTS, 'time', 'record_time'), 'traces', /time and record_time missing/],
    ['without trace_id and service_type', omit(CTS, 'trace_id', 'service_type'), 'traces', /service_type missing/],
  ])('%s', async (_name, record, list, reason) => {
    const reasons: string[] = [];
    for (const input of [record, { [list]: [record] }]) {
      const run = new DetectionRun(loginWhitelist, loginWhitelist.loadConfig({ IP_WHITELIST: WHITELIST }));
      await run.ingest(input, 'x');
      expect(run.stats.rejected).toBe(1);
      reasons.push(run.stats.rejections[0].reason);
    }
    expect(reasons[0]).toMatch(reason);
    expect(reasons[0]).not.toMatch(/unrecognized envelope/);
    expect(reasons[1]).toBe(reasons[0]);
  });
});

// --- duplicates ------------------------------------------------------------------------------------------

describe('re-delivered duplicates', () => {
  it('are counted by event id alone: the same count whatever rules run', async () => {
    const records = ['cloudtrail-access-denied', 'cloudtrail-api-call-success', 'cloudtrail-console-login-root-mfa']
      .map((name) => fixture(`aws/${name}.json`))
      .concat((fixture('aws/envelope-cloudtrail-log-file.json') as { Records: unknown[] }).Records);
    const distinct = new Set(records.map((record) => (record as { eventID: string }).eventID)).size;
    const file = join(tempDir(), 'redelivered.json');
    // Every record delivered three times, as CloudTrail may.
    writeFileSync(file, JSON.stringify({ Records: [...records, ...records, ...records] }));
    const counts: string[] = [];
    for (const rules of [[], ['--rules', 'cis'], ['--rules', 'all']]) {
      const io = captureIo();
      await main(['replay', 'unauthorized-api', file, ...rules], io);
      counts.push(/(\d+) duplicate\(s\)/.exec(summaryOf(io, 'unauthorized-api'))?.[1] ?? 'none');
    }
    const expected = String(records.length * 3 - distinct);
    expect(counts).toEqual([expected, expected, expected]);
  });
});
