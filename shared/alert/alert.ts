import type { PrintableEvent } from '../normalize/trace-event';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * One alert, ready to publish. `subject` is already safe for every sink (printable ASCII, no line
 * breaks, < 100 characters); `message` is already capped below every sink's size limit.
 */
export interface Alert {
  /** `login-whitelist`, `unauthorized-api`, `config-compliance`. */
  function: string;
  /** Rule that fired, e.g. `ip-whitelist`, `cis-3.1-unauthorized-api-calls`. */
  rule: string;
  severity: Severity;
  subject: string;
  message: string;
  /** The (first) event behind the alert, without `raw`. */
  event: PrintableEvent;
  /** Ids of every event folded into this alert (aggregation), first one first. */
  eventIds: string[];
  /** How many events this alert stands for. */
  count: number;
  /** Stable id for de-duplication on re-delivery (FIFO topics): derived from the rule and event id(s). */
  dedupId: string;
  /** Country and AS of the (first) event's public source address (shared/enrich); absent when unknown. */
  geo?: { country?: string; asn?: number; org?: string };
  /** Name of the event's account (ACCOUNT_NAMES, AWS Organizations, the Huawei domain name); absent when unknown. */
  accountName?: string;
}

/** Where alerts go. Implementations retry what is retryable and throw SinkError when they give up. */
export interface AlertSink {
  readonly name: string;
  publish(alert: Alert): Promise<void>;
}
