// STUB: being replaced by the real IP parser (see test/ip.test.ts). Keep these signatures.
import { isIP } from 'node:net';
import type { AddressKind } from './trace-event';

export interface AddressClassification {
  kind: AddressKind;
  /** Canonical IP text, only for ipv4/ipv6. */
  ip?: string;
  /** Set when the text needed interpretation, e.g. `leading-zeros` for `035.249.253.232`. */
  note?: string;
}

/** Classify a provider-written source address. Never throws. */
export function classifyAddress(raw: unknown): AddressClassification {
  if (typeof raw !== 'string' || raw.trim() === '') return { kind: 'empty' };
  const text = raw.trim();
  if (isIP(text)) return { kind: isIP(text) === 4 ? 'ipv4' : 'ipv6', ip: text.toLowerCase() };
  if (/^AWS Internal/i.test(text)) return { kind: 'internal' };
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(text)) return { kind: 'service' };
  return { kind: 'other' };
}
