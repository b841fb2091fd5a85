/**
 * The enrichment (Alert.geo, Alert.accountName) in every channel: the Slack and Teams facts, the Chatbot
 * event's context, the SMS line when it fits, the JSON bodies; roll-ups carrying the first alert's
 * enrichment; trail-integrity's Source line. The organisation and account name are treated as hostile text.
 */
import fc from 'fast-check';
import { describeTrailIntegrityAlert, loadTrailIntegrityConfig } from '../functions/trail-integrity/trail-integrity';
import { unauthorizedApi } from '../functions/unauthorized-api/unauthorized-api';
import type { Alert } from '../shared/alert/alert';
import type { FindingGroup } from '../shared/detect/detector';
import { loadMemoryConfig } from '../shared/memory/memory-config';
import { buildRollUpAlert, flushWindows, type MemoryStage, rememberGroups } from '../shared/memory/memory-stage';
import { createMemoryStore } from '../shared/memory/memory-store';
import type { AlertWindow } from '../shared/memory/state-store';
import { normalizeCloudTrail } from '../shared/normalize';
import { withoutRaw } from '../shared/normalize/trace-event';
import { ConfigProblems } from '../shared/platform/env-config';
import { alertSmsLine, chatbotNotification, SMS_MAX_CHARS, snsMessageStructure } from '../shared/sinks/alert-channels';
import { smnMessageStructure } from '../shared/sinks/smn-message-structure';
import { slackPayload, teamsPayload, webhookBody } from '../shared/sinks/webhook-payloads';
import { fixture } from './support/fixtures';
import { traceEvent } from './support/trace-events';

const GEO = { country: 'US', asn: 15169, org: 'Google LLC' };
/** An organisation name as a hostile or broken database could hold it. */
const HOSTILE_ORG = 'Evil <!channel> <@U123> ```x``` & Co\nSource: 1.2.3.4\u202e';

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    function: 'login-whitelist',
    rule: 'ip-not-whitelisted',
    severity: 'high',
    subject: 'trailguard: login from 8.8.8.8 outside IP whitelist',
    message: 'Illegal operation[IP:8.8.8.8, Action:login]',
    event: withoutRaw(traceEvent({ sourceAddress: '8.8.8.8', sourceIp: '8.8.8.8' })),
    eventIds: ['evt-0001'],
    count: 1,
    dedupId: 'd-1',
    geo: GEO,
    accountName: 'prod-payments',
    ...overrides,
  };
}

/** Slack's facts as `name: value`, the code spans undone. */
function slackFacts(payload: Record<string, unknown>): Record<string, string> {
  const section = (payload.blocks as Array<{ fields?: Array<{ text: string }> }>)[1];
  return Object.fromEntries(
    (section.fields ?? []).map((field) => {
      const [, name, value] = /^\*(.+)\*\n`([\s\S]*)`$/.exec(field.text) as RegExpExecArray;
      return [name, value];
    }),
  );
}

function teamsFacts(payload: Record<string, unknown>): Record<string, string> {
  const body = (payload as any).attachments[0].content.body as Array<{ inlines: Array<{ text: string }> }>;
  const out: Record<string, string> = {};
  for (const block of body.slice(1, -1)) out[block.inlines[0].text.replace(/: $/, '')] = block.inlines[1].text;
  return out;
}

describe('Slack and Teams facts', () => {
  it('show the account name and the source with its country and AS', () => {
    const expected = { Account: '111122223333 (prod-payments)', Source: '8.8.8.8 (US, AS15169 Google LLC)' };
    expect(slackFacts(slackPayload(alert()))).toMatchObject(expected);
    expect(teamsFacts(teamsPayload(alert()))).toMatchObject(expected);
  });

  it('without enrichment: the account id and the bare address, as before', () => {
    const plain = alert({ geo: undefined, accountName: undefined });
    expect(slackFacts(slackPayload(plain))).toMatchObject({ Account: '111122223333', Source: '8.8.8.8' });
    expect(teamsFacts(teamsPayload(plain))).toMatchObject({ Account: '111122223333', Source: '8.8.8.8' });
  });

  it('no Source fact for an event without an IP address', () => {
    const event = withoutRaw(
      traceEvent({ sourceAddress: 'AWS Internal', sourceAddressKind: 'internal', sourceIp: undefined }),
    );
    expect(slackFacts(slackPayload(alert({ event, geo: undefined })))).not.toHaveProperty('Source');
  });

  it('a hostile organisation or account name is shown, never interpreted, and stays on one line', () => {
    const hostile = alert({ geo: { ...GEO, org: HOSTILE_ORG }, accountName: 'prod <!here>\n*x*' });
    const slack = slackFacts(slackPayload(hostile));
    for (const value of [slack.Source, slack.Account]) {
      expect(value).not.toMatch(/[<>\n\u202e]/);
      expect(value).not.toMatch(/`(?!\u200b)/); // every backtick broken, so none closes the code span
      expect(value.length).toBeLessThanOrEqual(200);
    }
    expect(slack.Source).toContain('&lt;!channel&gt;');
    expect(slack.Source).toContain('\\n');
    const teams = teamsFacts(teamsPayload(hostile));
    // Text runs are plain text: no escaping needed beyond one line without bidi controls.
    expect(teams.Source).not.toMatch(/[\n\u202e]/);
    expect(teams.Account).toBe('111122223333 (prod <!here>\\n*x*)');
  });
});

describe('the JSON bodies', () => {
  it('webhook json and the SNS sqs/https/lambda texts carry geo and accountName', () => {
    const bodies = [webhookBody(alert(), 'json'), ...Object.values(snsMessageStructure(alert(), 'text')).slice(3)];
    for (const body of bodies.filter((text) => text.startsWith('{')))
      expect(JSON.parse(body)).toMatchObject({ geo: GEO, accountName: 'prod-payments' });
    const smn = JSON.parse(smnMessageStructure({ message: 'text', subject: alert().subject }, alert()) as string);
    expect(JSON.parse(smn.https)).toMatchObject({ geo: GEO, accountName: 'prod-payments' });
  });
});

describe('the Chatbot notification', () => {
  it('names the account and the source network in additionalContext', () => {
    const { metadata } = JSON.parse(chatbotNotification(alert()));
    expect(metadata.additionalContext).toMatchObject({
      account: '111122223333',
      accountName: 'prod-payments',
      sourceIp: '8.8.8.8',
      country: 'US',
      asn: 'AS15169',
      org: 'Google LLC',
    });
    for (const value of Object.values(metadata.additionalContext)) expect(typeof value).toBe('string');
  });

  it('leaves them out when unknown', () => {
    const { metadata } = JSON.parse(chatbotNotification(alert({ geo: undefined, accountName: undefined })));
    for (const key of ['accountName', 'sourceIp', 'country', 'asn', 'org'])
      expect(metadata.additionalContext).not.toHaveProperty(key);
  });

  it('a hostile organisation makes no mention and no line break', () => {
    const { metadata } = JSON.parse(chatbotNotification(alert({ geo: { ...GEO, org: HOSTILE_ORG } })));
    expect(metadata.additionalContext.org).not.toMatch(/<[!@#]|```|\n|\u202e/);
  });
});

describe('the SMS line', () => {
  it.each([
    ['geo and account name fit', alert(), '[US, AS15169 Google LLC; prod-payments]'],
    ['geo only', alert({ accountName: undefined }), '[US, AS15169 Google LLC]'],
    ['account name only', alert({ geo: undefined }), '[prod-payments]'],
    ['neither', alert({ geo: undefined, accountName: undefined }), ''],
  ])('%s', (_name, a, suffix) => {
    const line = alertSmsLine(a);
    expect(line).toBe(`HIGH: ${a.subject}${suffix ? ` ${suffix}` : ''}`);
  });

  it('drops the organisation, then the account name, when the line would pass 140 characters', () => {
    const subject = `trailguard: ${'x'.repeat(90)}`;
    expect(alertSmsLine(alert({ subject }))).toBe(`HIGH: ${subject} [US, AS15169; prod-payments]`);
    const longer = `trailguard: ${'x'.repeat(100)}`;
    expect(alertSmsLine(alert({ subject: longer }))).toBe(`HIGH: ${longer} [US, AS15169]`);
    const longest = `trailguard: ${'x'.repeat(122)}`;
    expect(alertSmsLine(alert({ subject: longest }))).toBe(`HIGH: ${longest}`);
  });

  it('is the same line in the SNS and the SMN structure', () => {
    const line = alertSmsLine(alert());
    expect(snsMessageStructure(alert(), 'text').sms).toBe(line);
    expect(JSON.parse(smnMessageStructure({ message: 'text', subject: alert().subject }, alert()) as string).sms).toBe(
      line,
    );
  });

  it('stays one line of at most 140 printable ASCII characters whatever the organisation and name', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 160 }),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.option(fc.string({ unit: 'binary', maxLength: 100 }), { nil: undefined }),
        (subject, org, accountName) => {
          const line = alertSmsLine(alert({ subject, geo: { ...GEO, org }, accountName }));
          expect(line.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
          expect(line).toMatch(/^[\x20-\x7e]*$/);
        },
      ),
    );
  });
});

describe('roll-ups', () => {
  const T0 = Date.parse('2026-11-24T10:02:11.000Z');
  const config = unauthorizedApi.loadConfig({});

  function refusal(id: string): FindingGroup {
    const event = traceEvent({
      id,
      service: 'ec2.amazonaws.com',
      action: 'RunInstances',
      category: 'api-call',
      outcome: 'failure',
      sourceAddress: '8.8.8.8',
      sourceIp: '8.8.8.8',
      error: { code: 'Client.UnauthorizedOperation' },
      // As the enrichment stage leaves the first event of each group.
      geo: { ...GEO },
      accountName: 'prod-payments',
    });
    return { rule: 'unauthorized-api-calls', severity: 'high', groupKey: 'k', first: event, eventIds: [id], count: 1 };
  }

  function stage(): MemoryStage {
    const problems = new ConfigProblems();
    const memory = loadMemoryConfig({}, problems);
    const store = createMemoryStore(() => T0);
    return { config: memory, store: async () => store };
  }

  it('carry the first alert’s geo and account name, from the window, to the flush and its channels', async () => {
    const memory = stage();
    const first = await rememberGroups(unauthorizedApi, config, [refusal('evt-1')], memory, T0);
    expect(first.alerts[0]).toMatchObject({ geo: GEO, accountName: 'prod-payments' });
    await rememberGroups(unauthorizedApi, config, [refusal('evt-2')], memory, T0 + 1_000);
    const { alerts } = await flushWindows('unauthorized-api', memory, T0 + 15 * 60_000);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ count: 1, geo: GEO, accountName: 'prod-payments' });
    expect(slackFacts(slackPayload(alerts[0]))).toMatchObject({ Source: '8.8.8.8 (US, AS15169 Google LLC)' });
    expect(JSON.parse(webhookBody(alerts[0], 'json'))).toMatchObject({ geo: GEO, accountName: 'prod-payments' });
  });

  it('the roll-up sent by the next add after the window carries them too', async () => {
    const memory = stage();
    await rememberGroups(unauthorizedApi, config, [refusal('evt-1')], memory, T0);
    await rememberGroups(unauthorizedApi, config, [refusal('evt-2')], memory, T0 + 1_000);
    const next = await rememberGroups(unauthorizedApi, config, [refusal('evt-3')], memory, T0 + 16 * 60_000);
    expect(next.rollUps.map((entry) => entry.alert)).toEqual([
      expect.objectContaining({ count: 1, geo: GEO, accountName: 'prod-payments' }),
    ]);
  });

  it('a window stored before (no enrichment) or holding odd values gives a roll-up without them', () => {
    const window = (sample: Record<string, unknown>): AlertWindow => ({
      start: T0,
      end: T0 + 900_000,
      threshold: 1,
      count: 2,
      alerted: 1,
      ids: ['evt-1', 'evt-2'],
      sample: {
        function: 'unauthorized-api',
        rule: 'unauthorized-api-calls',
        severity: 'high',
        subject: 'trailguard: x',
        event: withoutRaw(traceEvent()),
        ...sample,
      } as AlertWindow['sample'],
    });
    const rollUp = { count: 1, ids: ['evt-2'] };
    const old = buildRollUpAlert('w|unauthorized-api|k', window({}), rollUp);
    expect(old).not.toHaveProperty('geo');
    expect(old).not.toHaveProperty('accountName');
    const odd = buildRollUpAlert('w|unauthorized-api|k', window({ geo: { asn: '1', org: 7 }, accountName: 3 }), rollUp);
    expect(odd).not.toHaveProperty('geo');
    expect(odd).not.toHaveProperty('accountName');
    const partial = buildRollUpAlert('w|unauthorized-api|k', window({ geo: { country: 'DE', asn: 'x' } }), rollUp);
    expect(partial.geo).toEqual({ country: 'DE' });
  });
});

describe('trail-integrity', () => {
  it('writes Source: with the country and AS, as the other functions do', () => {
    const event = normalizeCloudTrail({ ...(fixture('aws/cloudtrail-stop-logging.json') as object) });
    event.sourceAddress = '8.8.8.8';
    event.sourceAddressKind = 'ipv4';
    event.sourceIp = '8.8.8.8';
    event.geo = { ...GEO };
    const group: FindingGroup = {
      rule: 'cloudtrail-logging-stopped',
      severity: 'critical',
      groupKey: 'k',
      first: event,
      eventIds: [event.id],
      count: 1,
    };
    const { message } = describeTrailIntegrityAlert(group, loadTrailIntegrityConfig({}));
    expect(message).toContain('\nSource: 8.8.8.8 (US, AS15169 Google LLC)\n');
    delete event.geo;
    expect(describeTrailIntegrityAlert(group, loadTrailIntegrityConfig({})).message).toContain('\nSource: 8.8.8.8\n');
  });

  it('a non-IP source keeps the provider’s text, marked as such', () => {
    const event = normalizeCloudTrail({
      ...(fixture('aws/cloudtrail-stop-logging.json') as object),
      sourceIPAddress: 'cloudtrail.amazonaws.com',
    });
    const group: FindingGroup = {
      rule: 'cloudtrail-logging-stopped',
      severity: 'critical',
      groupKey: 'k',
      first: event,
      eventIds: [event.id],
      count: 1,
    };
    expect(describeTrailIntegrityAlert(group, loadTrailIntegrityConfig({})).message).toMatch(
      /\nSource: cloudtrail\.amazonaws\.com \(\w+: not an IP address\)\n/,
    );
  });
});
