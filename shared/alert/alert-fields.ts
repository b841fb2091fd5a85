/** Field renderings shared by every function's alert text. Values come out escaped by formatFields. */
import { inlineValue } from './alert-text';
import type { FindingGroup } from '../detect/detector';
import type { TraceEvent } from '../normalize/trace-event';
import { formatGeo } from '../enrich/geo';

/** How many event ids an aggregated alert lists before it says "and N more". */
export const LISTED_EVENT_IDS = 5;

export function describeActor(event: TraceEvent): string {
  const { actor } = event;
  const name = actor.name ?? actor.id ?? 'unknown principal';
  const details = [
    actor.type,
    actor.arn ?? (actor.id && actor.id !== name ? `id ${actor.id}` : undefined),
    actor.invokedBy && `via ${actor.invokedBy}`,
  ]
    .filter(Boolean)
    .join(', ');
  return details ? `${name} (${details})` : name;
}

/** Where a function's own region is configured: the sink's region variables (Huawei's sample says RegionName). */
export const CONFIGURED_REGION = ['ALERT_REGION', 'RegionName'] as const;

/**
 * The event's region, else the function's configured one (ALERT_REGION / RegionName), marked as such:
 * CTS traces often name none, and "unknown region" helps nobody when the deployment knows it.
 */
export function describeRegion(event: TraceEvent, configuredRegion?: string): string {
  if (event.region !== undefined && event.region !== '') return event.region;
  return configuredRegion ? `${configuredRegion} (the function's region; the event names none)` : 'unknown region';
}

export function describeWhere(event: TraceEvent, configuredRegion?: string): string {
  return [event.cloud, describeRegion(event, configuredRegion), describeAccount(event)].join(' / ');
}

/** `account 111122223333 (prod-payments)`: the name when the enrichment stage found one. */
export function describeAccount(event: TraceEvent): string {
  const account = event.account ?? event.actor.account;
  if (!account) return 'unknown account';
  return event.accountName ? `account ${account} (${event.accountName})` : `account ${account}`;
}

/**
 * The source address, canonical IP first and the provider's own text beside it whenever that differs
 * (`035.249.253.232`, `::ffff:…`, `[…]`, a list), so the trail can be searched for the exact text the
 * provider wrote. `undefined` when the event has no source address at all.
 */
export function describeSourceAddress(event: TraceEvent, notAnIpNote = 'not an IP address'): string | undefined {
  const raw = event.sourceAddress;
  if (event.sourceIp === undefined) {
    if (event.sourceAddressKind === 'empty') return undefined;
    return `${inlineValue(raw, 128)} (${event.sourceAddressKind}: ${notAnIpNote})`;
  }
  // `8.8.8.8 (US, AS15169 Google LLC)`: the country and AS, when the enrichment stage found them.
  const geo = formatGeo(event.geo);
  if (event.sourceIp === raw) return geo ? `${event.sourceIp} (${geo})` : event.sourceIp;
  const written = inlineValue(raw, 256);
  const note = raw.includes(',')
    ? `first address of the list written by the provider: ${written}`
    : `written by the provider as ${written}`;
  return `${event.sourceIp} (${geo ? `${geo}; ` : ''}${note})`;
}

/**
 * `Event id:` for one event; `Events:` with a count and the first few ids for a group. When the record
 * came inside an SNS notification, that message's MessageId too: a synthesized event id (AWS Config over
 * SNS has none of its own) then still leads back to something the provider logged.
 */
export function eventIdLines(group: FindingGroup): string {
  const single = group.count === 1;
  const ids = single ? `Event id: ${inlineValue(group.eventIds[0])}` : eventsLine(group);
  const delivery = group.first.deliveryId;
  if (delivery === undefined) return ids;
  return `${ids}\nSNS MessageId${single ? '' : ' (first event)'}: ${inlineValue(delivery, 128)}`;
}

function eventsLine(group: FindingGroup): string {
  const listed = group.eventIds.slice(0, LISTED_EVENT_IDS).map((id) => inlineValue(id, 128));
  const more = group.count - listed.length;
  return `Events: ${group.count} (first ids: ${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''})`;
}
