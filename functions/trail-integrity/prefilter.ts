/**
 * trail-integrity's prefilter (shared/prefilter): a CloudTrail record alerts only as one of the tamper
 * actions of tamper-rules.ts (trail, trail bucket, trail key), or as trailguard's own integrity event
 * (eventSource `trailguard`); on CTS only traces of the CTS service. Whatever the configured bucket and key, those event names are parsed; every
 * other record is counted without being parsed. Keep TAMPER_EVENT_NAMES in step with tamper-rules.ts
 * (test/prefilter.test.ts checks that every action the rules name is here).
 */
import { anyOf, fieldIn, fieldWhere, type RecordPrefilter } from '../../shared/prefilter/need';

export const TAMPER_EVENT_NAMES = [
  // CloudTrail itself
  'StopLogging',
  'DeleteTrail',
  'UpdateTrail',
  'PutEventSelectors',
  'PutAdvancedEventSelectors',
  'DeleteEventDataStore',
  'StopEventDataStoreIngestion',
  // the trail bucket
  'DeleteObject',
  'DeleteObjects',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketLifecycle',
  'PutBucketLifecycleConfiguration',
  'DeleteBucket',
  // the trail key
  'DisableKey',
  'ScheduleKeyDeletion',
] as const;

export function trailIntegrityPrefilter(): RecordPrefilter {
  return {
    cloudtrail: anyOf([fieldIn('eventName', TAMPER_EVENT_NAMES), fieldIn('eventSource', ['trailguard'])]),
    // CTS tampering is judged on traces of the CTS service itself (detectTamper), any case.
    cts: fieldWhere(
      'service_type',
      'service_type is CTS or trailguard',
      (type) => type.toUpperCase() === 'CTS' || type === 'trailguard',
    ),
  };
}
