/**
 * The S3 Batch Operations envelope (shared/intake/unwrap-envelope.ts): what each task unwraps to, table-driven,
 * and properties: any key survives the form-style URL encoding Batch Operations uses, and no input throws.
 */
import fc from 'fast-check';
import { isS3BatchInvocation, readS3BatchTasks, unwrapEnvelope } from '../shared/intake/unwrap-envelope';

const invocation = (version: unknown, tasks: unknown[]) => ({
  invocationSchemaVersion: version,
  invocationId: 'inv',
  job: { id: 'job' },
  tasks,
});

/** As S3 Batch Operations manifests and events carry keys: URL-encoded, a space as `+`. */
const formEncode = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

describe('S3 Batch Operations tasks', () => {
  it.each([
    [
      '1.0, bucket by ARN',
      invocation('1.0', [
        { taskId: 't', s3Key: 'AWSLogs/a+b%2Bc.json.gz', s3VersionId: null, s3BucketArn: 'arn:aws:s3:::trail' },
      ]),
      { type: 'fetch', bucket: 'trail', key: 'AWSLogs/a b+c.json.gz', position: 'event.tasks[0]' },
    ],
    [
      '2.0, bucket by name, userArguments',
      {
        ...invocation('2.0', [{ taskId: 't', s3Key: 'k.json.gz', s3VersionId: '3', s3Bucket: 'trail' }]),
        job: { id: 'job', userArguments: { a: 'b' } },
      },
      { type: 'fetch', bucket: 'trail', key: 'k.json.gz', position: 'event.tasks[0]' },
    ],
    [
      'a digest key',
      invocation('2.0', [
        { taskId: 't', s3Key: 'AWSLogs/1/CloudTrail-Digest/r/2026/11/05/x.json.gz', s3Bucket: 'trail' },
      ]),
      { type: 'skipped', label: 'digest' },
    ],
    [
      'no key',
      invocation('1.0', [{ taskId: 't', s3BucketArn: 'arn:aws:s3:::trail' }]),
      { type: 'rejected', reason: 'S3 Batch Operations task without s3Key', recordId: 't' },
    ],
    [
      's3Bucket given as a bucket ARN',
      invocation('2.0', [{ taskId: 't', s3Key: 'k.json.gz', s3Bucket: 'arn:aws:s3:::trail' }]),
      { type: 'fetch', bucket: 'trail', key: 'k.json.gz', position: 'event.tasks[0]' },
    ],
    [
      'an access point ARN (no bucket: the request could never succeed)',
      invocation('2.0', [
        { taskId: 't', s3Key: 'k.json.gz', s3Bucket: 'arn:aws:s3:us-east-1:111122223333:accesspoint/trail' },
      ]),
      {
        type: 'rejected',
        reason:
          'S3 Batch Operations task names "arn:aws:s3:us-east-1:111122223333:accesspoint/trail", not a bucket ARN (arn:aws:s3:::bucket)',
        recordId: 't',
      },
    ],
    [
      'a bucket ARN that is not one',
      invocation('1.0', [{ taskId: 't', s3Key: 'k', s3BucketArn: 'trail' }]),
      { type: 'rejected', reason: 'S3 Batch Operations task without s3Bucket or an s3BucketArn' },
    ],
    [
      'bad percent-encoding',
      invocation('2.0', [{ taskId: 't', s3Key: '%E0%A4%A', s3Bucket: 'trail' }]),
      { type: 'rejected', reason: expect.stringMatching(/not valid URL encoding/) },
    ],
    [
      'an unknown schema version',
      invocation('9.9', [{ taskId: 't', s3Key: 'k', s3Bucket: 'trail' }]),
      { type: 'rejected', reason: expect.stringMatching(/invocationSchemaVersion a string "9.9" is not 1.0 or 2.0/) },
    ],
    [
      'a task that is not an object',
      invocation('1.0', [7]),
      { type: 'rejected', reason: expect.stringMatching(/task is a number/) },
    ],
  ])('%s', (_name, event, item) => {
    expect(isS3BatchInvocation(event)).toBe(true);
    const [task] = readS3BatchTasks(event as Record<string, unknown>, 'event');
    expect(task.item).toMatchObject(item);
    // The same through the general unwrapper (replay reads saved Batch Operations events too).
    expect(unwrapEnvelope(event, 'event')[0]).toMatchObject(item);
  });

  it('no tasks is a skip, not a rejection', () => {
    expect(unwrapEnvelope(invocation('1.0', []), 'event')).toEqual([
      { type: 'skipped', reason: 'S3 Batch Operations invocation without tasks', position: 'event.tasks' },
    ]);
  });

  it('any key comes back from its form-style encoding', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'binary' }), (key) => {
        const [task] = readS3BatchTasks(
          invocation('2.0', [{ taskId: 't', s3Key: formEncode(key), s3Bucket: 'b' }]),
          'e',
        );
        const item = task.item;
        if (item.type === 'fetch') expect(item.key).toBe(key);
        else expect(item).toMatchObject({ type: 'skipped', label: 'digest' });
      }),
    );
  });

  it('never throws, whatever the tasks hold', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.anything()), (version, tasks) => {
        const items = unwrapEnvelope(invocation(version, tasks), 'e');
        expect(items.length).toBe(Math.max(1, tasks.length));
      }),
    );
  });
});
