/**
 * Huawei Cloud Config (RMS) compliance results to TraceEvents. Pure: no clock, no environment, no logging.
 *
 * Two inputs, neither of which carries the previous state:
 * - a policy state, as the policy-states API takes it (`policy_resource` nested, huawei-facts §7) and,
 *   tolerated, flat with the resource fields at the top (the shape of the list API's entries, which
 *   the facts do not document). Config itself does not publish these to SMN; a custom-rule function
 *   or a relay can, so they arrive directly or through a FunctionGraph SMN trigger.
 * - a Cloud Eye event of namespace `SYS.RMS` (`configurationNoncomplianceNotification`,
 *   `configurationComplianceNotification`). Its body is undocumented, so it is read tolerantly: the
 *   event name decides the state; rule and resource are looked for in `detail.content` (JSON text or
 *   an object), `detail` and the event itself, under the policy-state field names and Cloud Eye's own
 *   `resource_id`/`resource_name`; a plain-text `content` becomes the annotation.
 */
import { InvalidEventError } from '../errors';
import type { Compliance, ComplianceState, Resource, TraceEvent } from './trace-event';
import { describeValue, toComplianceState, UNKNOWN_RULE } from './normalize-aws-config';
import { normalizeTime } from './normalize-time';
import {
  type JsonRecord,
  asRecord,
  asText,
  dropUndefined,
  isRecord,
  own,
  ownRecord,
  ownText,
  parseJsonText,
  syntheticId,
} from './read-fields';

/** A Map, not an object: the event name is attacker-influenced and must not reach `constructor` or `__proto__`. */
const CLOUD_EYE_STATES: ReadonlyMap<string, ComplianceState> = new Map([
  ['configurationnoncompliancenotification', 'NON_COMPLIANT'],
  ['configurationcompliancenotification', 'COMPLIANT'],
]);

/** A policy state (direct, or the message of an SMN trigger) to a TraceEvent. */
export function normalizeHuaweiConfig(record: unknown): TraceEvent {
  if (!isRecord(record)) throw new InvalidEventError('Huawei Config policy state is not a JSON object');
  const reject = (problem: string): never => {
    throw new InvalidEventError(`not a usable Huawei Config policy state: ${problem}`);
  };
  const newState =
    toComplianceState(own(record, 'compliance_state')) ??
    reject(`compliance_state is ${describeValue(own(record, 'compliance_state'))}`);
  const rule =
    ownText(record, 'policy_assignment_name') ??
    ownText(record, 'policy_assignment_id') ??
    reject('policy_assignment_name and policy_assignment_id missing');
  const time = normalizeTime(own(record, 'evaluation_time')) ?? reject('evaluation_time missing or not a time');
  const where = policyResource([record]);

  return toTraceEvent({
    // No id in the record: a hash of it, so the same state re-delivered (or sent both ways) matches.
    id: syntheticId(record),
    time,
    source: 'huawei-config',
    service: 'rms',
    action: 'PolicyState',
    compliance: dropUndefined({ rule, resourceType: where.resource.type, resourceId: where.resource.id, newState }),
    resource: where.resource,
    account: where.account,
    region: where.region,
    raw: record,
  });
}

/** A Cloud Eye `SYS.RMS` event to a TraceEvent. */
export function normalizeCloudEyeConfig(record: unknown): TraceEvent {
  if (!isRecord(record)) throw new InvalidEventError('Cloud Eye event is not a JSON object');
  const detail = ownRecord(record, 'detail');
  const eventId = ownText(record, 'event_id') ?? ownText(detail, 'event_id');
  const reject = (problem: string): never => {
    throw new InvalidEventError(`not a usable Cloud Eye compliance event: ${problem}`, undefined, eventId);
  };
  const eventName = ownText(record, 'event_name') ?? ownText(record, 'eventName');
  const rawContent = own(detail, 'content');
  const content = asRecord(parseJsonText(rawContent));
  // Most specific first: what RMS wrote into the event, then Cloud Eye's detail, then the event itself.
  const sources = [content, detail, record].filter((value): value is JsonRecord => value !== undefined);
  const first = (key: string) => firstText(sources, key);

  const newState =
    (eventName !== undefined ? CLOUD_EYE_STATES.get(eventName.toLowerCase()) : undefined) ??
    toComplianceState(first('compliance_state')) ??
    reject(`event ${describeValue(eventName)} says nothing about compliance`);
  const time =
    normalizeTime(own(record, 'time')) ??
    normalizeTime(own(detail, 'time')) ??
    normalizeTime(own(content, 'evaluation_time')) ??
    reject('time missing or not a time');
  const where = policyResource(sources);
  const annotation =
    content === undefined ? asText(rawContent) : (ownText(content, 'annotation') ?? ownText(content, 'message'));

  return toTraceEvent({
    id: eventId ?? syntheticId(record),
    time,
    source: 'cloud-eye',
    service: ownText(record, 'event_source') ?? 'SYS.RMS',
    action: eventName ?? 'unknown',
    compliance: dropUndefined({
      rule: first('policy_assignment_name') ?? first('policy_assignment_id') ?? UNKNOWN_RULE,
      resourceType: where.resource.type,
      resourceId: where.resource.id,
      newState,
      annotation,
    }),
    resource: where.resource,
    account: where.account,
    region: where.region ?? ownText(record, 'region'),
    raw: record,
  });
}

interface Where {
  resource: Resource;
  account?: string;
  region?: string;
}

/**
 * Resource, domain and region from the first source that names them: inside `policy_resource` or
 * flat. The type is written `provider.type` (`iam.users`), as Config's own notifications write it.
 */
function policyResource(sources: readonly JsonRecord[]): Where {
  const candidates = sources.flatMap((source) => {
    const nested = ownRecord(source, 'policy_resource');
    return nested === undefined ? [source] : [nested, source];
  });
  const first = (key: string) => firstText(candidates, key);
  const provider = first('resource_provider');
  const type = first('resource_type');
  const resource = dropUndefined({
    type:
      provider !== undefined && type !== undefined && !type.includes('.') ? `${provider}.${type}` : (type ?? provider),
    id: first('resource_id'),
    name: first('resource_name'),
  });
  return dropUndefined({ resource, account: first('domain_id'), region: first('region_id') });
}

function firstText(sources: readonly JsonRecord[], key: string): string | undefined {
  for (const source of sources) {
    const text = ownText(source, key);
    if (text !== undefined) return text;
  }
  return undefined;
}

function toTraceEvent(parts: {
  id: string;
  time: string;
  source: 'huawei-config' | 'cloud-eye';
  service: string;
  action: string;
  compliance: Compliance;
  resource: Resource;
  account?: string;
  region?: string;
  raw: unknown;
}): TraceEvent {
  const event: TraceEvent = {
    id: parts.id,
    time: parts.time,
    cloud: 'huaweicloud',
    source: parts.source,
    service: parts.service,
    action: parts.action,
    category: 'compliance',
    // The evaluation itself succeeded; whether the resource complies is in `compliance`.
    outcome: 'success',
    actor: { type: 'service', name: 'rms' },
    sourceAddress: '',
    sourceAddressKind: 'empty',
    region: parts.region,
    account: parts.account,
    resource: Object.keys(parts.resource).length > 0 ? parts.resource : undefined,
    compliance: parts.compliance,
    raw: parts.raw,
  };
  return dropUndefined(event);
}
