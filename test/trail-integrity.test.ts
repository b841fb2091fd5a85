/**
 * trail-integrity's tamper rules: every rule with a case that fires and one that does not (Panther
 * style), on realistic records from events/, normalized the way every intake path normalizes them.
 */
import { ConfigError } from '../shared/errors';
import { unwrapEnvelope } from '../shared/intake/unwrap-envelope';
import { DetectionRun } from '../shared/pipeline';
import { normalizeCloudTrail, normalizeCts } from '../shared/normalize';
import {
  describeTrailIntegrityAlert,
  detectTrailTampering,
  loadTrailIntegrityConfig,
  trailIntegrity,
} from '../functions/trail-integrity/trail-integrity';
import { judgeEventSelectors, TAMPER_RULES } from '../functions/trail-integrity/tamper-rules';
import { fixture } from './support/fixtures';
import { thrown } from './support/thrown';

const ENV = {
  TRAIL_BUCKETS: 'acme-cloudtrail-111122223333, arn:aws:s3:::acme-cloudtrail-archive',
  TRAIL_KMS_KEYS: 'arn:aws:kms:us-east-1:111122223333:key/3f9c1e7a-5b2d-4c8e-9a1f-6d0b4e2c8a7f',
};
const config = loadTrailIntegrityConfig(ENV);
const bare = loadTrailIntegrityConfig({});

function eventOf(path: string) {
  const record = fixture(path);
  return path.startsWith('huaweicloud/') ? normalizeCts(record) : normalizeCloudTrail(record);
}

describe('trail-integrity tamper rules', () => {
  const cases: Array<[string, string, ReturnType<typeof loadTrailIntegrityConfig>, string | undefined, string?]> = [
    ['StopLogging fires', 'aws/cloudtrail-stop-logging.json', bare, TAMPER_RULES.loggingStopped, 'critical'],
    [
      'a refused StopLogging fires one severity lower',
      'aws/cloudtrail-stop-logging-refused.json',
      bare,
      TAMPER_RULES.loggingStopped,
      'high',
    ],
    ['DeleteTrail fires', 'aws/cloudtrail-delete-trail.json', bare, TAMPER_RULES.trailDeleted, 'critical'],
    [
      'UpdateTrail turning validation off is critical',
      'aws/cloudtrail-update-trail-validation-off.json',
      bare,
      TAMPER_RULES.trailUpdated,
      'critical',
    ],
    [
      'PutEventSelectors to write-only narrows',
      'aws/cloudtrail-put-event-selectors-write-only.json',
      bare,
      TAMPER_RULES.selectorsNarrowed,
      'high',
    ],
    [
      'PutEventSelectors that keeps all management events is low',
      'aws/cloudtrail-put-event-selectors-add-data.json',
      bare,
      TAMPER_RULES.selectorsNarrowed,
      'low',
    ],
    [
      'PutAdvancedEventSelectors excluding KMS narrows',
      'aws/cloudtrail-put-advanced-event-selectors-exclude-kms.json',
      bare,
      TAMPER_RULES.selectorsNarrowed,
      'high',
    ],
    [
      'DeleteEventDataStore fires',
      'aws/cloudtrail-delete-event-data-store.json',
      bare,
      TAMPER_RULES.eventDataStoreDeleted,
      'high',
    ],
    ['DescribeTrails (read-only) is quiet', 'aws/cloudtrail-describe-trails.json', config, undefined],
    ['GetTrailStatus (read-only) is quiet', 'aws/cloudtrail-get-trail-status.json', config, undefined],
    ['an ordinary API call is quiet', 'aws/cloudtrail-api-call-success.json', config, undefined],
    [
      'DeleteObject in a trail bucket fires',
      'aws/s3-delete-object-trail-bucket.json',
      config,
      TAMPER_RULES.bucketTampered,
      'high',
    ],
    [
      'DeleteObject in a trail bucket is quiet without TRAIL_BUCKETS',
      'aws/s3-delete-object-trail-bucket.json',
      bare,
      undefined,
    ],
    ['DeleteObject in another bucket is quiet', 'aws/s3-delete-object-other-bucket.json', config, undefined],
    [
      'PutBucketLifecycle on a trail bucket fires',
      'aws/s3-put-bucket-lifecycle-trail-bucket.json',
      config,
      TAMPER_RULES.bucketTampered,
      'high',
    ],
    [
      'ScheduleKeyDeletion of the trail key fires (matched by id against a configured ARN)',
      'aws/kms-schedule-key-deletion-trail-key.json',
      config,
      TAMPER_RULES.kmsKeyDisabled,
      'critical',
    ],
    [
      'ScheduleKeyDeletion is quiet without TRAIL_KMS_KEYS',
      'aws/kms-schedule-key-deletion-trail-key.json',
      bare,
      undefined,
    ],
    ['DisableKey of another key is quiet', 'aws/kms-disable-key-other-key.json', config, undefined],
    ['CTS deleteTracker fires', 'huaweicloud/cts-delete-tracker.json', bare, TAMPER_RULES.trackerDeleted, 'critical'],
    [
      'CTS updateTracker disabling the tracker is critical',
      'huaweicloud/cts-update-tracker-disabled.json',
      bare,
      TAMPER_RULES.trackerUpdated,
      'critical',
    ],
    [
      'a refused CTS updateNotificationStatus fires lower',
      'huaweicloud/cts-update-notification-status-refused.json',
      bare,
      TAMPER_RULES.notificationChanged,
      'medium',
    ],
    ['CTS listTrackers (read-only) is quiet', 'huaweicloud/cts-list-trackers.json', bare, undefined],
    ['an ordinary CTS call is quiet', 'huaweicloud/cts-api-call-forbidden.json', bare, undefined],
  ];

  it.each(cases)('%s', (_name, path, cfg, rule, ...severity) => {
    const findings = detectTrailTampering(eventOf(path), cfg);
    if (rule === undefined) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([[rule, severity[0]]]);
  });

  it('a readOnly call never alerts, even with a tamper action name', () => {
    const record = { ...(fixture('aws/cloudtrail-stop-logging.json') as object), readOnly: true };
    expect(detectTrailTampering(normalizeCloudTrail(record), bare)).toEqual([]);
  });

  it('a CloudTrail action name from another service does not alert', () => {
    const record = { ...(fixture('aws/cloudtrail-stop-logging.json') as object), eventSource: 'ec2.amazonaws.com' };
    expect(detectTrailTampering(normalizeCloudTrail(record), bare)).toEqual([]);
  });
});

describe('what narrowing event selectors means', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no selectors at all', { eventSelectors: [] }, 'narrow'],
    ['management events excluded', { eventSelectors: [{ includeManagementEvents: false }] }, 'narrow'],
    ['read-only management events', { eventSelectors: [{ readWriteType: 'ReadOnly' }] }, 'narrow'],
    [
      'an excluded event source',
      { eventSelectors: [{ readWriteType: 'All', excludeManagementEventSources: ['kms.amazonaws.com'] }] },
      'narrow',
    ],
    ['all management events (defaults)', { eventSelectors: [{}] }, 'unsure'],
    [
      'advanced: management events only',
      { advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] }] },
      'unsure',
    ],
    [
      'advanced: readOnly condition on management events',
      {
        advancedEventSelectors: [
          {
            fieldSelectors: [
              { field: 'eventCategory', equals: ['Management'] },
              { field: 'readOnly', equals: ['false'] },
            ],
          },
        ],
      },
      'narrow',
    ],
    [
      'advanced: data events only',
      { advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] }] },
      'narrow',
    ],
    ['the record does not show them', {}, 'unknown'],
  ];
  it.each(cases)('%s', (_name, params, verdict) => {
    expect(judgeEventSelectors(params as Record<string, unknown>).verdict).toBe(verdict);
  });
});

describe('trail-integrity configuration', () => {
  it('reads buckets (names or ARNs), keys (ids, ARNs, aliases) and gaps', () => {
    const cfg = loadTrailIntegrityConfig({
      TRAIL_BUCKETS: 'a-bucket arn:aws:s3:::b.bucket',
      TRAIL_KMS_KEYS: 'mrk-0123456789abcdef0123456789abcdef, alias/cloudtrail',
      DELIVERY_GAP: 'logs=45m, digests=3h',
    });
    expect([...cfg.trailBuckets]).toEqual(['a-bucket', 'b.bucket']);
    expect([...cfg.trailKmsKeys]).toEqual(['mrk-0123456789abcdef0123456789abcdef', 'alias/cloudtrail']);
    expect([cfg.logDeliveryGapMs, cfg.digestDeliveryGapMs]).toEqual([45 * 60_000, 3 * 3_600_000]);
    expect(bare.logDeliveryGapMs).toBe(30 * 60_000);
    expect(bare.digestDeliveryGapMs).toBe(2 * 3_600_000);
  });

  it('lists every bad bucket, key and gap in one error', () => {
    const error = thrown(() =>
      loadTrailIntegrityConfig({
        TRAIL_BUCKETS: 'Upper_Case, ok-bucket, 192.168.1.1, a',
        TRAIL_KMS_KEYS: 'not-a-key, arn:aws:kms:us-east-1:111122223333:key/zzz',
        DELIVERY_GAP: 'soon, digests=10m',
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    for (const bad of ['Upper_Case', '192.168.1.1', '"a"', 'not-a-key', 'key/zzz', 'soon', 'under 1h'])
      expect(problems.join('\n')).toContain(bad);
    expect(problems).toHaveLength(7);
  });
});

describe('trail-integrity alerts', () => {
  it('names the target, the action, who and the refusal', () => {
    const run = new DetectionRun(trailIntegrity, config);
    run.ingestRecord('cloudtrail', fixture('aws/cloudtrail-stop-logging-refused.json'), 'test');
    const [alert] = run.alerts();
    expect(alert.subject).toBe('trailguard: refused attempt: CloudTrail logging stopped: management-events');
    expect(alert.message).toContain('Target: arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events');
    expect(alert.message).toContain('Action: cloudtrail.amazonaws.com StopLogging');
    expect(alert.message).toContain('Error: AccessDenied');
    expect(alert.message).toContain('Who: DevOps/dev.kowalski (AssumedRole');
    expect(alert.severity).toBe('high');
  });

  it('explains why selectors count as narrowed', () => {
    const event = eventOf('aws/cloudtrail-put-advanced-event-selectors-exclude-kms.json');
    const [finding] = detectTrailTampering(event, bare);
    const text = describeTrailIntegrityAlert(
      { ...finding, first: event, eventIds: [event.id], count: 1 },
      bare,
    ).message;
    expect(text).toContain('Details: management events are filtered (readOnly or eventSource conditions)');
  });
});

describe('digest notifications in the shared intake', () => {
  it('stay skipped for every function, and carry the pointer trail-integrity verifies', () => {
    const [item] = unwrapEnvelope(fixture('aws/envelope-s3-digest-created.json'), 'event');
    expect(item).toMatchObject({
      type: 'skipped',
      digest: {
        bucket: 'trailguard-demo-trail',
        key: expect.stringContaining('/CloudTrail-Digest/us-east-1/'),
        region: 'us-east-1',
      },
    });
  });
});
