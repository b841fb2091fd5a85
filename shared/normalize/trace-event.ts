/**
 * The one normalized trace-event schema that every source (CloudTrail, CTS, AWS Config, Huawei Config)
 * is turned into before detection. Detectors only ever see this shape.
 */

import type { Geo } from '../enrich/geo';

export const CLOUDS = ['aws', 'huaweicloud'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const SOURCES = ['cloudtrail', 'cts', 'aws-config', 'huawei-config', 'cloud-eye'] as const;
export type Source = (typeof SOURCES)[number];

export const CATEGORIES = [
  'login',
  'logout',
  'login-failed',
  'api-call',
  'service-event',
  'compliance',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const OUTCOMES = ['success', 'failure', 'unknown'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What the raw source address turned out to be. Only `ipv4` and `ipv6` carry a `sourceIp`.
 * - `service`: an AWS/Huawei service host name such as `cloudtrail.amazonaws.com`
 * - `internal`: `AWS Internal`, `AWS Internal/3` and similar markers of provider-originated calls
 * - `empty`: missing or empty (CTS system actions)
 * - `other`: anything else that is not an IP (reported, never matched against a whitelist)
 */
export const ADDRESS_KINDS = ['ipv4', 'ipv6', 'service', 'internal', 'empty', 'other'] as const;
export type AddressKind = (typeof ADDRESS_KINDS)[number];

export interface Actor {
  /** Provider identity type: `IAMUser`, `Root`, `AssumedRole`, `AWSService`, CTS `user`/`system`, … */
  type: string;
  /** Stable id: principalId / CTS user id. */
  id?: string;
  /** Human name: user name, role session, federated user, `HIDDEN_DUE_TO_SECURITY_REASONS`, … */
  name?: string;
  /** ARN / URN of the principal when known. */
  arn?: string;
  /** Account id (AWS) or domain id (Huawei) of the principal. */
  account?: string;
  /** Domain/account name when the source gives one (CTS `user.domain.name`). */
  accountName?: string;
  /** Whether MFA was used, when the source says so. */
  mfa?: boolean;
  /** Access key id used for the call (never logged; redacted in logs). */
  accessKeyId?: string;
  /** The service that acted for the principal (CloudTrail `invokedBy`). */
  invokedBy?: string;
}

export interface Resource {
  type?: string;
  id?: string;
  name?: string;
}

export type ComplianceState = 'COMPLIANT' | 'NON_COMPLIANT' | 'NOT_APPLICABLE' | 'INSUFFICIENT_DATA';

export interface Compliance {
  rule: string;
  resourceType?: string;
  resourceId?: string;
  newState: ComplianceState;
  /** Absent on a first evaluation. */
  oldState?: ComplianceState;
  annotation?: string;
}

export interface TraceEvent {
  /** Event id: CloudTrail `eventID`, CTS `trace_id`, … (synthesized and prefixed `synthetic:` when missing). */
  id: string;
  /** ISO-8601 UTC with milliseconds, e.g. `2024-01-02T03:04:05.000Z`. */
  time: string;
  cloud: Cloud;
  source: Source;
  /** Service that received the request: `signin.amazonaws.com`, `IAM`, `ec2.amazonaws.com`, … */
  service: string;
  /** Operation: `ConsoleLogin`, `login`, `RunInstances`, `createUser`, … */
  action: string;
  category: Category;
  outcome: Outcome;
  error?: { code?: string; message?: string };
  actor: Actor;
  /** The source address exactly as the provider wrote it (may be empty, a host name, `AWS Internal`). */
  sourceAddress: string;
  sourceAddressKind: AddressKind;
  /** Canonical IP text (lower-case compressed IPv6, decimal IPv4), only when the address really is an IP. */
  sourceIp?: string;
  userAgent?: string;
  region?: string;
  /** Account that owns the event (recipient account / domain id). */
  account?: string;
  resource?: Resource;
  compliance?: Compliance;
  /**
   * The MessageId of the SNS notification that delivered the record, when it came inside one. AWS Config
   * notifications over SNS have no id of their own (theirs is synthesized); this leads back to the delivery.
   */
  deliveryId?: string;
  /**
   * Filled after detection, for the events that alert, by the enrichment stage at the edge
   * (shared/enrich): the source address's country and AS, and the account's name. Normalizers never set them.
   */
  geo?: Geo;
  accountName?: string;
  /** The provider record as received. */
  raw: unknown;
}

/** The JSON Schema of TraceEvent. Compiled once (see validate-trace-event.ts). */
export const traceEventSchema = {
  $id: 'https://trailguard.dev/schema/trace-event.json',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'time',
    'cloud',
    'source',
    'service',
    'action',
    'category',
    'outcome',
    'actor',
    'sourceAddress',
    'sourceAddressKind',
    'raw',
  ],
  properties: {
    id: { type: 'string', minLength: 1 },
    time: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' },
    cloud: { enum: CLOUDS },
    source: { enum: SOURCES },
    service: { type: 'string' },
    action: { type: 'string' },
    category: { enum: CATEGORIES },
    outcome: { enum: OUTCOMES },
    error: {
      type: 'object',
      additionalProperties: false,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    actor: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { type: 'string' },
        id: { type: 'string' },
        name: { type: 'string' },
        arn: { type: 'string' },
        account: { type: 'string' },
        accountName: { type: 'string' },
        mfa: { type: 'boolean' },
        accessKeyId: { type: 'string' },
        invokedBy: { type: 'string' },
      },
    },
    sourceAddress: { type: 'string' },
    sourceAddressKind: { enum: ADDRESS_KINDS },
    sourceIp: { type: 'string', minLength: 2 },
    userAgent: { type: 'string' },
    region: { type: 'string' },
    account: { type: 'string' },
    resource: {
      type: 'object',
      additionalProperties: false,
      properties: { type: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' } },
    },
    compliance: {
      type: 'object',
      additionalProperties: false,
      required: ['rule', 'newState'],
      properties: {
        rule: { type: 'string' },
        resourceType: { type: 'string' },
        resourceId: { type: 'string' },
        newState: { enum: ['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE', 'INSUFFICIENT_DATA'] },
        oldState: { enum: ['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE', 'INSUFFICIENT_DATA'] },
        annotation: { type: 'string' },
      },
    },
    deliveryId: { type: 'string', minLength: 1 },
    geo: {
      type: 'object',
      additionalProperties: false,
      // asn is a number: the generated validator takes strings, booleans and objects only, so it is not typed here.
      properties: { country: { type: 'string' }, asn: {}, org: { type: 'string' } },
    },
    accountName: { type: 'string' },
    raw: {},
  },
} as const;

/** The event as printed by `replay --json`: everything but `raw`. */
export type PrintableEvent = Omit<TraceEvent, 'raw'>;

export function withoutRaw(event: TraceEvent): PrintableEvent {
  const { raw: _raw, ...rest } = event;
  return rest;
}
