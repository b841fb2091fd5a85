/**
 * What an envelope unwraps into. Intake is pure: it never fetches; an S3 reference comes back as a
 * `fetch` item and the edge (handler or CLI) fetches the object and feeds its bytes back through intake.
 */

/** What kind of provider record a `record` item holds, i.e. which normalizer takes it. */
export type RecordKind =
  /** One CloudTrail record (eventVersion 1.0x–1.11). */
  | 'cloudtrail'
  /** One Huawei Cloud Trace Service trace. */
  | 'cts'
  /** AWS Config compliance change: the EventBridge event, or the SNS `ComplianceChangeNotification` message object. */
  | 'aws-config'
  /** Huawei Config (RMS) policy-state record or notification. */
  | 'huawei-config'
  /** Huawei Cloud Eye event (e.g. `configurationNoncomplianceNotification`). */
  | 'cloud-eye';

export type IntakeItem =
  | {
      type: 'record';
      kind: RecordKind;
      record: unknown;
      /** Where it came from, human readable: `trail.json.gz#Records[12]`, `event.detail`, `line 7`. */
      position: string;
    }
  | {
      /** An S3 object to fetch and feed back through intake (CloudTrail log file). */
      type: 'fetch';
      bucket: string;
      /** Already URL-decoded. */
      key: string;
      region?: string;
      position: string;
    }
  | {
      /** Deliberately ignored input: digest files, CloudWatch Logs CONTROL_MESSAGE, SNS subscription confirmations. */
      type: 'skipped';
      reason: string;
      position: string;
      /** A short constant naming the kind of skip, counted in summaries (`digest`, `unfetched`). */
      label?: string;
      /** A CloudTrail digest file: skipped by the log-file path, verified by trail-integrity. */
      digest?: { bucket: string; key: string; region?: string };
    }
  | {
      /** Input that could not be understood. Reported (log + counter); the rest of the batch goes on. */
      type: 'rejected';
      reason: string;
      position: string;
      recordId?: string;
    };
