/**
 * One alert, rendered for each kind of subscriber: the full text for e-mail, one short line for SMS,
 * the alert as JSON for machines (SQS, Lambda, HTTP(S)), and the AWS Chatbot (Amazon Q Developer in
 * chat applications) custom-notification event for chat channels. Pure: the sinks call these.
 */
import type { Alert } from '../alert/alert';
import { inlineValue } from '../alert/alert-text';
import { formatGeo } from '../enrich/geo';
import { alertJsonLine } from './stdout-sink';

/** How an alert is written to a topic: `text` (one message for everyone), `structured` (per protocol), `chatbot`. */
export const TOPIC_FORMATS = ['text', 'structured', 'chatbot'] as const;
export type TopicFormat = (typeof TOPIC_FORMATS)[number];

/** The longest SMS line: 140 characters of printable ASCII stay one GSM-7 SMS on every carrier. */
export const SMS_MAX_CHARS = 140;

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]+/g;

/**
 * One line of at most 140 printable ASCII characters: `HIGH: <subject>`, then the enrichment in brackets
 * as far as it fits (never cutting the subject for it). Anything else (line breaks, non-ASCII) becomes a
 * space or `?`, so the line never splits into several SMS.
 */
export function alertSmsLine(
  alert: Pick<Alert, 'severity' | 'subject' | 'message'> & Partial<Pick<Alert, 'geo' | 'accountName'>>,
): string {
  const subject = alert.subject.trim() || alert.message.split('\n')[0] || '(empty alert)';
  const line = smsText(`${alert.severity.toUpperCase()}: ${subject}`);
  if (line.length > SMS_MAX_CHARS) return `${line.slice(0, SMS_MAX_CHARS - 3)}...`;
  // The enrichment when it fits, richest first: `[US, AS15169 Google LLC; prod-payments]`, then less of it.
  for (const extra of smsExtras(alert)) {
    const longer = `${line} [${smsText(extra)}]`;
    if (longer.length <= SMS_MAX_CHARS) return longer;
  }
  return line;
}

function smsText(text: string): string {
  return text
    .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
    .replace(NOT_PRINTABLE_ASCII, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
}

function smsExtras({ geo, accountName }: Partial<Pick<Alert, 'geo' | 'accountName'>>): string[] {
  const full = formatGeo(geo);
  const short = formatGeo(geo && { country: geo.country, asn: geo.asn });
  const candidates = accountName
    ? [full && `${full}; ${accountName}`, short && `${short}; ${accountName}`, full, short, geo?.country, accountName]
    : [full, short, geo?.country];
  return candidates.filter((text): text is string => typeof text === 'string' && text.trim() !== '');
}

/**
 * SNS `MessageStructure: json` (SNS API reference, Publish): a `default` text and one per protocol. SNS requires
 * `default`; protocols not named get it. Machines get the alert as JSON (the `replay --json` line).
 */
export interface SnsMessageStructure {
  default: string;
  email: string;
  'email-json': string;
  sms: string;
  sqs: string;
  lambda: string;
  http: string;
  https: string;
  firehose: string;
}

export function snsMessageStructure(alert: Alert, text: string): SnsMessageStructure {
  const json = alertJsonLine(alert);
  return {
    default: text,
    email: text,
    'email-json': json,
    sms: alertSmsLine(alert),
    sqs: json,
    lambda: json,
    http: json,
    https: json,
    firehose: json,
  };
}

/** Our own caps for the chat event (the Chatbot guide gives none we could find): a chat message stays readable. */
export const CHATBOT_TITLE_MAX_CHARS = 250;
export const CHATBOT_DESCRIPTION_MAX_CHARS = 8_000;

const SEVERITY_EMOJI = {
  low: ':information_source:',
  medium: ':warning:',
  high: ':rotating_light:',
  critical: ':rotating_light:',
} as const;

/**
 * Text that goes into a chat platform's markdown as it is: no mention (`<!channel>`, `<@U…>`) and no
 * way out of the code block the description sits in. A zero-width space breaks each such sequence.
 */
export function neutralizeChatMarkdown(text: string): string {
  return text.replace(/<([!@#])/g, '<\u200b$1').replace(/```/g, '`\u200b`\u200b`');
}

function cutChars(text: string, max: number, marker = '…'): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - marker.length).join('') + marker;
}

/**
 * The custom-notification event AWS Chatbot (Amazon Q Developer in chat applications) renders when it
 * arrives on an SNS topic mapped to a chat channel. Schema from the Amazon Q Developer admin guide,
 * "Custom notifications" (docs/alert-routing.md quotes it): `version` "1.0" and `source` "custom" are
 * required; `content.textType` "client-markdown" is the only text type. The alert text goes into a
 * code block, so nothing in an event field is rendered as markdown or as a mention.
 */
export function chatbotNotification(alert: Alert): string {
  const eventId = alert.eventIds[0] ?? alert.event.id;
  const title = cutChars(
    neutralizeChatMarkdown(`${SEVERITY_EMOJI[alert.severity] ?? ''} ${alert.subject || alert.rule}`.trim()),
    CHATBOT_TITLE_MAX_CHARS,
  );
  const body = cutChars(alert.message, CHATBOT_DESCRIPTION_MAX_CHARS - 8, '\n…[truncated]');
  return JSON.stringify({
    version: '1.0',
    source: 'custom',
    id: alert.dedupId,
    content: {
      textType: 'client-markdown',
      title,
      description: `\`\`\`\n${neutralizeChatMarkdown(body)}\n\`\`\``,
      keywords: [alert.severity, alert.function, alert.rule].map((word) => cutChars(word, 75)),
    },
    metadata: {
      // One thread per rule and first event: a roll-up of the same events lands under its first alert.
      threadId: cutChars(`${alert.function}/${alert.rule}`, 128),
      summary: cutChars(alert.subject || alert.rule, CHATBOT_TITLE_MAX_CHARS),
      eventType: alert.rule,
      additionalContext: {
        function: alert.function,
        rule: alert.rule,
        severity: alert.severity,
        count: String(alert.count),
        ...(eventId ? { eventId: cutChars(eventId, 256) } : {}),
        ...(alert.event.account ? { account: alert.event.account } : {}),
        ...(alert.event.region ? { region: alert.event.region } : {}),
        ...chatbotEnrichment(alert),
      },
    },
  });
}

/** additionalContext for the enrichment: the org and account name are a database's or a trace's text. */
function chatbotEnrichment(alert: Alert): Record<string, string> {
  const out: Record<string, string> = {};
  const text = (value: string, max: number) => cutChars(neutralizeChatMarkdown(inlineValue(value, max)), max);
  if (alert.accountName) out.accountName = text(alert.accountName, 256);
  if (alert.event.sourceIp !== undefined && alert.geo) out.sourceIp = alert.event.sourceIp;
  if (alert.geo?.country) out.country = text(alert.geo.country, 8);
  if (alert.geo?.asn !== undefined) out.asn = `AS${alert.geo.asn}`;
  if (alert.geo?.org) out.org = text(alert.geo.org, 256);
  return out;
}
