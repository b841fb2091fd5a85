/**
 * The per-channel texts: the SMS line (one line, printable ASCII, at most 140 characters, whatever the
 * alert holds), the SNS per-protocol structure and its size fallback, and the Chatbot event's escaping.
 */
import fc from 'fast-check';
import type { Alert } from '../shared/alert/alert';
import { withoutRaw } from '../shared/normalize/trace-event';
import {
  alertSmsLine,
  CHATBOT_DESCRIPTION_MAX_CHARS,
  chatbotNotification,
  neutralizeChatMarkdown,
  SMS_MAX_CHARS,
  snsMessageStructure,
} from '../shared/sinks/alert-channels';
import { snsMessageFor } from '../shared/sinks/sns-sink';
import { traceEvent } from './support/trace-events';

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    function: 'unauthorized-api',
    rule: 'cis-3.1-unauthorized-api-calls',
    severity: 'medium',
    subject: 'trailguard: AccessDenied on s3:GetObject by alice',
    message: 'Unauthorized API call\nPrincipal: alice',
    event: withoutRaw(traceEvent()),
    eventIds: ['evt-0001'],
    count: 3,
    dedupId: 'd-1',
    ...overrides,
  };
}

describe('the SMS line', () => {
  it.each([
    ['severity and subject', alert(), 'MEDIUM: trailguard: AccessDenied on s3:GetObject by alice'],
    ['no subject: the first message line', alert({ subject: '' }), 'MEDIUM: Unauthorized API call'],
    ['line breaks become spaces', alert({ subject: 'a\r\nb\u2028c' }), 'MEDIUM: a b c'],
    ['non-ASCII becomes ?', alert({ subject: 'login by Jürgen 🚀' }), 'MEDIUM: login by J?rgen ?'],
  ])('%s', (_, a, line) => expect(alertSmsLine(a)).toBe(line));

  it('a long subject is cut to 140 characters, ending in ...', () => {
    const line = alertSmsLine(alert({ subject: 'x'.repeat(500) }));
    expect(line).toHaveLength(SMS_MAX_CHARS);
    expect(line.endsWith('...')).toBe(true);
  });

  it('is always one line of at most 140 printable ASCII characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (subject, message) => {
        const line = alertSmsLine(alert({ subject, message }));
        expect(line.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
        expect(line).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });
});

describe('the SNS structure', () => {
  it('has a default and a text per protocol; machines get the alert JSON', () => {
    const structure = snsMessageStructure(alert(), alert().message);
    expect(structure.default).toBe(alert().message);
    expect(JSON.parse(structure.sqs)).toMatchObject({ rule: 'cis-3.1-unauthorized-api-calls', count: 3 });
    expect(structure.lambda).toBe(structure.sqs);
  });

  it('falls back to the plain text when the structure would pass 256 KiB', () => {
    const big = alert({ message: 'y'.repeat(100_000) });
    expect(snsMessageFor(big, 'structured')).toEqual({ Message: big.message });
    expect(snsMessageFor(alert(), 'structured').MessageStructure).toBe('json');
  });

  it('keeps every text well-formed (a lone surrogate is escaped, not sent)', () => {
    const { Message } = snsMessageFor(alert({ message: 'bad \ud800 text' }), 'structured');
    expect(Message).not.toMatch(/[\ud800-\udfff]/);
    expect(JSON.parse(Message).default).toContain('\\ud800');
  });
});

describe('the Chatbot custom notification', () => {
  it('neutralizes mentions and code fences', () => {
    expect(neutralizeChatMarkdown('<!channel> <@U1> <#C1> ```x```')).toBe(
      '<\u200b!channel> <\u200b@U1> <\u200b#C1> `\u200b`\u200b`x`\u200b`\u200b`',
    );
  });

  it('the alert text cannot leave its code block, and a huge text is capped', () => {
    const event = JSON.parse(chatbotNotification(alert({ message: `\`\`\`\n<!here> *x*\n${'z'.repeat(20_000)}` })));
    expect(event.content.description.startsWith('```\n')).toBe(true);
    expect(event.content.description.match(/```/g)).toHaveLength(2);
    expect(event.content.description).not.toContain('<!here>');
    expect(event.content.description.length).toBeLessThanOrEqual(CHATBOT_DESCRIPTION_MAX_CHARS + 40);
    expect(event.content.title).toMatch(/^:warning: /);
    expect(event.metadata.additionalContext.count).toBe('3');
  });
});
