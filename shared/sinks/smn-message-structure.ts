/**
 * SMN per-protocol messages (`message_structure`, huawei-facts.md §5): e-mail subscribers get the full
 * text, SMS subscribers one short line, HTTP(S) subscribers the alert as JSON (the shape of
 * `trailguard replay --json`). SMN picks `message_structure` over `message`; `message` stays in the
 * body as well, so an endpoint that ignores the structure still gets the text.
 */
import type { Alert } from '../alert/alert';
import { alertSmsLine } from './alert-channels';
import { alertJsonLine } from './stdout-sink';

/** "the whole JSON ≤ 256 KB": read as 256,000 bytes, as for `message`. */
export const SMN_MESSAGE_STRUCTURE_MAX_BYTES = 256_000;

export interface SmnMessageStructure {
  default: string;
  email: string;
  sms: string;
  http: string;
  https: string;
}

/**
 * The `message_structure` string for an alert, or undefined when it would pass SMN's size limit (the
 * plain `message` then goes alone). The SMS text is the same one line as on SNS (alert-channels.ts):
 * severity and subject, printable ASCII, at most 140 characters, so one SMS on every Huawei-stack cloud.
 */
export function smnMessageStructure(body: { subject?: string; message: string }, alert: Alert): string | undefined {
  const json = alertJsonLine(alert);
  const structure: SmnMessageStructure = {
    default: body.message,
    email: body.message,
    sms: alertSmsLine({
      severity: alert.severity,
      subject: body.subject ?? '',
      message: body.message,
      geo: alert.geo,
      accountName: alert.accountName,
    }),
    http: json,
    https: json,
  };
  const text = JSON.stringify(structure);
  return Buffer.byteLength(text) <= SMN_MESSAGE_STRUCTURE_MAX_BYTES ? text : undefined;
}

/** The publish body with `message_structure` added when it fits. */
export function withMessageStructure<B extends { subject?: string; message: string }>(
  body: B,
  alert: Alert,
): B & { message_structure?: string } {
  const structure = smnMessageStructure(body, alert);
  return structure === undefined ? body : { ...body, message_structure: structure };
}
