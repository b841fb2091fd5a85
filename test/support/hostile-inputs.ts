/**
 * Small inputs that cost a lot to read: nested CloudWatch Logs payloads (each level inflates again),
 * lists of millions of tiny elements, NDJSON of millions of lines. Each builder takes its size as a
 * parameter, so the fuzz tests can vary it and the bound tests can use the sizes a reviewer reported.
 */
import { gzipSync } from 'node:zlib';

const LOG_GROUP = 'aws-cloudtrail-logs-111122223333';

/**
 * `{"awslogs":{"data":"<base64 gzip of a DATA_MESSAGE whose log events hold these messages>"}}` as text.
 * With `sameIds`, every log event has the same id, so repeated messages compress as far as gzip goes.
 */
export function awslogsEnvelope(messages: readonly string[], idPrefix = 'e', sameIds = false): string {
  const payload = JSON.stringify({
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: LOG_GROUP,
    logStream: 's',
    subscriptionFilters: ['f'],
    logEvents: messages.map((message, index) => ({ id: `${idPrefix}${sameIds ? 0 : index}`, timestamp: 0, message })),
  });
  return JSON.stringify({ awslogs: { data: gzipSync(payload, { level: 9 }).toString('base64') } });
}

/** A small CloudTrail record, as a log event message would hold it. */
export function apiCallText(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventVersion: '1.08',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    eventTime: '2026-11-24T09:14:22Z',
    eventID: id,
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.5',
    userIdentity: { type: 'IAMUser', userName: 'probe' },
    ...extra,
  });
}

/**
 * CloudWatch Logs envelopes nested `1 + fanOuts.length` deep. Level 1 is a real payload: one API call
 * followed by `padBytes` of JSON whitespace (inflates ~1000:1). Each level above is a payload of
 * `fanOuts[i]` log events whose message is the level below. Unpacked level by level, every level
 * multiplies the inflation by its fan-out.
 */
export function nestedAwsLogs(padBytes: number, fanOuts: readonly number[]): string {
  let envelope = awslogsEnvelope([apiCallText('same-call') + ' '.repeat(padBytes)], 'l1-');
  fanOuts.forEach((fanOut, index) => {
    const inner = envelope;
    envelope = awslogsEnvelope(
      Array.from({ length: fanOut }, () => inner),
      `l${index + 2}-`,
      true,
    );
  });
  return envelope;
}

/** What unpacking every level of nestedAwsLogs would inflate to, in bytes (at least). */
export function nestedInflation(padBytes: number, fanOuts: readonly number[]): number {
  return fanOuts.reduce((total, fanOut) => total * fanOut, padBytes);
}

/** A gzip NDJSON file of `lines` copies of an input (all lines the same, so the file stays tiny). */
export function gzipNdjson(line: string, lines: number): Buffer {
  return gzipSync(`${line}\n`.repeat(lines), { level: 9 });
}

/** `{"<key>":[<element>,<element>,…]}` with `count` elements, gzip: kilobytes for megabytes of tiny elements. */
export function tinyElementList(count: number, element = '1', key = 'Records'): Buffer {
  const head = `{"${key}":[`;
  const body = `${element},`.repeat(count - 1);
  return gzipSync(`${head}${body}${element}]}`, { level: 9 });
}

/** `count` lines of the same small text (`{}` by default): an NDJSON file of millions of documents. */
export function repeatedLines(count: number, line = '{}'): Buffer {
  return Buffer.from(`${line}\n`.repeat(count));
}

/**
 * NDJSON of `count` API calls inside the whitelist with one console login from outside it in the
 * middle: more lines than a spread into `push` survives (~125k).
 */
export function ndjsonWithOneOutsider(count: number, outsiderText: string): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(i === count >> 1 ? outsiderText : apiCallText(`bulk-${i}`));
  return Buffer.from(`${lines.join('\n')}\n`);
}
