/**
 * Envelope → records. Detection is by shape, because the same function can be wired to EventBridge, SNS,
 * S3, CloudWatch Logs, SQS or a FunctionGraph trigger, and an input says nothing else about where it came
 * from. Pure: no I/O (an S3 reference comes back as a `fetch` item) and it never throws.
 *
 * Inputs are attacker-influenced, so only own properties are read: a `__proto__` or `constructor` key is
 * just a key, and an inherited `Records` is not there.
 */
import { errorMessage } from '../errors';
import {
  budgetExceeded,
  chargeBudget,
  createInflationBudget,
  gunzipWithin,
  type InflationBudget,
  parseJsonSafely,
} from './decode-input';
import type { IntakeItem, RecordKind } from './intake-item';
import { noteDeliveryId } from '../normalize/delivery-id';

/** Real envelopes nest about five deep (SQS → SNS → EventBridge → detail); deeper is broken or hostile. */
export const MAX_ENVELOPE_DEPTH = 8;

/** Lambda caps an async payload at about 1 MB of base64, a few MB unpacked; far more than that is a bomb. */
const MAX_AWSLOGS_BYTES = 16 * 1024 * 1024;

const CLOUDTRAIL_DETAIL_TYPES = new Set([
  'AWS API Call via CloudTrail',
  // Real events and the AWS sample say "Sign In"; the EventBridge guide says "Signin".
  'AWS Console Sign In via CloudTrail',
  'AWS Console Signin via CloudTrail',
  'AWS Console Action via CloudTrail',
  'AWS Service Event via CloudTrail',
  'AWS Insight via CloudTrail',
  'AWS Network Activity Event via CloudTrail',
]);
const CONFIG_COMPLIANCE_CHANGE = 'Config Rules Compliance Change';
const CLOUD_EYE_RMS_EVENTS = new Set(['configurationNoncomplianceNotification', 'configurationComplianceNotification']);
const SNS_TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);
const DIGEST_KEY = /(^|\/)CloudTrail-Digest\/|_CloudTrail-Digest_[^/]*$/;

const MAX_KEYS_NAMED = 8;
const MAX_TEXT_SHOWN = 60;

type Json = Record<string, unknown>;

/**
 * Where unwrapped items go, one at a time as they are found: a `Records` list of millions of elements is
 * never an array of millions of items.
 */
export interface ItemSink {
  readonly push: (item: IntakeItem) => void;
  /** The input's inflation budget (base64 and gunzip of CloudWatch Logs payloads); a default one if unset. */
  readonly budget?: InflationBudget;
}

/** An ItemSink inside the unwrapper, with what the position in the envelope tree implies. */
interface Out {
  readonly push: (item: IntakeItem) => void;
  readonly budget: InflationBudget;
  /** Inside a CloudWatch Logs log event message, where another subscription payload cannot occur. */
  readonly inLogEvent: boolean;
}

/** Everything `input` unwraps to, as an array. */
export function unwrapEnvelope(input: unknown, position: string, budget?: InflationBudget): IntakeItem[] {
  const items: IntakeItem[] = [];
  unwrapEnvelopeTo(input, position, { push: (item) => items.push(item), budget });
  return items;
}

/** Unwraps `input`, handing each item to `sink.push` as it is found. Never throws. */
export function unwrapEnvelopeTo(input: unknown, position: string, sink: ItemSink): void {
  const out = outFor(sink);
  try {
    unwrap(input, position, 0, out);
  } catch (error) {
    // Parsed JSON cannot get here; exotic objects (getters, proxies) from a caller could.
    out.push(rejected(position, `could not unwrap envelope: ${errorMessage(error)}`));
  }
}

function outFor(sink: ItemSink): Out {
  const push = sink.push;
  return { push: (item) => push.call(sink, item), budget: sink.budget ?? createInflationBudget(), inLogEvent: false };
}

function unwrap(value: unknown, position: string, depth: number, out: Out): void {
  if (depth > MAX_ENVELOPE_DEPTH) {
    out.push(rejected(position, `envelopes nested more than ${MAX_ENVELOPE_DEPTH} levels deep`));
  } else if (Array.isArray(value)) {
    if (value.length === 0) out.push(skipped(position, 'empty list', 'empty'));
    for (let i = 0; i < value.length; i++) unwrap(at(value, i), `${position}[${i}]`, depth + 1, out);
  } else if (!isObject(value)) {
    out.push(rejected(position, `unrecognized envelope: ${describe(value)}`));
  } else {
    const shape = SHAPES.find(({ test }) => test(value));
    if (shape) shape.unwrap(value, position, depth, out);
    else out.push(rejected(position, `unrecognized envelope: ${describeKeys(value)}`));
  }
}

type Unwrapper = (value: Json, position: string, depth: number, out: Out) => void;

/** Shapes in the order they are tried; the first match unwraps. Order matters only where shapes share keys. */
const SHAPES: readonly { test: (value: Json) => boolean; unwrap: Unwrapper }[] = [
  { test: (v) => has(v, 'awslogs'), unwrap: unwrapAwsLogs },
  { test: (v) => has(v, 'cts'), unwrap: unwrapCtsTrigger },
  { test: (v) => Array.isArray(own(v, 'record')), unwrap: unwrapSmnTrigger },
  { test: (v) => Array.isArray(own(v, 'Records')), unwrap: unwrapRecords },
  { test: isLambdaDestinationRecord, unwrap: unwrapLambdaDestinationRecord },
  { test: (v) => Array.isArray(own(v, 'Messages')), unwrap: unwrapSqsReceiveMessageOutput },
  { test: isS3BatchInvocation, unwrap: unwrapS3BatchInvocation },
  { test: isCloudTrailDigest, unwrap: skipWith('CloudTrail digest file (log file integrity validation)', 'digest') },
  { test: isCtsDigest, unwrap: skipWith('CTS digest file (trace file integrity verification)', 'digest') },
  { test: (v) => typeof own(v, 'detail-type') === 'string', unwrap: unwrapEventBridge },
  { test: isSnsMessage, unwrap: unwrapSns },
  // Before CloudTrail's SNS delivery: Config snapshot-delivery notifications also carry s3Bucket/s3ObjectKey.
  { test: isAwsConfigNotification, unwrap: unwrapAwsConfigNotification },
  { test: isCloudTrailSnsDelivery, unwrap: unwrapCloudTrailSnsDelivery },
  { test: (v) => own(v, 'Event') === 's3:TestEvent', unwrap: skipWith('S3 test event') },
  // Before the CloudTrail record: S3 event records also have eventVersion/eventSource/eventName.
  { test: (v) => own(v, 'eventSource') === 'aws:s3', unwrap: unwrapS3Event },
  { test: isCloudTrailRecord, unwrap: pushAs('cloudtrail') },
  { test: (v) => Array.isArray(own(v, 'traces')), unwrap: unwrapTraceList },
  { test: isCtsTrace, unwrap: pushAs('cts') },
  { test: isHuaweiPolicyState, unwrap: pushAs('huawei-config') },
  { test: isHuaweiConfigNotification, unwrap: skipHuaweiConfigNotification },
  {
    test: isHuaweiCustomRuleRequest,
    unwrap: skipWith('Huawei Config custom-rule evaluation request (no result in it)'),
  },
  { test: isCloudEyeRmsEvent, unwrap: pushAs('cloud-eye') },
  // Last: a document with a few of a record's fields but not the ones the shapes above need (no
  // eventVersion, say) is a broken record, and the normalizer says what is wrong with it.
  { test: looksLikeCloudTrailRecord, unwrap: pushAs('cloudtrail') },
  { test: looksLikeCtsTrace, unwrap: pushAs('cts') },
];

function pushAs(kind: RecordKind): Unwrapper {
  return (value, position, _depth, out) => out.push(record(kind, value, position));
}

function skipWith(reason: string, label?: string): Unwrapper {
  return (_value, position, _depth, out) => out.push(skipped(position, reason, label));
}

function isCloudTrailRecord(value: Json): boolean {
  return has(value, 'eventVersion') && has(value, 'eventSource') && has(value, 'eventName');
}

/** Top-level fields of a CloudTrail record that other envelopes do not use together. */
const CLOUDTRAIL_FIELDS = [
  'eventVersion',
  'eventSource',
  'eventName',
  'eventTime',
  'eventID',
  'userIdentity',
  'sourceIPAddress',
  'recipientAccountId',
  'requestParameters',
] as const;

function looksLikeCloudTrailRecord(value: Json): boolean {
  return countOwn(value, CLOUDTRAIL_FIELDS) >= 2 && (has(value, 'eventName') || has(value, 'eventSource'));
}

/** Top-level fields of a CTS trace. */
const CTS_FIELDS = [
  'trace_id',
  'trace_name',
  'trace_type',
  'trace_rating',
  'service_type',
  'resource_type',
  'record_time',
  'source_ip',
] as const;

function looksLikeCtsTrace(value: Json): boolean {
  return countOwn(value, CTS_FIELDS) >= 2 && (has(value, 'trace_name') || has(value, 'service_type'));
}

/**
 * A CloudTrail digest file (log file integrity validation, delivered under `CloudTrail-Digest/`): it lists
 * log files and their hashes and holds no audit record.
 */
export function isCloudTrailDigest(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof own(value, 'digestStartTime') === 'string' &&
    Array.isArray(own(value, 'logFiles')) &&
    !has(value, 'Records')
  );
}

/** A CTS digest file (trace file integrity verification, delivered under `…/Digest/…`). */
export function isCtsDigest(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof own(value, 'digest_start_time') === 'string' &&
    Array.isArray(own(value, 'log_files')) &&
    !has(value, 'traces')
  );
}

// --- AWS --------------------------------------------------------------------------------------------

/** `{"Records":[…]}`: a CloudTrail log file, an S3 notification, or a Lambda SNS/SQS batch. */
function unwrapRecords(value: Json, position: string, depth: number, out: Out): void {
  const records = own(value, 'Records') as unknown[];
  if (records.length === 0) out.push(emptyListItem('Records', position));
  for (let i = 0; i < records.length; i++)
    unwrapRecordsElement(at(records, i), `${position}#Records[${i}]`, depth, out);
}

function unwrapRecordsElement(element: unknown, elementPosition: string, depth: number, out: Out): void {
  const sns = isObject(element) ? own(element, 'Sns') : undefined;
  const eventSource = isObject(element) ? own(element, 'eventSource') : undefined;
  if (!isObject(element)) out.push(rejected(elementPosition, `expected an object, got ${describe(element)}`));
  else if (isObject(sns)) unwrapSns(sns, `${elementPosition}.Sns`, depth + 1, out);
  else if (eventSource === 'aws:s3') unwrapS3Event(element, elementPosition, depth, out);
  else if (eventSource === 'aws:sqs') {
    const messageId = ownString(element, 'messageId');
    unwrapEmbedded(own(element, 'body'), `${elementPosition}.body`, 'SQS body', messageId, depth + 1, out);
  }
  // Anything else in a Records list is taken as a CloudTrail record; the normalizer says what is wrong with it.
  else out.push(record('cloudtrail', element, elementPosition));
}

function unwrapEventBridge(event: Json, position: string, _depth: number, out: Out): void {
  const detailType = own(event, 'detail-type') as string;
  const source = own(event, 'source');
  // Only AWS services emit `aws.*` sources (PutEvents refuses them): a CloudTrail or Config event from any
  // other source was sent by someone with events:PutEvents, and would forge an alert. EventBridge always
  // sets `source`; an event without one did not come through a bus (whoever can invoke the function
  // directly can send the bare record just as well), and is read as before.
  if (
    (detailType === CONFIG_COMPLIANCE_CHANGE || CLOUDTRAIL_DETAIL_TYPES.has(detailType)) &&
    source !== undefined &&
    !(typeof source === 'string' && source.startsWith('aws.'))
  ) {
    const shown = typeof source === 'string' ? quote(source) : describe(source);
    out.push(
      rejected(
        position,
        `${quote(detailType)} event whose source is ${shown}: only AWS services (source aws.*) send these`,
        ownString(event, 'id'),
      ),
    );
  } else if (detailType === CONFIG_COMPLIANCE_CHANGE) {
    out.push(record('aws-config', event, position));
  } else if (CLOUDTRAIL_DETAIL_TYPES.has(detailType)) {
    const detail = own(event, 'detail');
    const reason = `${quote(detailType)} event whose detail is ${describe(detail)}`;
    if (isObject(detail)) out.push(record('cloudtrail', detail, `${position}.detail`));
    else out.push(rejected(`${position}.detail`, reason, ownString(event, 'id')));
  } else {
    out.push(skipped(position, `EventBridge detail-type ${quote(detailType)} is not handled`));
  }
}

function isSnsMessage(value: Json): boolean {
  const type = own(value, 'Type');
  return typeof type === 'string' && SNS_TYPES.has(type) && (has(value, 'Message') || has(value, 'TopicArn'));
}

/** The SNS HTTP/JSON body and the `Sns` object of a Lambda SNS event share the fields that matter here. */
function unwrapSns(sns: Json, position: string, depth: number, out: Out): void {
  const type = own(sns, 'Type');
  const messageId = ownString(sns, 'MessageId');
  if (type === 'SubscriptionConfirmation' || type === 'UnsubscribeConfirmation') {
    out.push(skipped(position, `SNS ${type}`));
  } else if (type !== undefined && type !== 'Notification') {
    out.push(rejected(position, `SNS message whose Type is ${describe(type)}`, messageId));
  } else {
    // The MessageId leads an alert back to this delivery (AWS Config over SNS has no event id of its own).
    const noting: Out = {
      ...out,
      push: (item) => {
        if (item.type === 'record') noteDeliveryId(item.record, messageId);
        out.push(item);
      },
    };
    unwrapEmbedded(own(sns, 'Message'), `${position}.Message`, 'SNS Message', messageId, depth + 1, noting);
  }
}

/** A message that carries another envelope, as a JSON string (what SNS, SQS and SMN deliver) or already parsed. */
function unwrapEmbedded(
  message: unknown,
  position: string,
  what: string,
  recordId: string | undefined,
  depth: number,
  out: Out,
): void {
  if (typeof message === 'string') {
    const parsed = parseJsonSafely(message);
    if (parsed.ok) unwrap(parsed.value, position, depth, out);
    else out.push(rejected(position, `${what} is not JSON: ${quote(message)}`, recordId));
  } else if (typeof message === 'object' && message !== null) {
    // The AWS Config guide shows the SNS Message as an object; accept that too.
    unwrap(message, position, depth, out);
  } else {
    out.push(rejected(position, `${what} is ${describe(message)}`, recordId));
  }
}

/**
 * The record Lambda sends to an on-failure (or on-success) destination of an asynchronous invocation:
 * `version`, `timestamp`, `requestContext`, `requestPayload` (the original event), `responseContext`,
 * `responsePayload` (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 * Through an SQS destination it is the message body; the original event is what gets replayed.
 */
function isLambdaDestinationRecord(value: Json): boolean {
  return isObject(own(value, 'requestContext')) && has(value, 'requestPayload') && has(value, 'responseContext');
}

function unwrapLambdaDestinationRecord(value: Json, position: string, depth: number, out: Out): void {
  const context = own(value, 'requestContext') as Json;
  const requestId = ownString(context, 'requestId');
  unwrapEmbedded(
    own(value, 'requestPayload'),
    `${position}.requestPayload`,
    'Lambda invocation record requestPayload',
    requestId,
    depth + 1,
    out,
  );
}

/** What `aws sqs receive-message` prints: `{"Messages":[{"MessageId","ReceiptHandle","MD5OfBody","Body"}]}`. */
function unwrapSqsReceiveMessageOutput(value: Json, position: string, depth: number, out: Out): void {
  const messages = own(value, 'Messages') as unknown[];
  if (messages.length === 0) out.push(skipped(`${position}.Messages`, 'no SQS messages'));
  for (let i = 0; i < messages.length; i++) {
    const message = at(messages, i);
    const messagePosition = `${position}.Messages[${i}]`;
    if (!isObject(message) || !has(message, 'Body')) {
      out.push(rejected(messagePosition, `SQS message without a Body: ${describe(message)}`));
      continue;
    }
    const messageId = ownString(message, 'MessageId');
    unwrapEmbedded(own(message, 'Body'), `${messagePosition}.Body`, 'SQS Body', messageId, depth + 1, out);
  }
}

// --- S3 Batch Operations -------------------------------------------------------------------------

/** The invocation schema versions of S3 Batch Operations' LambdaInvoke (docs/backfill-aws.md). */
const S3_BATCH_SCHEMA_VERSIONS = new Set(['1.0', '2.0']);

/**
 * An S3 Batch Operations LambdaInvoke event: `invocationSchemaVersion`, `invocationId`, `job`, `tasks[]`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html).
 */
export function isS3BatchInvocation(value: unknown): value is Json {
  return (
    isObject(value) &&
    typeof own(value, 'invocationSchemaVersion') === 'string' &&
    has(value, 'invocationId') &&
    Array.isArray(own(value, 'tasks'))
  );
}

/** One task of an S3 Batch Operations invocation: its id (undefined when it has none) and what it unwraps to. */
export interface S3BatchTask {
  taskId: string | undefined;
  position: string;
  /** A `fetch` item (or a digest skip), or why the task cannot be run. */
  item: IntakeItem;
}

/**
 * The tasks of an S3 Batch Operations invocation. Schema 1.0 names the bucket by ARN (`s3BucketArn`,
 * `arn:aws:s3:::bucket`), 2.0 by name (`s3Bucket`); both URL-encode `s3Key` (a space may arrive as `+`).
 * `s3VersionId` is not used: CloudTrail and CTS never overwrite a log file.
 */
export function readS3BatchTasks(invocation: Json, position: string): S3BatchTask[] {
  const version = own(invocation, 'invocationSchemaVersion');
  const tasks = own(invocation, 'tasks') as unknown[];
  const read: S3BatchTask[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const task = at(tasks, i);
    const taskPosition = `${position}.tasks[${i}]`;
    const taskId = isObject(task) ? ownString(task, 'taskId') : undefined;
    const items: IntakeItem[] = [];
    const out: Out = { push: (item) => items.push(item), budget: createInflationBudget(), inLogEvent: false };
    if (typeof version !== 'string' || !S3_BATCH_SCHEMA_VERSIONS.has(version))
      out.push(
        rejected(taskPosition, `S3 Batch Operations invocationSchemaVersion ${describe(version)} is not 1.0 or 2.0`),
      );
    else if (!isObject(task)) out.push(rejected(taskPosition, `S3 Batch Operations task is ${describe(task)}`));
    else unwrapS3BatchTask(task, taskPosition, out);
    read.push({ taskId, position: taskPosition, item: items[0] });
  }
  return read;
}

function unwrapS3BatchTask(task: Json, position: string, out: Out): void {
  const name = ownString(task, 's3Bucket');
  const named = name ?? ownString(task, 's3BucketArn');
  // A bucket ARN (`arn:aws:s3:::bucket`, schema 1.0's s3BucketArn) names the bucket; bucket names have no
  // colon. Any other ARN (an access point, an Outposts bucket) is no bucket this function can read.
  const asArn = named === undefined || (name !== undefined && !name.startsWith('arn:')) ? undefined : named;
  const bucket = asArn === undefined ? name : /^arn:[a-z-]+:s3:::([^:/]+)$/.exec(asArn)?.[1];
  const rawKey = ownString(task, 's3Key');
  const key = rawKey === undefined ? undefined : decodeS3Key(rawKey);
  const taskId = ownString(task, 'taskId');
  if (!bucket && asArn?.startsWith('arn:'))
    out.push(
      rejected(
        position,
        `S3 Batch Operations task names ${quote(asArn)}, not a bucket ARN (arn:aws:s3:::bucket)`,
        taskId,
      ),
    );
  else if (!bucket) out.push(rejected(position, 'S3 Batch Operations task without s3Bucket or an s3BucketArn', taskId));
  else if (!rawKey) out.push(rejected(position, 'S3 Batch Operations task without s3Key', taskId));
  else if (key === undefined)
    out.push(rejected(position, `S3 Batch Operations s3Key is not valid URL encoding: ${quote(rawKey)}`, taskId));
  else pushFetch(bucket, key, undefined, position, out);
}

function unwrapS3BatchInvocation(value: Json, position: string, _depth: number, out: Out): void {
  const tasks = readS3BatchTasks(value, position);
  if (tasks.length === 0) out.push(skipped(`${position}.tasks`, 'S3 Batch Operations invocation without tasks'));
  for (const task of tasks) out.push(task.item);
}

function isAwsConfigNotification(value: Json): boolean {
  const messageType = own(value, 'messageType');
  if (messageType === 'ComplianceChangeNotification') return true;
  return typeof messageType === 'string' && (has(value, 'notificationCreationTime') || has(value, 'recordVersion'));
}

function unwrapAwsConfigNotification(message: Json, position: string, _depth: number, out: Out): void {
  const messageType = own(message, 'messageType') as string;
  if (messageType === 'ComplianceChangeNotification') out.push(record('aws-config', message, position));
  else out.push(skipped(position, `AWS Config ${quote(messageType)} is not a compliance change`));
}

function unwrapS3Event(event: Json, position: string, _depth: number, out: Out): void {
  const eventName = ownString(event, 'eventName') ?? '';
  if (!eventName.startsWith('ObjectCreated:')) {
    out.push(skipped(position, `S3 event ${quote(eventName)} is not an object creation`));
    return;
  }
  const s3 = own(event, 's3');
  const bucket = isObject(s3) ? own(s3, 'bucket') : undefined;
  const object = isObject(s3) ? own(s3, 'object') : undefined;
  const bucketName = isObject(bucket) ? ownString(bucket, 'name') : undefined;
  const rawKey = isObject(object) ? ownString(object, 'key') : undefined;
  const key = rawKey === undefined ? undefined : decodeS3Key(rawKey);
  if (bucketName === undefined || rawKey === undefined) {
    out.push(rejected(position, 'S3 event without s3.bucket.name and s3.object.key'));
  } else if (key === undefined) {
    out.push(rejected(position, `S3 object key is not valid URL encoding: ${quote(rawKey)}`));
  } else {
    pushFetch(bucketName, key, ownString(event, 'awsRegion'), position, out);
  }
}

/** S3 notifications form-encode keys: `+` is a space, and a literal `+` arrives as `%2B`. */
function decodeS3Key(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function isCloudTrailSnsDelivery(value: Json): boolean {
  return typeof own(value, 's3Bucket') === 'string' && Array.isArray(own(value, 's3ObjectKey'));
}

/** CloudTrail's own SNS notification per delivered file. Its keys are plain, not URL-encoded. */
function unwrapCloudTrailSnsDelivery(value: Json, position: string, _depth: number, out: Out): void {
  const bucket = own(value, 's3Bucket') as string;
  const keys = own(value, 's3ObjectKey') as unknown[];
  if (keys.length === 0) out.push(skipped(`${position}.s3ObjectKey`, 'empty s3ObjectKey list'));
  for (let i = 0; i < keys.length; i++) {
    const key = at(keys, i);
    const keyPosition = `${position}.s3ObjectKey[${i}]`;
    if (typeof key === 'string' && key !== '') pushFetch(bucket, key, undefined, keyPosition, out);
    else out.push(rejected(keyPosition, `s3ObjectKey is ${describe(key)}`));
  }
}

function pushFetch(bucket: string, key: string, region: string | undefined, position: string, out: Out): void {
  if (DIGEST_KEY.test(key))
    out.push({
      type: 'skipped',
      reason: `CloudTrail digest file s3://${bucket}/${key}`,
      position,
      label: 'digest',
      digest: { bucket, key, region },
    });
  else if (region === undefined) out.push({ type: 'fetch', bucket, key, position });
  else out.push({ type: 'fetch', bucket, key, region, position });
}

function unwrapAwsLogs(value: Json, position: string, depth: number, out: Out): void {
  const dataPosition = `${position}.awslogs.data`;
  if (out.inLogEvent) {
    // CloudWatch Logs never puts a subscription payload inside a log event; unpacking one would let
    // each level inflate again (a 30 KB two-level input ran for minutes).
    out.push(
      rejected(
        dataPosition,
        'CloudWatch Logs subscription payload inside a log event message (CloudWatch Logs does not nest them)',
      ),
    );
    return;
  }
  const payload = decodeAwsLogsData(own(value, 'awslogs'), out.budget);
  const logEvents = typeof payload === 'string' ? undefined : own(payload, 'logEvents');
  if (typeof payload === 'string') {
    out.push(rejected(dataPosition, payload));
  } else if (own(payload, 'messageType') === 'CONTROL_MESSAGE') {
    // CloudWatch Logs sends these to check that the destination is reachable.
    out.push(skipped(dataPosition, 'CloudWatch Logs CONTROL_MESSAGE'));
  } else if (!Array.isArray(logEvents)) {
    out.push(rejected(dataPosition, `awslogs logEvents is ${describe(logEvents)}`));
  } else {
    if (logEvents.length === 0) out.push(skipped(dataPosition, 'no log events'));
    const logGroup = ownString(payload, 'logGroup') ?? '(unknown log group)';
    const inner: Out = { push: out.push, budget: out.budget, inLogEvent: true };
    for (let i = 0; i < logEvents.length; i++) unwrapLogEvent(at(logEvents, i), logGroup, i, depth, inner);
  }
}

/** The decoded subscription payload, or why it could not be decoded. Base64 and gunzip output are charged to `budget`. */
function decodeAwsLogsData(awslogs: unknown, budget: InflationBudget): Json | string {
  const data = isObject(awslogs) ? own(awslogs, 'data') : undefined;
  if (typeof data !== 'string') return `awslogs.data is ${describe(data)}`;
  // The base64 text is already in memory; its decoded bytes are not, and count like inflated ones.
  if (!chargeBudget(budget, Math.ceil((data.length * 3) / 4))) return `awslogs.data: ${budgetExceeded(budget)}`;
  const inflated = gunzipWithin(Buffer.from(data, 'base64'), budget, MAX_AWSLOGS_BYTES);
  if (!inflated.ok) return `awslogs.data is not base64 gzip: ${inflated.reason}`;
  const parsed = parseJsonSafely(inflated.bytes.toString('utf8'));
  if (!parsed.ok) return `awslogs payload: ${parsed.reason}`;
  return isObject(parsed.value) ? parsed.value : `awslogs payload is ${describe(parsed.value)}`;
}

function unwrapLogEvent(logEvent: unknown, logGroup: string, index: number, depth: number, out: Out): void {
  // Ids are decimal strings longer than 2^53: keep them as text.
  const id = isObject(logEvent) ? ownString(logEvent, 'id') : undefined;
  const position = `awslogs/${logGroup}#${id ?? `logEvents[${index}]`}`;
  const message = isObject(logEvent) ? own(logEvent, 'message') : undefined;
  if (typeof message !== 'string') {
    out.push(rejected(position, `log event message is ${describe(message)}`, id));
    return;
  }
  const parsed = parseJsonSafely(message);
  if (parsed.ok) unwrap(parsed.value, position, depth + 1, out);
  else out.push(rejected(position, `log event message is not JSON: ${quote(message)}`, id));
}

// --- Huawei Cloud -----------------------------------------------------------------------------------

function unwrapCtsTrigger(value: Json, position: string, _depth: number, out: Out): void {
  const trace = own(value, 'cts');
  if (isObject(trace)) out.push(record('cts', trace, `${position}.cts`));
  else out.push(rejected(`${position}.cts`, `CTS trigger event whose cts is ${describe(trace)}`));
}

/** `{"traces":[…]}` as the CTS query API returns it. */
function unwrapTraceList(value: Json, position: string, _depth: number, out: Out): void {
  const traces = own(value, 'traces') as unknown[];
  if (traces.length === 0) out.push(emptyListItem('traces', position));
  for (let i = 0; i < traces.length; i++) unwrapTrace(at(traces, i), `${position}.traces[${i}]`, out);
}

function unwrapTrace(trace: unknown, tracePosition: string, out: Out): void {
  if (isObject(trace)) out.push(record('cts', trace, tracePosition));
  else out.push(rejected(tracePosition, `expected a CTS trace object, got ${describe(trace)}`));
}

// --- record lists, one element at a time ----------------------------------------------------------

/**
 * For the reader of huge log files (decodeInput's `recordList`): a function that unwraps element `index`
 * of a top-level `{"Records":[…]}` or `{"traces":[…]}` document named `position` exactly as unwrapEnvelope
 * unwraps it inside the whole document, with the same positions. Made once per list: nothing is built per
 * element but what its items need.
 */
export function listElementUnwrapper(
  key: 'Records' | 'traces',
  position: string,
  sink: ItemSink,
): (element: unknown, index: number) => void {
  const out = outFor(sink);
  return (element, index) => {
    try {
      if (key === 'Records') unwrapRecordsElement(element, `${position}#Records[${index}]`, 0, out);
      else unwrapTrace(element, `${position}.traces[${index}]`, out);
    } catch (error) {
      out.push(rejected(position, `could not unwrap envelope: ${errorMessage(error)}`));
    }
  };
}

/** What an empty `Records` / `traces` list unwraps to. */
export function emptyListItem(key: 'Records' | 'traces', position: string): IntakeItem {
  return key === 'Records'
    ? skipped(`${position}#Records`, 'empty Records list', 'empty')
    : skipped(`${position}.traces`, 'empty traces list', 'empty');
}

function unwrapSmnTrigger(value: Json, position: string, depth: number, out: Out): void {
  const records = own(value, 'record') as unknown[];
  if (records.length === 0) out.push(skipped(`${position}.record`, 'empty SMN record list'));
  for (let i = 0; i < records.length; i++) {
    const element = at(records, i);
    const smn = isObject(element) ? own(element, 'smn') : undefined;
    const smnPosition = `${position}.record[${i}].smn`;
    if (!isObject(smn)) {
      out.push(rejected(smnPosition, `FunctionGraph SMN record whose smn is ${describe(smn)}`));
    } else {
      const messageId = ownString(smn, 'message_id');
      unwrapEmbedded(own(smn, 'message'), `${smnPosition}.message`, 'SMN message', messageId, depth + 1, out);
    }
  }
}

function isCtsTrace(value: Json): boolean {
  return has(value, 'trace_name') && (has(value, 'service_type') || has(value, 'trace_id'));
}

/** A policy state as Config's policy-states API takes and returns it. */
function isHuaweiPolicyState(value: Json): boolean {
  return has(value, 'compliance_state') && (has(value, 'policy_resource') || has(value, 'policy_assignment_id'));
}

function isHuaweiConfigNotification(value: Json): boolean {
  const type = own(value, 'notification_type');
  return typeof type === 'string' && (has(value, 'notification_creation_time') || has(value, 'domain_id'));
}

/** Config sends only resource and snapshot notifications to SMN; compliance results go through Cloud Eye. */
function skipHuaweiConfigNotification(value: Json, position: string, _depth: number, out: Out): void {
  const type = quote(own(value, 'notification_type') as string);
  out.push(skipped(position, `Huawei Config ${type} notification is not a compliance result`));
}

function isHuaweiCustomRuleRequest(value: Json): boolean {
  return has(value, 'policy_assignment_id') && has(value, 'invoking_event');
}

/** The Cloud Eye event body is undocumented: accept the RMS event name under either usual key, or the namespace. */
function isCloudEyeRmsEvent(value: Json): boolean {
  const name = ownString(value, 'event_name') ?? ownString(value, 'eventName');
  return (name !== undefined && CLOUD_EYE_RMS_EVENTS.has(name)) || own(value, 'event_source') === 'SYS.RMS';
}

// --- helpers ----------------------------------------------------------------------------------------

function record(kind: RecordKind, value: unknown, position: string): IntakeItem {
  return { type: 'record', kind, record: value, position };
}

function skipped(position: string, reason: string, label?: string): IntakeItem {
  return label === undefined ? { type: 'skipped', reason, position } : { type: 'skipped', reason, position, label };
}

function rejected(position: string, reason: string, recordId?: string): IntakeItem {
  return recordId === undefined
    ? { type: 'rejected', reason, position }
    : { type: 'rejected', reason, position, recordId };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(value: object, key: string): boolean {
  return Object.hasOwn(value, key);
}

function countOwn(value: object, keys: readonly string[]): number {
  let count = 0;
  for (const key of keys) if (Object.hasOwn(value, key)) count++;
  return count;
}

function own(value: object, key: string): unknown {
  return Object.hasOwn(value, key) ? (value as Json)[key] : undefined;
}

function ownString(value: object, key: string): string | undefined {
  const found = own(value, key);
  return typeof found === 'string' ? found : undefined;
}

/** Array element, ignoring holes that would fall through to `Array.prototype`. */
function at(values: unknown[], index: number): unknown {
  return Object.hasOwn(values, index) ? values[index] : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `a string ${quote(value)}`;
  return typeof value === 'undefined' ? 'missing' : `a ${typeof value}`;
}

function describeKeys(value: Json): string {
  const keys = Object.keys(value);
  if (keys.length === 0) return 'empty object';
  const named = keys.slice(0, MAX_KEYS_NAMED).map((key) => printable(key.slice(0, 40)));
  const more = keys.length > MAX_KEYS_NAMED ? `, … (${keys.length} keys)` : '';
  return `object with keys ${named.join(', ')}${more}`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > MAX_TEXT_SHOWN ? `${text.slice(0, MAX_TEXT_SHOWN)}…` : text);
}

/** Keys end up in logs; control characters in them must not forge log lines. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}
