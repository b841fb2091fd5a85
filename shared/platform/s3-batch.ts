/**
 * S3 Batch Operations (LambdaInvoke) on Lambda: each task names one log file; it goes through the same
 * pipeline and memory stage as an S3 notification, and its outcome becomes the task's result code, so the
 * job retries what may succeed and reports what never will (docs/backfill-aws.md).
 */
import { errorMessage, isRetryable, SinkError } from '../errors';
import { readS3BatchTasks, type S3BatchTask } from '../intake/unwrap-envelope';
import type { FetchObject } from '../pipeline';
import type { InvocationResult } from './invoke';

export type S3BatchResultCode = 'Succeeded' | 'TemporaryFailure' | 'PermanentFailure';

/** The event S3 Batch Operations sends (schema 1.0 or 2.0); every field is checked again when it is read. */
export interface S3BatchInvocationEvent {
  invocationSchemaVersion: string;
  invocationId: string;
  job?: { id?: string; userArguments?: Record<string, string> };
  tasks: Array<{ taskId: string; s3Key: string; s3VersionId?: string | null; s3BucketArn?: string; s3Bucket?: string }>;
}

export interface S3BatchResponse {
  invocationSchemaVersion: string;
  /** What the job makes of a task this answer leaves out (one without a taskId). */
  treatMissingKeysAs: S3BatchResultCode;
  invocationId: string;
  results: Array<{ taskId: string; resultCode: S3BatchResultCode; resultString: string }>;
}

/** Result strings go into the job's completion report: a line, not a dump. */
const MAX_RESULT_STRING = 1000;

/**
 * Runs `invoke` once per task, on the invocation with that task alone, with a fetcher that remembers a
 * failed read; never throws. `more`: what else a function's result says, as `name=value` parts of the
 * task's result string (trail-integrity: its digests); a task that gives some is not a skipped one.
 */
export async function runS3BatchInvocation<Result extends InvocationResult>(
  invocation: Record<string, unknown>,
  fetchObject: FetchObject,
  invoke: (event: unknown, fetchObject: FetchObject) => Promise<Result>,
  more: (result: Result) => string[] = () => [],
): Promise<S3BatchResponse> {
  const tasks = readS3BatchTasks(invocation, 'event');
  const rawTasks = invocation.tasks as unknown[];
  const results: S3BatchResponse['results'] = [];
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i];
    if (task.taskId === undefined) continue;
    const { resultCode, resultString } = await runTask(
      task,
      { ...invocation, tasks: [rawTasks[i]] },
      fetchObject,
      invoke,
      more,
    );
    results.push({ taskId: task.taskId, resultCode, resultString: clip(resultString) });
  }
  const version = invocation.invocationSchemaVersion;
  return {
    invocationSchemaVersion: typeof version === 'string' ? version : '1.0',
    treatMissingKeysAs: 'PermanentFailure',
    invocationId: String(invocation.invocationId),
    results,
  };
}

async function runTask<Result extends InvocationResult>(
  task: S3BatchTask,
  event: unknown,
  fetchObject: FetchObject,
  invoke: (event: unknown, fetchObject: FetchObject) => Promise<Result>,
  more: (result: Result) => string[],
): Promise<{ resultCode: S3BatchResultCode; resultString: string }> {
  const { item } = task;
  if (item.type === 'rejected') return { resultCode: 'PermanentFailure', resultString: item.reason };
  let readFailure: unknown;
  const remembering: FetchObject = async (bucket, key, region) => {
    try {
      return await fetchObject(bucket, key, region);
    } catch (error) {
      readFailure = error;
      throw error;
    }
  };
  let result: Result;
  try {
    result = await invoke(event, remembering);
  } catch (error) {
    // A failed publish (the memory stage has undone its claims: a retry sends what was not delivered, once),
    // a throttled or failed read, a timeout: S3 Batch Operations runs the task again.
    const delivery = error instanceof SinkError;
    const code: S3BatchResultCode = delivery || isRetryable(error) ? 'TemporaryFailure' : 'PermanentFailure';
    return {
      resultCode: code,
      resultString: `${delivery ? 'alert delivery failed' : 'failed'}: ${errorMessage(error)}`,
    };
  }
  // A read that will not succeed on retry (no such key, access denied) is a rejection inside the run.
  if (readFailure !== undefined)
    return { resultCode: 'PermanentFailure', resultString: `could not read the object: ${errorMessage(readFailure)}` };
  const extra = more(result);
  if (item.type === 'skipped' && extra.length === 0)
    return { resultCode: 'Succeeded', resultString: `skipped: ${item.reason}` };
  // Not a log file at all (not gzip, not JSON, no record in it): running it again reads the same bytes.
  if (result.records === 0 && result.rejected > 0)
    return {
      resultCode: 'PermanentFailure',
      resultString: `no record could be read (${result.rejected} rejected; the function's log says why): ${summary(result)}`,
    };
  return { resultCode: 'Succeeded', resultString: [summary(result), ...extra].join(' ') };
}

function summary(result: InvocationResult): string {
  const parts = [
    `records=${result.records}`,
    `alerts=${result.alerts}`,
    `delivered=${result.delivered}`,
    `rejected=${result.rejected}`,
    `duplicates=${result.duplicates}`,
    `suppressed=${result.suppressed}`,
  ];
  if (result.memory)
    parts.push(`sent=${result.memory.sent}`, `held=${result.memory.held}`, `repeats=${result.memory.duplicates}`);
  return parts.join(' ');
}

function clip(text: string): string {
  return text.length > MAX_RESULT_STRING ? `${text.slice(0, MAX_RESULT_STRING - 1)}…` : text;
}
