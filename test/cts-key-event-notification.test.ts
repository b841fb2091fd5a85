/**
 * CTS key event notifications (CTS → SMN topic → FunctionGraph SMN trigger), the second path next to
 * the CTS trigger and the only one on Flexible Engine. The notification body is not documented, so
 * every plausible shape is read: the trace itself as the SMN message, the trace wrapped as the CTS
 * trigger wraps it (`{"cts": …}`), a trace list. Anything else (text, JSON without a trace, a trace
 * JSON-encoded twice) is rejected with a reason, never guessed into an alert or dropped silently.
 */
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import type { Detector } from '../shared/detect/detector';
import { DetectionRun } from '../shared/pipeline';
import { fixture } from './support/fixtures';

const forbidden = fixture('huaweicloud/cts-api-call-forbidden.json') as Record<string, unknown>;
const login = fixture('huaweicloud/cts-login-outside-ip.json') as Record<string, unknown>;

/** The FunctionGraph SMN trigger event (huawei-facts.md §2) with this message text. */
function smnTrigger(message: string): unknown {
  return {
    record: [
      {
        event_version: '1.0',
        smn: {
          topic_urn: 'urn:smn:eu-west-0:0a1b2c3d4e5f60718293a4b5c6d7e8f9:trailguard-cts-events',
          timestamp: '2026-12-01T20:00:00Z',
          message_attributes: null,
          message,
          type: 'notification',
          message_id: 'a51671f77d4a479cacb09e2cd591a983',
          subject: 'CTS key event notification',
        },
        event_subscription_urn: 'urn:fss:eu-west-0:0a1b2c3d4e5f60718293a4b5c6d7e8f9:function:default:trailguard:latest',
        event_source: 'smn',
      },
    ],
    functionname: 'trailguard',
    requestId: '7c307f6a-cf68-4e65-8be0-4c77405a1b2c',
    timestamp: 'Tue Dec 01 2026 20:00:00 GMT+0000 (UTC)',
  };
}

async function run<C>(detector: Detector<C>, env: Record<string, string>, event: unknown) {
  const config = detector.loadConfig(env);
  const run = new DetectionRun(detector, config, {});
  await run.ingest(event, 'event');
  return { alerts: run.alerts(), rejected: run.stats.rejections };
}

describe.each([
  ['the trace as the message', (trace: unknown) => JSON.stringify(trace)],
  ['the trace wrapped as the CTS trigger wraps it', (trace: unknown) => JSON.stringify({ cts: trace })],
  ['a trace list', (trace: unknown) => JSON.stringify({ traces: [trace] })],
])('a key event notification holding %s', (_shape, encode) => {
  it('raises the unauthorized-api alert for a refused call', async () => {
    const { alerts, rejected } = await run(unauthorizedApi, {}, smnTrigger(encode(forbidden)));
    expect(rejected).toEqual([]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].rule).toBe('cts-unauthorized-api-call');
  });

  it('raises the login-whitelist alert for a login from outside the whitelist', async () => {
    const { alerts, rejected } = await run(
      loginWhitelist,
      { IP_WHITELIST: '203.0.113.0/24' },
      smnTrigger(encode(login)),
    );
    expect(rejected).toEqual([]);
    expect(alerts).toHaveLength(1);
  });
});

describe('a key event notification that holds no trace', () => {
  it.each([
    ['plain text', 'User alice performed createUser at 2026-12-01 20:00:00'],
    ['an empty message', ''],
    ['JSON without a trace', '{"notification_name":"keyOperate_info","message":"no trace here"}'],
    ['a trace JSON-encoded twice', JSON.stringify(JSON.stringify(forbidden))],
  ])('%s is rejected with its position and a reason, never alerted on', async (_what, message) => {
    const { alerts, rejected } = await run(unauthorizedApi, {}, smnTrigger(message));
    expect(alerts).toEqual([]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].position).toMatch(/^event\.record\[0\]\.smn\.message/);
    expect(rejected[0].reason.length).toBeGreaterThan(0);
  });
});
