#!/usr/bin/env node
/**
 * Writes the envelope fixtures that hold compressed bytes, from the readable fixtures next to them:
 * - events/aws/envelope-cloudtrail-log-file.json.gz: envelope-cloudtrail-log-file.json, gzipped as S3 holds it
 * - events/aws/envelope-cloudwatch-logs-subscription.json: three of its records as a CloudWatch Logs batch
 * - events/aws/envelope-cloudwatch-logs-control-message.json: the reachability check CloudWatch Logs sends
 *
 * Deterministic: the gzip header's mtime is zero and its OS byte is fixed, so re-running it on the same
 * Node.js (same bundled zlib) gives identical files. Run: node scripts/make-envelope-fixtures.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const awsEvents = join(dirname(fileURLToPath(import.meta.url)), '..', 'events', 'aws');

/** gzip with a fixed header: zlib already writes mtime 0, but the OS byte depends on where zlib was built. */
function gzipFixed(bytes) {
  const gz = gzipSync(bytes, { level: 9 });
  gz.writeUInt32LE(0, 4);
  gz[9] = 0xff;
  return gz;
}

function writeJson(name, value) {
  writeFileSync(join(awsEvents, name), `${JSON.stringify(value, null, 2)}\n`);
  console.log(`wrote events/aws/${name}`);
}

function awslogs(payload) {
  return { awslogs: { data: gzipFixed(Buffer.from(JSON.stringify(payload))).toString('base64') } };
}

const logFileText = readFileSync(join(awsEvents, 'envelope-cloudtrail-log-file.json'));
writeFileSync(join(awsEvents, 'envelope-cloudtrail-log-file.json.gz'), gzipFixed(logFileText));
console.log('wrote events/aws/envelope-cloudtrail-log-file.json.gz');

const { Records: records } = JSON.parse(logFileText.toString('utf8'));
// The outsider login, the AccessDenied call and the AWS-service call.
const chosen = [records[0], records[2], records[4]];
writeJson(
  'envelope-cloudwatch-logs-subscription.json',
  awslogs({
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: 'aws-cloudtrail-logs-111122223333-5e7a9c1d',
    logStream: '111122223333_CloudTrail_us-east-1',
    subscriptionFilters: ['trailguard-cloudtrail'],
    logEvents: chosen.map((record, i) => ({
      // Real ids are 56-digit decimal strings, beyond Number precision.
      id: `3889${'0'.repeat(40)}${String(71234567890 + i).padStart(12, '0')}`,
      timestamp: Date.parse(record.eventTime) + 41_000,
      message: JSON.stringify(record),
    })),
  }),
);

writeJson(
  'envelope-cloudwatch-logs-control-message.json',
  awslogs({
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [
      {
        id: '',
        timestamp: Date.parse('2026-11-24T12:00:00Z'),
        message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda function.',
      },
    ],
  }),
);
