/**
 * Every intake path trailguard reads, as a builder that puts a batch of records into that envelope.
 * Records are given as JSON *text* and envelopes are assembled by string concatenation, so a case can
 * hold what JS objects cannot: invalid JSON, `__proto__` as a plain key, nesting a million levels
 * deep. Object-carrying envelopes are parsed at the end with JSON.parse, as the platform would.
 */
import { gzipSync } from 'node:zlib';
import { fixture } from './fixtures';

export type Cloud = 'aws' | 'huaweicloud';

/** What an invocation receives: the event, plus the S3 objects it references (fetched by the pipeline). */
export interface Batch {
  event: unknown;
  objects: Map<string, Buffer>;
}

export interface IntakePath {
  name: string;
  cloud: Cloud;
  /** Whether an item may be text that is not JSON (the envelope carries records as strings or lines). */
  carriesText: boolean;
  build(texts: readonly string[]): Batch;
  /** Prefix of the position a rejection of the i-th item reports. */
  positionOf(index: number): string;
}

export const BUCKET = 'trail-bucket';
const LOG_GROUP = 'aws-cloudtrail-logs-111122223333';

const noObjects = () => new Map<string, Buffer>();

function s3Notification(keys: readonly string[]): unknown {
  return {
    Records: keys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: BUCKET }, object: { key } },
    })),
  };
}

function eventBridgeText(detail: string, index: number): string {
  return (
    `{"version":"0","id":"eb-${index}","detail-type":"AWS Console Sign In via CloudTrail","source":"aws.signin",` +
    `"account":"111122223333","time":"2026-11-24T09:14:22Z","region":"us-east-1","resources":[],"detail":${detail}}`
  );
}

function ndjsonPath(cloud: Cloud): IntakePath {
  const key = `${cloud}/batch.ndjson`;
  return {
    name: `NDJSON file (${cloud === 'aws' ? 'CloudTrail records' : 'CTS traces'}, S3 object)`,
    cloud,
    carriesText: true,
    // Blank lines (and a CRLF) between the documents, as hand-made files have them.
    build: (texts) => ({
      event: s3Notification([key]),
      objects: new Map([[key, Buffer.from(`\n${texts.join('\r\n\n')}\n\n`)]]),
    }),
    positionOf: (index) => `s3://${BUCKET}/${key}:line ${2 + index * 2}`,
  };
}

export const INTAKE_PATHS: readonly IntakePath[] = [
  {
    name: 'raw CloudTrail records',
    cloud: 'aws',
    carriesText: false,
    build: (texts) => ({ event: JSON.parse(`[${texts.join(',')}]`), objects: noObjects() }),
    positionOf: (index) => `event[${index}]`,
  },
  {
    name: 'CloudTrail log file',
    cloud: 'aws',
    carriesText: false,
    build: (texts) => ({ event: JSON.parse(`{"Records":[${texts.join(',')}]}`), objects: noObjects() }),
    positionOf: (index) => `event#Records[${index}]`,
  },
  {
    name: 'CloudTrail log files, gzip, from S3 notifications',
    cloud: 'aws',
    carriesText: true,
    build: (texts) => {
      const keys = texts.map((_, index) => `AWSLogs/111122223333/CloudTrail/us-east-1/object-${index}.json.gz`);
      return {
        event: s3Notification(keys),
        objects: new Map(keys.map((key, index) => [key, gzipSync(`{"Records":[${texts[index]}]}`)])),
      };
    },
    positionOf: (index) => `s3://${BUCKET}/AWSLogs/111122223333/CloudTrail/us-east-1/object-${index}.json.gz`,
  },
  {
    name: 'EventBridge events',
    cloud: 'aws',
    carriesText: false,
    build: (texts) => ({ event: JSON.parse(`[${texts.map(eventBridgeText).join(',')}]`), objects: noObjects() }),
    positionOf: (index) => `event[${index}]`,
  },
  {
    name: 'SNS-wrapped EventBridge events (Lambda SNS batch)',
    cloud: 'aws',
    carriesText: true,
    build: (texts) => ({
      event: {
        Records: texts.map((text, index) => ({
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          Sns: {
            Type: 'Notification',
            MessageId: `sns-message-${index}`,
            TopicArn: 'arn:aws:sns:us-east-1:111122223333:trail-events',
            Message: eventBridgeText(text, index),
          },
        })),
      },
      objects: noObjects(),
    }),
    positionOf: (index) => `event#Records[${index}].Sns`,
  },
  {
    name: 'CloudWatch Logs subscription',
    cloud: 'aws',
    carriesText: true,
    build: (texts) => {
      const payload = {
        messageType: 'DATA_MESSAGE',
        owner: '111122223333',
        logGroup: LOG_GROUP,
        logStream: 's',
        subscriptionFilters: ['f'],
        logEvents: texts.map((message, index) => ({ id: `log-event-${index}`, timestamp: 0, message })),
      };
      return {
        event: { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } },
        objects: noObjects(),
      };
    },
    positionOf: (index) => `awslogs/${LOG_GROUP}#log-event-${index}`,
  },
  ndjsonPath('aws'),
  {
    name: 'raw CTS traces',
    cloud: 'huaweicloud',
    carriesText: false,
    build: (texts) => ({ event: JSON.parse(`[${texts.join(',')}]`), objects: noObjects() }),
    positionOf: (index) => `event[${index}]`,
  },
  {
    name: 'FunctionGraph CTS trigger events',
    cloud: 'huaweicloud',
    carriesText: false,
    build: (texts) => ({
      event: JSON.parse(`[${texts.map((text) => `{"cts":${text}}`).join(',')}]`),
      objects: noObjects(),
    }),
    positionOf: (index) => `event[${index}]`,
  },
  {
    name: 'FunctionGraph SMN trigger',
    cloud: 'huaweicloud',
    carriesText: true,
    build: (texts) => ({
      event: {
        record: texts.map((message, index) => ({
          event_version: '1.0',
          event_subscription_urn:
            'urn:fss:eu-de:0a1b2c3d4e5f60718293a4b5c6d7e8f9:function:default:login-whitelist:latest',
          event_source: 'smn',
          smn: {
            topic_urn: 'urn:smn:eu-de:0a1b2c3d4e5f60718293a4b5c6d7e8f9:cts_events',
            timestamp: '2026-11-24T09:26:53Z',
            message_id: `smn-message-${index}`,
            type: 'notification',
            subject: 'CTS',
            message,
          },
        })),
      },
      objects: noObjects(),
    }),
    positionOf: (index) => `event.record[${index}].smn`,
  },
  {
    name: 'CTS trace list',
    cloud: 'huaweicloud',
    carriesText: false,
    build: (texts) => ({ event: JSON.parse(`{"traces":[${texts.join(',')}]}`), objects: noObjects() }),
    positionOf: (index) => `event.traces[${index}]`,
  },
  ndjsonPath('huaweicloud'),
];

/** A console login from outside the test whitelist (203.0.113.0/24, 2001:db8:1::/48), per cloud. */
export function outsiderLogin(cloud: Cloud, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base =
    cloud === 'aws'
      ? fixture('aws/cloudtrail-console-login-iam-user-no-mfa.json')
      : fixture('huaweicloud/cts-login-outside-ip.json');
  return { ...(base as Record<string, unknown>), ...overrides };
}

/** Field names per cloud, so one case table serves both. */
export const FIELDS = {
  aws: {
    id: 'eventID',
    name: 'eventName',
    service: 'eventSource',
    time: 'eventTime',
    address: 'sourceIPAddress',
    agent: 'userAgent',
  },
  huaweicloud: {
    id: 'trace_id',
    name: 'trace_name',
    service: 'service_type',
    time: 'time',
    address: 'source_ip',
    agent: 'user_agent',
  },
} as const;

/** The good login mixed into every batch: its alert must always come out. */
export function goodLogin(cloud: Cloud): { id: string; ip: string; text: string } {
  const id = `good-${cloud}-login`;
  const ip = cloud === 'aws' ? '198.51.100.23' : '10.65.56.139';
  return { id, ip, text: JSON.stringify(outsiderLogin(cloud, { [FIELDS[cloud].id]: id })) };
}
