/**
 * AWS Config compliance changes to TraceEvents: the EventBridge `Config Rules Compliance Change` event,
 * or the bare `ComplianceChangeNotification` that SNS delivers (the same body as the EventBridge
 * `detail`). Also reads the evaluations out of a CloudTrail `PutEvaluations` record, which carries
 * results but no rule name and no previous state. Pure: no clock, no environment, no logging.
 */
import { InvalidEventError } from '../errors';
import type { Compliance, ComplianceState, TraceEvent } from './trace-event';
import { normalizeTime } from './normalize-time';
import {
  type JsonRecord,
  asBoolean,
  asText,
  dropUndefined,
  isRecord,
  own,
  ownRecord,
  ownText,
  path,
  syntheticId,
} from './read-fields';

export const COMPLIANCE_STATES = [
  'COMPLIANT',
  'NON_COMPLIANT',
  'NOT_APPLICABLE',
  'INSUFFICIENT_DATA',
] as const satisfies readonly ComplianceState[];

/**
 * Shown, filtered and grouped as the rule name when a source does not say which rule it was
 * (`PutEvaluations` identifies the rule only through an opaque result token). A `*` pattern matches it.
 */
export const UNKNOWN_RULE = '(unknown rule)';

const COMPLIANCE_CHANGE_DETAIL_TYPE = 'Config Rules Compliance Change';
const COMPLIANCE_CHANGE_MESSAGE_TYPE = 'ComplianceChangeNotification';

/** Spellings without separators and case, so AWS `NON_COMPLIANT` and Huawei `NonCompliant` both map. */
const STATE_BY_KEY: ReadonlyMap<string, ComplianceState> = new Map(
  COMPLIANCE_STATES.map((state) => [state.replace(/_/g, ''), state]),
);

/**
 * A compliance state in AWS spelling, from AWS (`NON_COMPLIANT`) or Huawei (`NonCompliant`) text, any
 * case, with `_`, `-` or spaces between the words. Anything else is undefined.
 */
export function toComplianceState(value: unknown): ComplianceState | undefined {
  const text = asText(value);
  if (text === undefined || text.length > 40) return undefined;
  return STATE_BY_KEY.get(text.replace(/[\s_-]/g, '').toUpperCase());
}

export function normalizeAwsConfig(record: unknown): TraceEvent {
  if (!isRecord(record)) throw new InvalidEventError('AWS Config notification is not a JSON object');
  const detailType = own(record, 'detail-type');
  const eventBridge = detailType !== undefined;
  const eventId = eventBridge ? ownText(record, 'id') : undefined;
  const reject = (problem: string): never => {
    throw new InvalidEventError(`not a usable AWS Config compliance change: ${problem}`, undefined, eventId);
  };
  if (eventBridge && detailType !== COMPLIANCE_CHANGE_DETAIL_TYPE)
    reject(`detail-type is ${describeValue(detailType)}`);
  // The SNS form is the notification itself; the EventBridge form wraps the same body in `detail`.
  const body = eventBridge ? (ownRecord(record, 'detail') ?? reject('detail is not an object')) : record;
  const messageType = own(body, 'messageType');
  if (messageType !== undefined && messageType !== COMPLIANCE_CHANGE_MESSAGE_TYPE)
    reject(`messageType is ${describeValue(messageType)}`);

  const newResult = ownRecord(body, 'newEvaluationResult') ?? reject('newEvaluationResult missing');
  const qualifier = path(newResult, 'evaluationResultIdentifier', 'evaluationResultQualifier');
  const rule =
    ownText(body, 'configRuleName') ?? ownText(qualifier, 'configRuleName') ?? reject('configRuleName missing');
  const newState =
    toComplianceState(own(newResult, 'complianceType')) ??
    reject(`newEvaluationResult.complianceType is ${describeValue(own(newResult, 'complianceType'))}`);
  // Absent on a first evaluation. An old result whose state we cannot read is treated the same way.
  const oldState = toComplianceState(path(body, 'oldEvaluationResult', 'complianceType'));
  const resourceType = ownText(body, 'resourceType') ?? ownText(qualifier, 'resourceType');
  const resourceId = ownText(body, 'resourceId') ?? ownText(qualifier, 'resourceId');

  // When the new result was recorded is when the resource changed state; the others are later or coarser.
  const time =
    normalizeTime(own(newResult, 'resultRecordedTime')) ??
    normalizeTime(own(body, 'notificationCreationTime')) ??
    normalizeTime(own(record, 'time')) ??
    normalizeTime(own(newResult, 'configRuleInvokedTime')) ??
    reject('no resultRecordedTime, notificationCreationTime or time');

  const compliance: Compliance = dropUndefined({
    rule,
    resourceType,
    resourceId,
    newState,
    oldState,
    annotation: ownText(newResult, 'annotation'),
  });
  const resource = dropUndefined({ type: resourceType, id: resourceId });
  const event: TraceEvent = {
    // SNS re-delivers the same message, and the body hashes the same whatever its key order, so a
    // re-delivered change gets the same id. Hashing the body (not the SNS or EventBridge wrapper) also
    // gives one change the same id by either path when the EventBridge id is missing.
    id: eventId ?? syntheticId(body),
    time,
    cloud: 'aws',
    source: 'aws-config',
    service: 'config.amazonaws.com',
    action: COMPLIANCE_CHANGE_MESSAGE_TYPE,
    category: 'compliance',
    // The evaluation itself succeeded; whether the resource complies is in `compliance`.
    outcome: 'success',
    actor: { type: 'AWSService', name: 'config.amazonaws.com' },
    sourceAddress: '',
    sourceAddressKind: 'empty',
    region: ownText(body, 'awsRegion') ?? ownText(record, 'region'),
    account: ownText(body, 'awsAccountId') ?? ownText(record, 'account'),
    resource: Object.keys(resource).length > 0 ? resource : undefined,
    compliance,
    raw: record,
  };
  return dropUndefined(event);
}

export interface ReportedEvaluation {
  /** Position in `requestParameters.evaluations`, so each evaluation of one call gets its own id. */
  index: number;
  compliance: Compliance;
}

export interface PutEvaluationsRequest {
  /** `testMode: true` asks Config to check the call without recording the results. */
  testMode: boolean;
  evaluations: ReportedEvaluation[];
}

/**
 * The evaluations a custom rule reported in a CloudTrail `PutEvaluations` record. CloudTrail writes
 * request parameters in camelCase (`complianceResourceType`); the API's own PascalCase
 * (`ComplianceResourceType`) is accepted too, as no published sample settles it. Evaluations whose
 * compliance type is not one of the four states are left out. The call names no rule (the result
 * token is opaque) and no previous state, so every evaluation is "new state, old unknown".
 */
export function readPutEvaluations(record: unknown): PutEvaluationsRequest {
  const parameters = ownRecord(record, 'requestParameters');
  const list = either(parameters, 'evaluations', 'Evaluations');
  const testMode = asBoolean(either(parameters, 'testMode', 'TestMode')) === true;
  const evaluations: ReportedEvaluation[] = [];
  if (!Array.isArray(list)) return { testMode, evaluations };
  for (let index = 0; index < list.length; index++) {
    const evaluation: unknown = Object.hasOwn(list, index) ? list[index] : undefined;
    if (!isRecord(evaluation)) continue;
    const newState = toComplianceState(either(evaluation, 'complianceType', 'ComplianceType'));
    if (newState === undefined) continue;
    const compliance: Compliance = dropUndefined({
      rule: UNKNOWN_RULE,
      resourceType: asText(either(evaluation, 'complianceResourceType', 'ComplianceResourceType')),
      resourceId: asText(either(evaluation, 'complianceResourceId', 'ComplianceResourceId')),
      newState,
      annotation: asText(either(evaluation, 'annotation', 'Annotation')),
    });
    evaluations.push({ index, compliance });
  }
  return { testMode, evaluations };
}

function either(value: JsonRecord | undefined, camel: string, pascal: string): unknown {
  const found = own(value, camel);
  return found !== undefined ? found : own(value, pascal);
}

/** A short description of an unexpected value for a rejection reason (never the whole value). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
