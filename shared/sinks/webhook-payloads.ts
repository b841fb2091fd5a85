/**
 * The bodies a webhook sink posts: a Slack incoming-webhook message with blocks, a Teams Workflows
 * (Power Automate "When a Teams webhook request is received") message with an Adaptive Card, or the
 * plain alert JSON. Alert text is attacker-influenced (user names, user agents): it is escaped so it
 * is shown, never interpreted (no mention, no link, no formatting). Pure.
 */
import type { Alert } from '../alert/alert';
import { inlineValue } from '../alert/alert-text';
import { formatGeo } from '../enrich/geo';
import { alertJsonLine } from './stdout-sink';

export const WEBHOOK_FORMATS = ['slack', 'teams', 'json'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Slack: a section's text is at most 3000 characters, a header's 150, a message at most 50 blocks. */
const SLACK_SECTION_MAX_CHARS = 3_000;
const SLACK_HEADER_MAX_CHARS = 150;
/** Our cap on the sections the message text takes (the rest of the 50 blocks is headroom). */
const SLACK_MESSAGE_SECTIONS = 10;
/** Teams Workflows take about 28 KB per message: the card's text stays well below. */
const TEAMS_TEXT_MAX_CHARS = 20_000;
const TRUNCATED = '…[truncated]';

/**
 * Slack mrkdwn: `&`, `<` and `>` are the only characters Slack asks to escape (mentions and links
 * live inside `<…>`). Inside a code block that is all: formatting is off there, and a zero-width space
 * keeps a ``` in the text from closing the block.
 */
export function escapeSlackMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackCode(text: string): string {
  return escapeSlackMrkdwn(text).replace(/`/g, '`\u200b');
}

/** Splits text into pieces of at most `max` characters (UTF-16 units), never inside a surrogate pair or an entity. */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = max;
    const breakAt = rest.lastIndexOf('\n', max);
    if (breakAt > max / 2) cut = breakAt + 1;
    const amp = rest.lastIndexOf('&', cut - 1);
    if (amp > cut - 6 && !rest.slice(amp, cut).includes(';')) cut = amp;
    if (/[\ud800-\udbff]/.test(rest[cut - 1] ?? '')) cut -= 1;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

function cutChars(text: string, max: number, marker = TRUNCATED): string {
  if (text.length <= max) return text;
  let cut = max - marker.length;
  if (/[\ud800-\udbff]/.test(text[cut - 1] ?? '')) cut -= 1;
  return text.slice(0, cut) + marker;
}

function facts(alert: Alert): [string, string][] {
  const eventId = alert.eventIds[0] ?? alert.event.id;
  const source = sourceFact(alert);
  return [
    ['Severity', alert.severity],
    ['Rule', alert.rule],
    ['Function', alert.function],
    ['Events', String(alert.count)],
    ...(eventId ? ([['Event id', eventId]] as [string, string][]) : []),
    ...(alert.event.account ? ([['Account', accountFact(alert, alert.event.account)]] as [string, string][]) : []),
    ...(alert.event.region ? ([['Region', alert.event.region]] as [string, string][]) : []),
    ...(source ? ([['Source', source]] as [string, string][]) : []),
  ].map(([name, value]) => [name, cutChars(value, 200, '…')]);
}

/** `111122223333 (prod-payments)`: the name is a trace's or a database's text, so escaped to one line. */
function accountFact(alert: Alert, account: string): string {
  return alert.accountName ? `${account} (${inlineValue(alert.accountName, 100)})` : account;
}

/** `8.8.8.8 (US, AS15169 Google LLC)` when the enrichment found the address; the org is escaped to one line. */
function sourceFact(alert: Alert): string | undefined {
  const ip = alert.event.sourceIp;
  if (ip === undefined) return undefined;
  const geo = formatGeo(alert.geo);
  return geo ? `${ip} (${inlineValue(geo, 150)})` : ip;
}

/** Slack incoming webhook: `text` is the notification fallback; blocks show a header, the facts and the text. */
export function slackPayload(alert: Alert): Record<string, unknown> {
  const code = slackCode(alert.message);
  // Each section holds a whole code block; chunks are cut before escaping could push one over 3000.
  const budget = SLACK_SECTION_MAX_CHARS - 8;
  let pieces = chunks(code, budget);
  if (pieces.length > SLACK_MESSAGE_SECTIONS) {
    pieces = pieces.slice(0, SLACK_MESSAGE_SECTIONS);
    pieces[pieces.length - 1] = cutChars(pieces[pieces.length - 1], budget, TRUNCATED);
  }
  const header = cutChars(alert.subject || alert.rule, SLACK_HEADER_MAX_CHARS, '…');
  return {
    text: escapeSlackMrkdwn(cutChars(alert.subject || alert.rule, 300, '…')),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: header, emoji: false } },
      {
        type: 'section',
        fields: facts(alert).map(([name, value]) => ({
          type: 'mrkdwn',
          text: `*${name}*\n\`${slackCode(value)}\``,
        })),
      },
      ...pieces.map((piece) => ({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${piece}\`\`\`` } })),
    ],
  };
}

/** Adaptive Card text runs are plain text (no markdown), unlike TextBlock: nothing in them is interpreted. */
function textRun(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'TextRun', text, ...extra };
}

/**
 * Teams Workflows: a message with one Adaptive Card attachment. The alert's words go into RichTextBlock
 * text runs, which Teams shows as they are (TextBlock would read them as markdown).
 */
export function teamsPayload(alert: Alert): Record<string, unknown> {
  const lines = cutChars(alert.message, TEAMS_TEXT_MAX_CHARS).split('\n');
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            {
              type: 'RichTextBlock',
              inlines: [
                textRun(cutChars(alert.subject || alert.rule, 300, '…'), {
                  weight: 'Bolder',
                  size: 'Medium',
                  color: alert.severity === 'high' || alert.severity === 'critical' ? 'Attention' : 'Warning',
                }),
              ],
            },
            ...facts(alert).map(([name, value]) => ({
              type: 'RichTextBlock',
              spacing: 'None',
              inlines: [textRun(`${name}: `, { weight: 'Bolder' }), textRun(value, { fontType: 'Monospace' })],
            })),
            {
              type: 'RichTextBlock',
              separator: true,
              inlines: lines.map((line, index) =>
                textRun(index < lines.length - 1 ? `${line}\n` : line, { fontType: 'Monospace', size: 'Small' }),
              ),
            },
          ],
        },
      },
    ],
  };
}

/** The request body for a format. */
export function webhookBody(alert: Alert, format: WebhookFormat): string {
  if (format === 'slack') return JSON.stringify(slackPayload(alert));
  if (format === 'teams') return JSON.stringify(teamsPayload(alert));
  return alertJsonLine(alert);
}
