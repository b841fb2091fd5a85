/** Field renderings shared by every function's alert text. Values come out escaped by formatFields. */
import { inlineValue } from './alert-text';
import type { FindingGroup } from '../detect/detector';
import type { TraceEvent } from '../normalize/trace-event';

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

export function describeWhere(event: TraceEvent): string {
  const account = event.account ?? event.actor.account;
  return [event.cloud, event.region ?? 'unknown region', account ? `account ${account}` : 'unknown account'].join(
    ' / ',
  );
}

/** `Event id:` for one event; `Events:` with a count and the first few ids for a group. */
export function eventIdLines(group: FindingGroup): string {
  if (group.count === 1) return `Event id: ${inlineValue(group.eventIds[0])}`;
  const listed = group.eventIds.slice(0, LISTED_EVENT_IDS).map((id) => inlineValue(id, 128));
  const more = group.count - listed.length;
  return `Events: ${group.count} (first ids: ${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''})`;
}
