/**
 * SMN per-protocol messages: e-mail the full text, SMS one short line, HTTP(S) the alert as JSON,
 * sent as `message_structure` next to `message`, and checked by the local SMN endpoint (SMN.0021 for
 * a malformed structure).
 */
import type { Alert } from '../shared/alert/alert';
import { withoutRaw } from '../shared/normalize/trace-event';
import { createSmnSink, SMN_MESSAGE_MAX_BYTES } from '../shared/sinks/smn-sink';
import { smnMessageStructure, withMessageStructure } from '../shared/sinks/smn-message-structure';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { traceEvent } from './support/trace-events';

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOPIC = `urn:smn:eu-de:${PROJECT}:trailguard_alerts`;
const TOKEN = 'MIIZfake-token-for-structure-tests';

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    function: 'login-whitelist',
    rule: 'ip-not-whitelisted',
    severity: 'high',
    subject: 'trailguard: login from 10.65.56.139 outside IP whitelist',
    message: 'Illegal operation[IP:10.65.56.139, Action:login]\nA login came from an address outside the IP whitelist.',
    event: withoutRaw(traceEvent()),
    eventIds: ['evt-0001'],
    count: 1,
    dedupId: 'ip-not-whitelisted:evt-0001',
    ...overrides,
  };
}

let server: SmnServer;
beforeAll(async () => {
  server = await startSmnServer({ token: TOKEN });
});
afterAll(async () => server?.close());
beforeEach(() => {
  server.published.length = 0;
});

describe('the message structure', () => {
  it('gives e-mail and default the full text, SMS the severity and subject on one line, HTTP(S) the alert as JSON', () => {
    const a = alert();
    const structure = JSON.parse(smnMessageStructure({ subject: a.subject, message: a.message }, a) as string);
    expect(Object.keys(structure).sort()).toEqual(['default', 'email', 'http', 'https', 'sms']);
    expect(structure.default).toBe(a.message);
    expect(structure.email).toBe(a.message);
    expect(structure.sms).toBe(`HIGH: ${a.subject}`);
    expect(structure.https).toBe(structure.http);
    expect(JSON.parse(structure.http)).toMatchObject({
      function: 'login-whitelist',
      rule: 'ip-not-whitelisted',
      severity: 'high',
      count: 1,
      eventIds: ['evt-0001'],
      message: a.message,
    });
  });

  it('without a subject, SMS gets the first line of the message', () => {
    const a = alert();
    const structure = JSON.parse(smnMessageStructure({ message: a.message }, a) as string);
    expect(structure.sms).toBe('HIGH: Illegal operation[IP:10.65.56.139, Action:login]');
  });

  it('is left out when it would pass 256 KB, so the plain message still goes', () => {
    const big = 'x'.repeat(SMN_MESSAGE_MAX_BYTES - 10);
    const a = alert({ message: big });
    expect(withMessageStructure({ subject: a.subject, message: big }, a)).toEqual({ subject: a.subject, message: big });
  });
});

describe('the SMN sink sends it', () => {
  it('the local SMN endpoint accepts the body and the structure holds each protocol text', async () => {
    const sink = createSmnSink({ endpoint: server.url, projectId: PROJECT, topicUrn: TOPIC, auth: { token: TOKEN } });
    await sink.publish(alert());
    const [published] = server.published;
    expect(published.message).toMatch(/^Illegal operation/);
    expect(published.messageStructure?.sms).toBe('HIGH: trailguard: login from 10.65.56.139 outside IP whitelist');
    expect(JSON.parse(published.messageStructure?.https as string).rule).toBe('ip-not-whitelisted');
  });

  it('ALERT_FORMAT=text (structured: false) sends the plain message only', async () => {
    const sink = createSmnSink({
      endpoint: server.url,
      projectId: PROJECT,
      topicUrn: TOPIC,
      auth: { token: TOKEN },
      structured: false,
    });
    await sink.publish(alert());
    const [published] = server.published;
    expect(published.message).toMatch(/^Illegal operation/);
    expect(published.messageStructure).toBeUndefined();
  });
});
