/**
 * Tamper rules: calls that stop, delete, narrow or blind the audit trail itself (CloudTrail trails and
 * event data stores, the trail's S3 bucket and KMS key, CTS trackers and key-event notifications).
 * Pure: each rule looks at one normalized event (and its provider record in `raw`).
 *
 * A refused attempt alerts one severity lower than the call would have: someone tried. Read-only calls
 * never alert (none is in the tables below, and `readOnly` / `read_only` true is checked again).
 */
import type { Severity } from '../../shared/alert/alert';
import type { TraceEvent } from '../../shared/normalize/trace-event';
import { asBoolean, isRecord, own, parseJsonText } from '../../shared/normalize/read-fields';

export interface TamperConfig {
  /** S3 bucket names that hold the trail (TRAIL_BUCKETS). */
  trailBuckets: ReadonlySet<string>;
  /** KMS keys that encrypt the trail (TRAIL_KMS_KEYS): key ids, key ARNs, alias names, alias ARNs. */
  trailKmsKeys: ReadonlySet<string>;
}

export interface TamperFinding {
  rule: string;
  severity: Severity;
  /** One line: what was done to which part of the trail. */
  summary: string;
  /** What the call targeted: trail name / ARN, bucket, key id, tracker name. */
  target: string;
  /** Extra facts for the alert: why it counts as narrowing, which parameters weakened the trail. */
  details: string[];
}

export const TAMPER_RULES = {
  loggingStopped: 'trail-logging-stopped',
  trailDeleted: 'trail-deleted',
  trailUpdated: 'trail-updated',
  selectorsNarrowed: 'trail-event-selectors-narrowed',
  eventDataStoreDeleted: 'event-data-store-deleted',
  bucketTampered: 'trail-bucket-tampered',
  kmsKeyDisabled: 'trail-kms-key-disabled',
  trackerDeleted: 'cts-tracker-deleted',
  trackerUpdated: 'cts-tracker-updated',
  notificationChanged: 'cts-notification-changed',
} as const;

const LOWER: Record<Severity, Severity> = { critical: 'high', high: 'medium', medium: 'low', low: 'low' };

type RequestParameters = Record<string, unknown> | undefined;

function requestParameters(event: TraceEvent): RequestParameters {
  const value = own(event.raw, 'requestParameters');
  return isRecord(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** `arn:aws:cloudtrail:us-east-1:111122223333:trail/main` → `main`; a plain name stays as it is. */
function trailOf(params: RequestParameters): string {
  return text(own(params, 'name')) ?? text(own(params, 'trailName')) ?? 'unknown trail';
}

// --- CloudTrail ---------------------------------------------------------------------------------

/**
 * UpdateTrail parameters that make the trail record less, or make its files unverifiable. A change of
 * bucket, prefix, SNS topic or KMS key is not weakening by itself but moves the trail somewhere we may
 * not watch: it alerts at `high` either way.
 */
function weakeningUpdates(params: RequestParameters): string[] {
  const found: string[] = [];
  const flag = (name: string) => asBoolean(own(params, name));
  if (flag('enableLogFileValidation') === false) found.push('log file validation turned off');
  if (flag('isMultiRegionTrail') === false) found.push('no longer a multi-region trail');
  if (flag('includeGlobalServiceEvents') === false) found.push('global service events (IAM, STS) excluded');
  if (flag('isOrganizationTrail') === false) found.push('no longer an organization trail');
  const kms = own(params, 'kmsKeyId');
  if (kms === '') found.push('KMS encryption removed');
  return found;
}

function movedDestinations(params: RequestParameters): string[] {
  const moved: string[] = [];
  for (const [name, label] of [
    ['s3BucketName', 'bucket'],
    ['s3KeyPrefix', 'prefix'],
    ['kmsKeyId', 'KMS key'],
    ['snsTopicName', 'SNS topic'],
    ['cloudWatchLogsLogGroupArn', 'CloudWatch Logs group'],
  ] as const) {
    const value = own(params, name);
    if (typeof value === 'string' && value !== '') moved.push(`${label} set to ${value}`);
  }
  return moved;
}

/**
 * Whether the selectors of a PutEventSelectors / PutAdvancedEventSelectors call still record every
 * management event. The previous selectors are not in the record, so "narrow" means: after this call,
 * management events (reads and writes, every event source) are no longer all recorded. That is what
 * an attacker changes to hide their calls. A call that keeps full management events but changes data
 * event selectors might still hide data access: `unsure`, alerted at low severity.
 */
export type SelectorVerdict = { verdict: 'narrow' | 'unsure' | 'unknown'; reason: string };

export function judgeEventSelectors(params: RequestParameters): SelectorVerdict {
  const basic = own(params, 'eventSelectors');
  const advanced = own(params, 'advancedEventSelectors');
  if (Array.isArray(advanced)) return judgeAdvancedSelectors(advanced);
  if (Array.isArray(basic)) return judgeBasicSelectors(basic);
  return { verdict: 'unknown', reason: 'the record does not show the new selectors' };
}

function judgeBasicSelectors(selectors: unknown[]): SelectorVerdict {
  if (selectors.length === 0) return { verdict: 'narrow', reason: 'no event selectors left: nothing is recorded' };
  const full = selectors.some((selector) => {
    const include = asBoolean(own(selector, 'includeManagementEvents'));
    const readWrite = text(own(selector, 'readWriteType')) ?? 'All';
    const excluded = own(selector, 'excludeManagementEventSources');
    return (
      include !== false && readWrite.toLowerCase() === 'all' && (!Array.isArray(excluded) || excluded.length === 0)
    );
  });
  if (full)
    return { verdict: 'unsure', reason: 'management events still fully recorded; data event selectors changed' };
  const partial = selectors.some((selector) => asBoolean(own(selector, 'includeManagementEvents')) !== false);
  return {
    verdict: 'narrow',
    reason: partial
      ? 'management events are only partly recorded (read-only or write-only, or event sources excluded)'
      : 'management events are no longer recorded',
  };
}

function fieldSelectors(selector: unknown): { field: string; op: string; values: string[] }[] {
  const list = own(selector, 'fieldSelectors');
  if (!Array.isArray(list)) return [];
  const out: { field: string; op: string; values: string[] }[] = [];
  for (const entry of list) {
    const field = text(own(entry, 'field'));
    if (!field) continue;
    for (const op of ['equals', 'notEquals', 'startsWith', 'notStartsWith', 'endsWith', 'notEndsWith']) {
      const values = own(entry, op);
      if (Array.isArray(values)) out.push({ field, op, values: values.filter((v) => typeof v === 'string') });
    }
  }
  return out;
}

function judgeAdvancedSelectors(selectors: unknown[]): SelectorVerdict {
  if (selectors.length === 0) return { verdict: 'narrow', reason: 'no event selectors left: nothing is recorded' };
  let management = false;
  for (const selector of selectors) {
    const fields = fieldSelectors(selector);
    const isManagement = fields.some(
      (f) => f.field === 'eventCategory' && f.op === 'equals' && f.values.includes('Management'),
    );
    if (!isManagement) continue;
    management = true;
    // Anything beyond `eventCategory = Management` on a management selector filters some of them out.
    if (fields.every((f) => f.field === 'eventCategory'))
      return { verdict: 'unsure', reason: 'management events still fully recorded; other selectors changed' };
  }
  return {
    verdict: 'narrow',
    reason: management
      ? 'management events are filtered (readOnly or eventSource conditions)'
      : 'no selector records management events any more',
  };
}

function detectCloudTrail(event: TraceEvent): TamperFinding | undefined {
  const params = requestParameters(event);
  switch (event.action) {
    case 'StopLogging':
      return {
        rule: TAMPER_RULES.loggingStopped,
        severity: 'critical',
        summary: 'CloudTrail logging stopped',
        target: trailOf(params),
        details: [],
      };
    case 'DeleteTrail':
      return {
        rule: TAMPER_RULES.trailDeleted,
        severity: 'critical',
        summary: 'CloudTrail trail deleted',
        target: trailOf(params),
        details: [],
      };
    case 'UpdateTrail': {
      const weakened = weakeningUpdates(params);
      return {
        rule: TAMPER_RULES.trailUpdated,
        severity: weakened.length > 0 ? 'critical' : 'high',
        summary: weakened.length > 0 ? 'CloudTrail trail weakened' : 'CloudTrail trail changed',
        target: trailOf(params),
        details: [...weakened, ...movedDestinations(params)],
      };
    }
    case 'PutEventSelectors':
    case 'PutAdvancedEventSelectors': {
      const { verdict, reason } = judgeEventSelectors(params);
      return {
        rule: TAMPER_RULES.selectorsNarrowed,
        severity: verdict === 'narrow' ? 'high' : verdict === 'unknown' ? 'medium' : 'low',
        summary:
          verdict === 'narrow'
            ? 'CloudTrail event selectors narrowed'
            : verdict === 'unknown'
              ? 'CloudTrail event selectors changed (could not tell whether they narrow)'
              : 'CloudTrail event selectors changed',
        target: trailOf(params),
        details: [reason],
      };
    }
    case 'DeleteEventDataStore':
    case 'StopEventDataStoreIngestion':
      return {
        rule: TAMPER_RULES.eventDataStoreDeleted,
        severity: 'high',
        summary:
          event.action === 'DeleteEventDataStore'
            ? 'CloudTrail Lake event data store deleted'
            : 'CloudTrail Lake ingestion stopped',
        target: text(own(params, 'eventDataStore')) ?? 'unknown event data store',
        details: [],
      };
    default:
      return undefined;
  }
}

// --- S3 and KMS (only for the configured trail bucket and key) ------------------------------------

const BUCKET_ACTIONS: Record<string, { severity: Severity; summary: string }> = {
  DeleteObject: { severity: 'high', summary: 'object deleted from the trail bucket' },
  DeleteObjects: { severity: 'high', summary: 'objects deleted from the trail bucket' },
  PutBucketPolicy: { severity: 'medium', summary: 'trail bucket policy replaced' },
  DeleteBucketPolicy: { severity: 'medium', summary: 'trail bucket policy deleted' },
  PutBucketLifecycle: { severity: 'high', summary: 'trail bucket lifecycle (expiration) changed' },
  PutBucketLifecycleConfiguration: { severity: 'high', summary: 'trail bucket lifecycle (expiration) changed' },
  DeleteBucket: { severity: 'critical', summary: 'trail bucket deleted' },
};

function detectS3(event: TraceEvent, config: TamperConfig): TamperFinding | undefined {
  const action = Object.hasOwn(BUCKET_ACTIONS, event.action) ? BUCKET_ACTIONS[event.action] : undefined;
  if (!action || config.trailBuckets.size === 0) return undefined;
  const params = requestParameters(event);
  const bucket = text(own(params, 'bucketName'));
  if (!bucket || !config.trailBuckets.has(bucket)) return undefined;
  const key = text(own(params, 'key'));
  return {
    rule: TAMPER_RULES.bucketTampered,
    severity: action.severity,
    summary: action.summary,
    target: key ? `s3://${bucket}/${key}` : `s3://${bucket}`,
    details: [],
  };
}

/** `arn:aws:kms:…:key/<id>` → `<id>`; `arn:aws:kms:…:alias/x` → `alias/x`; ids and aliases unchanged. */
export function kmsKeyIdentity(value: string): string {
  const m = /^arn:aws[a-z-]*:kms:[^:]*:\d{12}:((?:key|alias)\/.+)$/.exec(value);
  if (!m) return value;
  return m[1].startsWith('key/') ? m[1].slice(4) : m[1];
}

function detectKms(event: TraceEvent, config: TamperConfig): TamperFinding | undefined {
  if (event.action !== 'DisableKey' && event.action !== 'ScheduleKeyDeletion') return undefined;
  if (config.trailKmsKeys.size === 0) return undefined;
  const params = requestParameters(event);
  const candidates = [text(own(params, 'keyId'))];
  const resources = own(event.raw, 'resources');
  if (Array.isArray(resources)) for (const resource of resources) candidates.push(text(own(resource, 'ARN')));
  const hit = candidates.find((c) => c !== undefined && config.trailKmsKeys.has(kmsKeyIdentity(c)));
  if (!hit) return undefined;
  const days = own(params, 'pendingWindowInDays');
  return {
    rule: TAMPER_RULES.kmsKeyDisabled,
    severity: 'critical',
    summary:
      event.action === 'DisableKey'
        ? 'the trail KMS key was disabled: CloudTrail can no longer write log files'
        : 'the trail KMS key was scheduled for deletion: its log files will become unreadable',
    target: hit,
    details: typeof days === 'number' ? [`pending window ${days} days`] : [],
  };
}

// --- Huawei CTS ---------------------------------------------------------------------------------

function ctsRequest(event: TraceEvent): Record<string, unknown> | undefined {
  const request = parseJsonText(own(event.raw, 'request'));
  return isRecord(request) ? (request as Record<string, unknown>) : undefined;
}

function ctsTarget(event: TraceEvent, request: Record<string, unknown> | undefined, fallback: string): string {
  return (
    text(own(request, 'tracker_name')) ??
    text(own(request, 'notification_name')) ??
    event.resource?.name ??
    event.resource?.id ??
    fallback
  );
}

function detectCts(event: TraceEvent): TamperFinding | undefined {
  const request = ctsRequest(event);
  const status = text(own(request, 'status'))?.toLowerCase();
  switch (event.action.toLowerCase()) {
    case 'deletetracker':
      return {
        rule: TAMPER_RULES.trackerDeleted,
        severity: 'critical',
        summary: 'CTS tracker deleted',
        target: ctsTarget(event, request, 'unknown tracker'),
        details: [],
      };
    case 'updatetracker': {
      // updateTracker is also how a tracker is disabled (`"status": "disabled"`).
      const weakened: string[] = [];
      if (status === 'disabled') weakened.push('tracker disabled');
      if (asBoolean(own(request, 'is_support_validate')) === false) weakened.push('trace file verification turned off');
      if (asBoolean(own(request, 'is_lts_enabled')) === false) weakened.push('LTS delivery turned off');
      return {
        rule: TAMPER_RULES.trackerUpdated,
        severity: weakened.length > 0 ? 'critical' : 'high',
        summary: weakened.length > 0 ? 'CTS tracker weakened' : 'CTS tracker changed',
        target: ctsTarget(event, request, 'unknown tracker'),
        details: weakened,
      };
    }
    case 'deletenotification':
    case 'updatenotification':
    case 'updatenotificationstatus': {
      const deleted = event.action.toLowerCase() === 'deletenotification';
      const disabled = status === 'disabled';
      return {
        rule: TAMPER_RULES.notificationChanged,
        severity: deleted || disabled ? 'high' : 'medium',
        summary: deleted
          ? 'CTS key-event notification deleted'
          : disabled
            ? 'CTS key-event notification disabled'
            : 'CTS key-event notification changed',
        target: ctsTarget(event, request, 'unknown notification'),
        details: [],
      };
    }
    default:
      return undefined;
  }
}

function isReadOnly(event: TraceEvent): boolean {
  const flag = event.source === 'cts' ? own(event.raw, 'read_only') : own(event.raw, 'readOnly');
  return asBoolean(flag) === true;
}

/** The tamper finding for one event, if it is one. */
export function detectTamper(event: TraceEvent, config: TamperConfig): TamperFinding | undefined {
  if (isReadOnly(event)) return undefined;
  let finding: TamperFinding | undefined;
  if (event.source === 'cloudtrail') {
    if (event.service === 'cloudtrail.amazonaws.com') finding = detectCloudTrail(event);
    else if (event.service === 's3.amazonaws.com') finding = detectS3(event, config);
    else if (event.service === 'kms.amazonaws.com') finding = detectKms(event, config);
  } else if (event.source === 'cts' && event.service.toUpperCase() === 'CTS') {
    finding = detectCts(event);
  }
  if (!finding) return undefined;
  if (event.outcome === 'failure') {
    return { ...finding, severity: LOWER[finding.severity], summary: `refused attempt: ${finding.summary}` };
  }
  return finding;
}

/** For the alert's `Error:` line of a refused attempt. */
export function refusalOf(event: TraceEvent): string | undefined {
  if (event.outcome !== 'failure') return undefined;
  return [event.error?.code, event.error?.message].filter(Boolean).join(': ') || 'refused';
}
