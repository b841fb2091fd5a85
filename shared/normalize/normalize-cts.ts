/**
 * One Huawei Cloud Trace Service trace (the `cts` member of a FunctionGraph CTS trigger event, or one
 * trace of a CTS file) to a TraceEvent. Pure: no clock, no environment, no logging.
 */
import { InvalidEventError } from '../errors';
import { classifyAddress } from './ip';
import type { Actor, Category, Outcome, TraceEvent } from './trace-event';
import { normalizeTime } from './normalize-time';
import {
  type JsonRecord,
  asBoolean,
  asString,
  asText,
  dropUndefined,
  isRecord,
  own,
  ownRecord,
  ownText,
  parseJsonText,
  path,
  syntheticId,
} from './read-fields';

/**
 * IAM trace names, compared lower-cased: OTC writes `loginfailed`, Huawei/Flexible Engine `loginFailed`.
 * The SSO, OIDC, QR-code and federation sign-ins are listed with them in the IAM trace docs; they are
 * sign-ins too, and a whitelist that skipped them would be easy to walk around.
 */
const LOGIN = new Set([
  'login',
  'scanqrcodelogin',
  'oidcloginsuccess',
  'iamuserssologinsuccess',
  'federationloginnopwdsuccess',
]);
const LOGIN_FAILED = new Set([
  'loginfailed',
  'scanqrcodeloginfailed',
  'oidcloginfailed',
  'iamuserssologinfailed',
  'federationloginnopwdfailed',
]);
const LOGOUT = new Set(['logout']);

/** Huawei service error codes look like `VPC.0514`, `SMN.0006`, `APIGW.0301`, `IAM.0002`. */
const SERVICE_ERROR_CODE = /^[A-Za-z][A-Za-z0-9_-]*\.\d+$/;

export function normalizeCts(trace: unknown): TraceEvent {
  if (!isRecord(trace)) throw new InvalidEventError('CTS trace is not a JSON object');
  const traceId = ownText(trace, 'trace_id');

  const action =
    ownText(trace, 'trace_name') ??
    rejectTrace(
      traceId,
      isRecord(own(trace, 'cts'))
        ? 'trace_name missing (a FunctionGraph trigger event? pass its `cts` member)'
        : 'trace_name missing',
    );
  const service = ownText(trace, 'service_type') ?? rejectTrace(traceId, 'service_type missing');
  // `time` is when the operation happened; `record_time` when CTS recorded it.
  const time =
    normalizeTime(own(trace, 'time')) ??
    normalizeTime(own(trace, 'record_time')) ??
    rejectTrace(traceId, 'time and record_time missing or not times');

  const category = categorize(action);
  const httpCode = toHttpCode(own(trace, 'code'));
  const responseError = errorInResponse(parseResponse(own(trace, 'response')));
  const outcome = decideOutcome(
    category,
    httpCode,
    [ownText(trace, 'trace_rating'), ownText(trace, 'trace_status')],
    responseError,
  );

  const actor = toActor(own(trace, 'user'), ownText(trace, 'trace_type')?.toLowerCase() === 'systemaction');
  const sourceAddress = asString(own(trace, 'source_ip')) ?? '';
  const address = classifyAddress(sourceAddress);
  const resource = dropUndefined({
    type: ownText(trace, 'resource_type'),
    // The FunctionGraph console template writes `"resource_id": {}`; asText drops it.
    id: ownText(trace, 'resource_id'),
    name: ownText(trace, 'resource_name'),
  });

  // Built member by member, leaving out what is undefined (as dropUndefined would, same key order): this
  // runs once per trace, and one object shape per field combination keeps the detectors' reads fast.
  const event = {
    id: traceId ?? syntheticId(trace),
    time,
    cloud: 'huaweicloud',
    source: 'cts',
    service,
    action,
    category,
    outcome,
  } as TraceEvent;
  const error = outcome === 'failure' ? toError(httpCode, responseError, ownText(trace, 'message')) : undefined;
  if (error !== undefined) event.error = error;
  event.actor = actor;
  event.sourceAddress = sourceAddress;
  event.sourceAddressKind = address.kind;
  if (address.ip !== undefined) event.sourceIp = address.ip;
  const userAgent = ownText(trace, 'user_agent');
  if (userAgent !== undefined) event.userAgent = userAgent;
  const region = ownText(trace, 'region');
  if (region !== undefined) event.region = region;
  const account = ownText(trace, 'domain_id') ?? actor.account;
  if (account !== undefined) event.account = account;
  if (Object.keys(resource).length > 0) event.resource = resource;
  event.raw = trace;
  return event;
}

export function categorize(action: string): Category {
  const name = action.toLowerCase();
  if (LOGIN.has(name)) return 'login';
  if (LOGIN_FAILED.has(name)) return 'login-failed';
  if (LOGOUT.has(name)) return 'logout';
  return 'api-call';
}

/** `code` is a number in every sample and a string in the API tables; 0 occurs (real FunctionGraph trace). */
function toHttpCode(value: unknown): number | undefined {
  const text = asText(value)?.trim();
  return text !== undefined && /^\d{1,3}$/.test(text) ? Number(text) : undefined;
}

interface ResponseError {
  code?: string;
  message?: string;
}

/**
 * Huawei error bodies come in three shapes (the SDK's ExceptionUtil checks them in this order):
 * `{error: {code, message}}`, `{error_code, error_msg}`, and `{code: "VPC.0514", message}`. A bare
 * `code` counts only in the service-code form, because successful responses carry fields named `code` too.
 */
function errorInResponse(response: unknown): ResponseError | undefined {
  const nested = own(response, 'error');
  const bareCode = ownText(response, 'code');
  const serviceCode = bareCode !== undefined && SERVICE_ERROR_CODE.test(bareCode) ? bareCode : undefined;
  const code = ownText(nested, 'code') ?? ownText(response, 'error_code') ?? serviceCode;
  const message =
    ownText(nested, 'message') ??
    (typeof nested === 'string' ? asText(nested) : undefined) ??
    ownText(response, 'error_msg') ??
    (serviceCode !== undefined ? ownText(response, 'message') : undefined);
  // Runs per trace: no intermediate object when (as usual) there is no error.
  if (code === undefined) return message === undefined ? undefined : { message };
  return message === undefined ? { code } : { code, message };
}

/**
 * Failure signs win over success signs, because they disagree in real data: the official v3 example has
 * `code` 200 with `trace_rating` warning and an error body. `trace_rating` normal means "operation
 * succeeded" (trace structure doc); `incident` is a failure with serious consequences.
 *
 * A `login`/`logout` trace without code or rating is a success: IAM records failed sign-ins under their
 * own trace name (`loginFailed`), so a `login` trace is a sign-in that happened.
 */
function decideOutcome(
  category: Category,
  httpCode: number | undefined,
  ratings: (string | undefined)[],
  responseError: ResponseError | undefined,
): Outcome {
  const rated = ratings.map((rating) => rating?.trim().toLowerCase());
  if (
    category === 'login-failed' ||
    (httpCode !== undefined && httpCode >= 400) ||
    rated.includes('warning') ||
    rated.includes('incident') ||
    responseError !== undefined
  ) {
    return 'failure';
  }
  if (rated.includes('normal') || (httpCode !== undefined && httpCode >= 200 && httpCode < 400)) return 'success';
  return category === 'login' || category === 'logout' ? 'success' : 'unknown';
}

/**
 * The HTTP status is the code detectors can rely on across services (401/403 for unauthorized calls), so it
 * takes `code` when there is one; the service's own code then leads the message (`IAM.0002: …`).
 */
function toError(
  httpCode: number | undefined,
  responseError: ResponseError | undefined,
  remark: string | undefined,
): TraceEvent['error'] {
  const status = httpCode !== undefined && httpCode >= 400 ? String(httpCode) : undefined;
  const serviceCode = responseError?.code;
  const message = responseError?.message ?? remark;
  const error = dropUndefined({
    code: status ?? serviceCode,
    message:
      status !== undefined && serviceCode !== undefined ? [serviceCode, message].filter(Boolean).join(': ') : message,
  });
  return Object.keys(error).length > 0 ? error : undefined;
}

/**
 * The response as an object, for errorInResponse. Most responses are JSON text of a successful call; one
 * that names none of the keys errorInResponse reads cannot carry an error, so it is not parsed at all.
 */
function parseResponse(value: unknown): unknown {
  if (typeof value === 'string' && !MAY_CARRY_ERROR.test(value)) return undefined;
  return parseJsonText(value);
}

/** Any JSON key errorInResponse reads (`error`, `error_code`, `error_msg`, `code`, `message`), also escaped as \u. */
const MAY_CARRY_ERROR = /"(?:error|code|message)|\\u/;

/**
 * `user` is an object, JSON text ("transmitted and stored as a string in APIs"), a bare name, or null/empty
 * for system actions. The CTS `user.type` vocabulary is not documented, so `type` says only `user` or
 * `system`: a system action with nobody identified behind it.
 */
function toActor(value: unknown, systemAction: boolean): Actor {
  const parsed = parseJsonText(value);
  const user: JsonRecord | undefined = isRecord(parsed) ? parsed : dropUndefined({ name: asText(parsed) });
  const domain = ownRecord(user, 'domain');
  const id = ownText(user, 'id') ?? ownText(user, 'principal_id');
  const name = ownText(user, 'name') ?? ownText(user, 'user_name');
  const identified = id !== undefined || name !== undefined;
  // Member by member, undefined left out, in this order (runs per trace; see normalizeCts).
  const actor: Actor = { type: systemAction && !identified ? 'system' : 'user' };
  if (id !== undefined) actor.id = id;
  if (name !== undefined) actor.name = name;
  const arn = ownText(user, 'principal_urn');
  if (arn !== undefined) actor.arn = arn;
  const account = ownText(domain, 'id') ?? ownText(user, 'account_id');
  if (account !== undefined) actor.account = account;
  const accountName = ownText(domain, 'name');
  if (accountName !== undefined) actor.accountName = accountName;
  const mfa = asBoolean(path(user, 'session_context', 'attributes', 'mfa_authenticated'));
  if (mfa !== undefined) actor.mfa = mfa;
  const accessKeyId = ownText(user, 'access_key_id');
  if (accessKeyId !== undefined) actor.accessKeyId = accessKeyId;
  const invoker = invokedBy(own(user, 'invoked_by'));
  if (invoker !== undefined) actor.invokedBy = invoker;
  return actor;
}

/** `invoked_by` is a list, e.g. `["service.console"]`. */
function invokedBy(value: unknown): string | undefined {
  if (value === undefined) return undefined; // the usual case; skips three arrays per trace
  const items = Array.isArray(value) ? value : [value];
  const names = items.map(asText).filter((name): name is string => name !== undefined);
  return names.length > 0 ? names.join(',') : undefined;
}

/** Thrown for a record that cannot be normalized (a function, not a closure made per record). */
function rejectTrace(traceId: string | undefined, problem: string): never {
  throw new InvalidEventError(`not a usable CTS trace: ${problem}`, undefined, traceId);
}
