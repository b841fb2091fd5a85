/**
 * Forged EventBridge events (issue #10 item 6): anyone with events:PutEvents on the default bus can send
 * an event with a CloudTrail or Config detail-type from their own source. Only AWS services can use an
 * `aws.*` source, so such an event is rejected by the envelope code (here, and in the built Lambda
 * bundles) as well as filtered by every rule of serverless.yml (test/serverless.test.ts).
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { join } from 'node:path';
import { unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import { fixture } from './support/fixtures';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
type Json = Record<string, unknown>;

const SAMPLES: Array<[fn: string, path: string]> = [
  ['unauthorized-api', 'aws/envelope-eventbridge-api-call-access-denied.json'],
  ['login-whitelist', 'aws/envelope-eventbridge-console-signin.json'],
  ['login-whitelist', 'aws/envelope-eventbridge-console-signin-alt-spelling.json'],
  ['config-compliance', 'aws/envelope-config-compliance-change-eventbridge.json'],
];
const FORGED_SOURCES: unknown[] = ['com.attacker.app', 'aws', 'AWS.ec2', 'awsx.iam', ' aws.iam', '', 42, null, {}];

describe('the envelope code', () => {
  it.each(SAMPLES)('%s: %s from its aws.* source is read', (_fn, path) => {
    const items = unwrapEnvelope(fixture(path), 'event');
    expect(items.map((item) => item.type)).toEqual(['record']);
  });

  it.each(SAMPLES)('%s: %s from any other source is rejected with a clear reason', (_fn, path) => {
    const genuine = fixture(path) as Json;
    for (const source of FORGED_SOURCES) {
      const items = unwrapEnvelope({ ...genuine, source }, 'event');
      expect({ source, items }).toEqual({
        source,
        items: [
          {
            type: 'rejected',
            position: 'event',
            recordId: genuine.id,
            reason: expect.stringMatching(/event whose source is .*: only AWS services \(source aws\.\*\) send these/),
          },
        ],
      });
    }
  });

  it('also inside SNS and SQS envelopes, and next to genuine events of the same batch', () => {
    const genuine = fixture('aws/envelope-eventbridge-api-call-access-denied.json') as Json;
    const forged = { ...genuine, id: 'forged-1', source: 'com.attacker.app' };
    const sqs = {
      Records: [
        { eventSource: 'aws:sqs', messageId: 'm-1', body: JSON.stringify(forged) },
        { eventSource: 'aws:sqs', messageId: 'm-2', body: JSON.stringify(genuine) },
      ],
    };
    expect(unwrapEnvelope(sqs, 'event').map((item) => item.type)).toEqual(['rejected', 'record']);
    const sns = {
      Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', Message: JSON.stringify(forged) } }],
    };
    expect(unwrapEnvelope(sns, 'event')).toEqual([expect.objectContaining({ type: 'rejected', recordId: 'forged-1' })]);
  });

  it('property: any source outside aws.* is rejected, any aws.* source is read, for every CloudTrail and Config detail-type', () => {
    const genuine = fixture('aws/envelope-eventbridge-api-call-access-denied.json') as Json;
    const detailTypes = [
      'AWS API Call via CloudTrail',
      'AWS Console Sign In via CloudTrail',
      'AWS Console Signin via CloudTrail',
      'AWS Service Event via CloudTrail',
      'Config Rules Compliance Change',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...detailTypes),
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('aws', 'AWS.iam', 'aws-iam', 'aws_.x')),
        (detailType, source) => {
          const forged = source.startsWith('aws.');
          const items = unwrapEnvelope({ ...genuine, 'detail-type': detailType, source }, 'event');
          return forged
            ? items.every((item) => item.type !== 'rejected' || !/only AWS services/.test(item.reason))
            : items.length === 1 && items[0].type === 'rejected' && /only AWS services/.test(items[0].reason);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...detailTypes), fc.string(), (detailType, rest) => {
        const items = unwrapEnvelope({ ...genuine, 'detail-type': detailType, source: `aws.${rest}` }, 'event');
        return items.length === 1 && items[0].type === 'record';
      }),
      { numRuns: 200 },
    );
  });

  it('other detail-types are skipped as before, whatever their source', () => {
    expect(
      unwrapEnvelope({ 'detail-type': 'Scheduled Event', source: 'com.example', detail: {} }, 'event').map(
        (item) => item.type,
      ),
    ).toEqual(['skipped']);
  });
});

describe('the built Lambda bundles', () => {
  beforeAll(() => {
    const build = buildBundles();
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  }, 120_000);

  /** Cold-starts dist/aws/<fn>.js in a child process and invokes it once per event; the results. */
  function invokeBundle(fn: string, events: unknown[]): Array<{ alerts: number; rejected: number; records: number }> {
    const script = `
      const { pathToFileURL } = require('node:url');
      (async () => {
        const { handler } = await import(pathToFileURL(process.argv[1]).href);
        const out = [];
        for (const event of JSON.parse(process.env.EVENTS)) {
          const { alerts, rejected, records } = await handler(event, { awsRequestId: 'r-1' });
          out.push({ alerts, rejected, records });
        }
        process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');
      })();`;
    const child = spawnSync(process.execPath, ['-e', script, join(ROOT, 'dist', 'aws', `${fn}.js`)], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        ALERT_SINK: 'stdout',
        IP_WHITELIST: '10.99.0.0/16',
        NOTIFY_ON: 'NON_COMPLIANT',
        METRIC_MODE: 'emf',
        LOG_LEVEL: 'warn',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        EVENTS: JSON.stringify(events),
      },
    });
    const line = child.stdout.split('\n').find((text) => text.startsWith('RESULT '));
    if (child.status !== 0 || !line)
      throw new Error(`bundle ${fn} failed (${child.status}):\n${child.stdout}${child.stderr}`);
    return JSON.parse(line.slice('RESULT '.length));
  }

  it.each(SAMPLES)('%s: %s alerts from aws.*, and is rejected from com.attacker.app', (fn, path) => {
    const genuine = fixture(path) as Json;
    const [real, forged] = invokeBundle(fn, [genuine, { ...genuine, source: 'com.attacker.app' }]);
    expect(real).toMatchObject({ rejected: 0 });
    expect(real.alerts).toBeGreaterThan(0);
    expect(forged).toEqual({ alerts: 0, rejected: 1, records: expect.any(Number) });
  });
});
