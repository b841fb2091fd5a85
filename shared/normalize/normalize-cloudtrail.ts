/**
 * One CloudTrail record (from a trail file, EventBridge `detail` or a CloudWatch Logs message) to a
 * TraceEvent. Pure: no clock, no environment, no logging.
 */
import { InvalidEventError } from '../errors';
import { classifyAddress } from './ip';
import type { Actor, Category, Resource, TraceEvent } from './trace-event';
import { normalizeTime } from './normalize-time';
import {
  type JsonRecord,
  asBoolean,
  asString,
  isRecord,
  own,
  ownRecord,
  ownText,
  path,
  syntheticId,
} from './read-fields';

export interface EventVersion {
  major: number;
  minor: number;
}

/** `"1.10"` → {1, 10}: two integers, so 1.10 sorts after 1.9 (AWS: equal major, minor `>=`). */
export function parseEventVersion(value: unknown): EventVersion | undefined {
  const m = /^(\d{1,4})\.(\d{1,4})$/.exec(asString(value)?.trim() ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function normalizeCloudTrail(record: unknown): TraceEvent {
  if (!isRecord(record)) throw new InvalidEventError('CloudTrail record is not a JSON object');
  const eventId = ownText(record, 'eventID');

  // Missing is tolerated (hand-made records); present must be 1.x, which keeps S3 notification
  // records (eventVersion 2.x, eventSource `aws:s3`) out. Newer 1.x minors only add optional fields.
  const rawVersion = own(record, 'eventVersion');
  if (rawVersion !== undefined && !isVersion1(rawVersion) && parseEventVersion(rawVersion)?.major !== 1) {
    // Not JSON.stringify: the value is attacker-chosen (a megabyte of text, an object nested a million deep).
    rejectRecord(
      eventId,
      `unsupported eventVersion ${typeof rawVersion === 'string' ? JSON.stringify(rawVersion.slice(0, 20)) : typeof rawVersion === 'number' ? rawVersion : `(${rawVersion === null ? 'null' : Array.isArray(rawVersion) ? 'an array' : typeof rawVersion})`}`,
    );
  }
  const action = ownText(record, 'eventName') ?? rejectRecord(eventId, whyNoText(record, 'eventName'));
  const service = ownText(record, 'eventSource') ?? rejectRecord(eventId, whyNoText(record, 'eventSource'));
  const time = normalizeTime(own(record, 'eventTime')) ?? rejectRecord(eventId, 'eventTime missing or not a time');

  const identity = ownRecord(record, 'userIdentity');
  const responseElements = ownRecord(record, 'responseElements');
  const errorCode = ownText(record, 'errorCode');
  const errorMessage = ownText(record, 'errorMessage');
  const hasError = errorCode !== undefined || errorMessage !== undefined;
  const rawEventType = ownText(record, 'eventType');
  const eventType = rawEventType === 'AwsApiCall' ? 'awsapicall' : rawEventType?.toLowerCase();
  const signIn = isSignIn(eventType, service);
  // Sign-in events report their result under their own name: `ConsoleLogin: "Failure"`, `CheckMfa: "Success"`.
  const signInFailed = signIn && ownText(responseElements, action)?.trim().toLowerCase() === 'failure';
  const failed = hasError || signInFailed;

  const sourceAddress = asString(own(record, 'sourceIPAddress')) ?? '';
  const address = classifyAddress(sourceAddress);

  // Built member by member, leaving out what is undefined (as dropUndefined would, same key order): this
  // runs once per record, and one object shape per field combination keeps the detectors' reads fast.
  const event = {
    id: eventId ?? syntheticId(record),
    time,
    cloud: 'aws',
    source: 'cloudtrail',
    service,
    action,
    category: categorize(eventType, action, signIn, failed),
    outcome: failed ? 'failure' : 'success',
  } as TraceEvent;
  if (hasError)
    event.error =
      errorCode === undefined
        ? { message: errorMessage }
        : errorMessage === undefined
          ? { code: errorCode }
          : { code: errorCode, message: errorMessage };
  event.actor = toActor(identity, ownRecord(record, 'additionalEventData'));
  event.sourceAddress = sourceAddress;
  event.sourceAddressKind = address.kind;
  if (address.ip !== undefined) event.sourceIp = address.ip;
  const userAgent = ownText(record, 'userAgent');
  if (userAgent !== undefined) event.userAgent = userAgent;
  const region = ownText(record, 'awsRegion');
  if (region !== undefined) event.region = region;
  const account = ownText(record, 'recipientAccountId') ?? ownText(identity, 'accountId');
  if (account !== undefined) event.account = account;
  const resource = toResource(own(record, 'resources'));
  if (resource !== undefined) event.resource = resource;
  event.raw = record;
  return event;
}

/** `1.0`–`1.9999` exactly, the usual case, without the regex of parseEventVersion (same answer for these). */
function isVersion1(value: unknown): boolean {
  if (typeof value !== 'string' || value.length < 3 || value.length > 6) return false;
  if (value.charCodeAt(0) !== 49 || value.charCodeAt(1) !== 46) return false;
  for (let i = 2; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `eventType` is spelled `AwsConsoleSignIn` and `AwsConsoleSignin`; the event source is the steadier sign. */
function isSignIn(eventType: string | undefined, service: string): boolean {
  return service === 'signin.amazonaws.com' || eventType === 'awsconsolesignin';
}

/**
 * aws-facts.md documents no CloudTrail sign-out event (no `ConsoleLogout`/`SignOut`), so `logout` is never
 * produced for AWS. Sign-in events other than ConsoleLogin (CheckMfa, CredentialChallenge, SwitchRole,
 * UserAuthentication, …) are steps of a sign-in, not sign-ins of their own: `other`.
 */
function categorize(eventType: string | undefined, action: string, signIn: boolean, failed: boolean): Category {
  if (action === 'ConsoleLogin') return failed ? 'login-failed' : 'login';
  if (signIn) return 'other';
  if (eventType === 'awsserviceevent') return 'service-event';
  // Insights records summarise call rates; they are not calls.
  if (eventType === 'awscloudtrailinsight') return 'other';
  return 'api-call';
}

function toActor(identity: JsonRecord | undefined, additionalEventData: JsonRecord | undefined): Actor {
  const type = ownText(identity, 'type') ?? 'Unknown';
  const issuer = path(identity, 'sessionContext', 'sessionIssuer');
  const onBehalfOf = ownText(ownRecord(identity, 'onBehalfOf'), 'userId');
  // Member by member, undefined left out, in this order (see the event in normalizeCloudTrail).
  const actor: Actor = { type };
  const id = ownText(identity, 'principalId') ?? onBehalfOf;
  if (id !== undefined) actor.id = id;
  const name = ownText(identity, 'userName') ?? derivedName(type, identity, issuer, onBehalfOf);
  if (name !== undefined) actor.name = name;
  const arn = ownText(identity, 'arn');
  if (arn !== undefined) actor.arn = arn;
  const account = ownText(identity, 'accountId');
  if (account !== undefined) actor.account = account;
  const mfa = mfaOf(identity, additionalEventData);
  if (mfa !== undefined) actor.mfa = mfa;
  const accessKeyId = ownText(identity, 'accessKeyId');
  if (accessKeyId !== undefined) actor.accessKeyId = accessKeyId;
  const invokedBy = ownText(identity, 'invokedBy');
  if (invokedBy !== undefined) actor.invokedBy = invokedBy;
  return actor;
}

/** A readable name for identity types that carry no `userName`. */
function derivedName(
  type: string,
  identity: JsonRecord | undefined,
  issuer: unknown,
  onBehalfOf: string | undefined,
): string | undefined {
  switch (type) {
    case 'Root':
      return 'root';
    case 'AssumedRole': {
      // `arn:aws:sts::<acct>:assumed-role/<role>/<session>`; principalId is `<role id>:<session>`.
      const [role, session] = arnPath(identity).slice(1);
      const issuerName = ownText(issuer, 'userName') ?? role;
      const sessionName = session ?? afterColon(ownText(identity, 'principalId'));
      return issuerName && sessionName ? `${issuerName}/${sessionName}` : (issuerName ?? sessionName);
    }
    case 'FederatedUser':
      // `arn:aws:sts::<acct>:federated-user/<name>`; principalId is `<acct>:<name>`.
      return arnPath(identity)[1] ?? afterColon(ownText(identity, 'principalId'));
    case 'IdentityCenterUser':
      return onBehalfOf;
    case 'AWSService':
      return ownText(identity, 'invokedBy');
    default:
      return undefined;
  }
}

/** The resource part of the identity ARN split at `/`: `assumed-role/R/S` → [assumed-role, R, S]. */
function arnPath(identity: JsonRecord | undefined): string[] {
  const arn = ownText(identity, 'arn');
  if (arn === undefined) return [];
  // Everything after the fifth colon (later colons belong to the resource).
  let colon = -1;
  for (let n = 0; n < 5; n++) {
    colon = arn.indexOf(':', colon + 1);
    if (colon < 0) return [];
  }
  const resource = arn.slice(colon + 1);
  return resource ? resource.split('/').filter((part) => part !== '') : [];
}

function afterColon(text: string | undefined): string | undefined {
  const index = text?.indexOf(':') ?? -1;
  return index >= 0 && text ? text.slice(index + 1) || undefined : undefined;
}

/** `MFAUsed` (sign-in events; seen as Yes, YES, No) wins over the session's `mfaAuthenticated` ("true"/"false"). */
function mfaOf(identity: JsonRecord | undefined, additionalEventData: JsonRecord | undefined): boolean | undefined {
  const mfaUsed = ownText(additionalEventData, 'MFAUsed')?.trim().toLowerCase();
  if (mfaUsed === 'yes') return true;
  if (mfaUsed === 'no') return false;
  return asBoolean(path(identity, 'sessionContext', 'attributes', 'mfaAuthenticated'));
}

function toResource(resources: unknown): Resource | undefined {
  const first: unknown = Array.isArray(resources) && resources.length > 0 ? resources[0] : undefined;
  const type = ownText(first, 'type');
  const id = ownText(first, 'ARN');
  if (type === undefined) return id === undefined ? undefined : { id };
  return id === undefined ? { type } : { type, id };
}

/** Thrown for a record that cannot be normalized (a function, not a closure made per record). */
function rejectRecord(eventId: string | undefined, problem: string): never {
  throw new InvalidEventError(`not a usable CloudTrail record: ${problem}`, undefined, eventId);
}

/** Why a required text member is not there, for the rejection: missing, blank, or of another type. */
function whyNoText(record: unknown, key: string): string {
  const value = own(record, key);
  if (value === undefined || value === null) return `${key} missing`;
  if (typeof value === 'string') return `${key} is blank`;
  const kind = Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  return `${key} is ${kind}, not a string`;
}
