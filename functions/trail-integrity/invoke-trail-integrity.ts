/**
 * One trail-integrity invocation, on any platform:
 * - a scheduled event (EventBridge `Scheduled Event`, FunctionGraph timer) flushes liveness: gap and
 *   resume alerts;
 * - anything else goes through the usual pipeline for tamper events (EventBridge, log files fetched from
 *   S3, CloudWatch Logs, CTS triggers), and, first, every S3 notification in it is recorded for liveness
 *   and every CloudTrail digest it announces is verified.
 * All alerts of the invocation are published together; a failed publish or a retryable read fails the
 * invocation after everything else was done, like invokeDetector. A failing state store fails open: it
 * is logged, and the invocation goes on.
 */
import type { Alert } from '../../shared/alert/alert';
import type { FindingGroup } from '../../shared/detect/detector';
import { errorMessage, isRetryable, SinkError } from '../../shared/errors';
import { isS3BatchInvocation, unwrapEnvelope } from '../../shared/intake/unwrap-envelope';
import type { TraceEvent } from '../../shared/normalize/trace-event';
import { buildAlert, DetectionRun } from '../../shared/pipeline';
import { flushMemory, type InvocationDeps, type InvocationResult } from '../../shared/platform/invoke';
import { type MemoryStage, rememberGroups, suppressFindings, undoOutcome } from '../../shared/memory/memory-stage';
import type { FetchObjectWithMetadata } from '../../shared/platform/s3-fetch';
import { publishAlerts } from '../../shared/sinks/publish-alerts';
import { type KeyFacts, keyFacts } from './digest-format';
import { flushLiveness, isScheduledEvent, type KeyValueStore, recordArrival } from './liveness';
import type { KeyResolver } from './public-keys';
import { detectTrailTampering, integrityEvent, trailIntegrity, type TrailIntegrityConfig } from './trail-integrity';
import { type DigestPointer, verifyArrivedDigest } from './verify-arrival';
import type { FileResult } from './verify-digests';

export interface TrailIntegrityDeps extends InvocationDeps {
  /** Reads digests with their signature metadata; without it digests are not verified. */
  fetchWithMetadata?: FetchObjectWithMetadata;
  resolveKey?: KeyResolver;
  /** The alert-memory state store; without it there is no liveness. */
  store?: KeyValueStore;
}

export interface TrailIntegrityResult extends InvocationResult {
  digestsVerified: number;
  verificationFailures: number;
  unverifiable: number;
  arrivalsRecorded: number;
  livenessAlerts: number;
}

const FAILING = new Set(['invalid', 'missing', 'unlisted']);

/**
 * The alert group of a failed trail file: the trail's stream (bucket, key prefix, account, region, trail)
 * and how the file failed (its kind and status). Failures of many digests of one stream are one alert,
 * and in the alert memory one window: the next ones are held for its roll-up instead of each alerting.
 */
function failureGroup(pointer: DigestPointer, facts: KeyFacts | undefined, result: FileResult): string {
  const stream = facts
    ? [pointer.bucket, facts.prefix, facts.account ?? '', facts.region, facts.trail ?? ''].join('\u0000')
    : `${pointer.bucket}\u0000${pointer.key}`;
  return `${stream}\u0000${result.kind}\u0000${result.status}`;
}

export async function invokeTrailIntegrity(
  config: TrailIntegrityConfig,
  event: unknown,
  deps: TrailIntegrityDeps,
): Promise<TrailIntegrityResult> {
  const { log } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const extra: TraceEvent[] = [];
  const counts = {
    digestsVerified: 0,
    verificationFailures: 0,
    unverifiable: 0,
    arrivalsRecorded: 0,
    livenessAlerts: 0,
  };
  let ingestFailure: unknown;
  let run: DetectionRun<TrailIntegrityConfig> | undefined;
  /** Roll-ups of the alert memory's ended windows, sent by the scheduled flush like every function's. */
  let rolledUpDelivered = 0;
  const memory = deps.memory;

  if (isScheduledEvent(event)) {
    if (memory) rolledUpDelivered = (await flushMemory(trailIntegrity.name, memory, deps)).delivered;
    if (!deps.store) log.warn({}, 'liveness flush without a state store: nothing to check');
    else {
      try {
        const changes = await flushLiveness(deps.store, config, now);
        counts.livenessAlerts = changes.length;
        extra.push(...changes);
      } catch (error) {
        log.error({ err: error }, 'state store failed: liveness not checked');
      }
    }
  } else {
    // An S3 Batch Operations task is a backfill: its files were delivered long ago, so none is an arrival
    // (liveness would take a stopped trail for a delivering one). Digests are verified as ever.
    const backfill = isS3BatchInvocation(event);
    const items = unwrapEnvelope(event, 'event');
    for (const item of items) {
      const pointer: DigestPointer | undefined =
        item.type === 'fetch' ? item : item.type === 'skipped' ? item.digest : undefined;
      if (!pointer) continue;
      const facts = keyFacts(pointer.key);
      if (facts && deps.store && !backfill) {
        try {
          await recordArrival(deps.store, pointer.bucket, facts, now);
          counts.arrivalsRecorded += 1;
        } catch (error) {
          log.error({ err: error, key: pointer.key }, 'state store failed: arrival not recorded');
        }
      }
      // CloudTrail digests come skipped by the intake; CTS digests on OBS (`…/Digest/…_CloudTrace-Digest_…`) as fetches.
      const isDigest = item.type === 'skipped' || (facts?.kind === 'digest' && facts.format === 'cts');
      if (!isDigest || !deps.fetchWithMetadata || !deps.resolveKey) continue;
      try {
        const results = await verifyArrivedDigest(pointer, deps.fetchWithMetadata, deps.resolveKey);
        counts.digestsVerified += 1;
        for (const r of results) {
          if (r.status === 'unverifiable') {
            counts.unverifiable += 1;
            log.warn({ file: r.file, kind: r.kind, reason: r.reason }, 'trail file unverifiable');
          }
          if (!FAILING.has(r.status)) continue;
          counts.verificationFailures += 1;
          extra.push(
            integrityEvent(
              {
                kind: 'digest',
                subject: r.file,
                fileKind: r.kind,
                status: r.status,
                reason: r.reason,
                region: facts?.region,
                account: facts?.account,
                trail: facts?.trail,
                // One group per trail stream and failure, not per digest: an archive whose digests all
                // fail the same way (a backfill of unsigned digests, say) is one alert and a roll-up.
                group: failureGroup(pointer, facts, r),
              },
              now.toISOString(),
              r.file,
            ),
          );
        }
      } catch (error) {
        log.error({ err: error, key: pointer.key }, 'digest could not be verified');
        ingestFailure ??= error;
      }
    }
    run = new DetectionRun(trailIntegrity, config, {
      suppress: memory ? (findings) => suppressFindings(findings, memory.config, now.getTime()).kept : undefined,
      fetchObject: deps.fetchObject,
      maxDecompressedBytes: deps.maxDecompressedBytes,
      onRejected: (rejected) =>
        log.warn(
          { position: rejected.position, recordId: rejected.recordId, reason: rejected.reason },
          'record rejected',
        ),
    });
    try {
      await run.ingest(event, 'event');
    } catch (error) {
      ingestFailure ??= error;
    }
  }

  if (run) await deps.enricher?.enrich(run.groups().map((group) => group.first));
  // Tamper alerts and digest failures go through the alert memory (repeats, dedup window, thresholds,
  // suppressions), like every function's: a digest checked again (a retried task, a backfill run twice, a
  // notification delivered twice) alerts once. Liveness changes are decided by their own state and go as
  // they are.
  const integrity = integrityGroups(config, extra, run ? memory : undefined, now.getTime());
  const groups = [...(run?.groups() ?? []), ...integrity.groups];
  const remembered =
    run && memory ? await rememberGroups(trailIntegrity, config, groups, memory, now.getTime(), log) : undefined;
  const alerts: Alert[] = remembered
    ? remembered.alerts
    : groups.map((group) => buildAlert(trailIntegrity, config, group));
  let delivered = rolledUpDelivered;
  let failure: unknown;
  if (alerts.length > 0) {
    try {
      delivered += (await publishAlerts(alerts, deps.sinks(), log)).delivered;
    } catch (error) {
      failure = error;
      if (remembered && memory) await undoOutcome(trailIntegrity.name, memory, remembered, log);
    }
  }
  const stats = run?.stats;
  if (failure || ingestFailure) {
    const error =
      failure === undefined
        ? ingestFailure
        : failure instanceof SinkError
          ? failure
          : new SinkError(errorMessage(failure), 'unknown', true, { cause: failure });
    log.error(
      { err: error, retryable: isRetryable(error), alerts: alerts.length, records: stats?.records ?? 0, ...counts },
      'invocation failed',
    );
    throw error;
  }
  const result: TrailIntegrityResult = {
    function: trailIntegrity.name,
    records: stats?.records ?? 0,
    alerts: alerts.length,
    delivered,
    rejected: stats?.rejected ?? 0,
    skipped: stats?.skipped ?? 0,
    duplicates: stats?.duplicates ?? 0,
    suppressed: (stats?.suppressed ?? 0) + integrity.suppressed,
    ...(remembered ? { memory: remembered.summary } : {}),
    ...counts,
  };
  log.info(result, 'invocation done');
  return result;
}

/**
 * Digest failures and liveness changes as finding groups, grouped like the pipeline groups findings; with
 * the memory stage, its suppressions apply first (`suppressed`: how many findings they muted).
 */
function integrityGroups(
  config: TrailIntegrityConfig,
  events: readonly TraceEvent[],
  memory: MemoryStage | undefined,
  now: number,
): { groups: FindingGroup[]; suppressed: number } {
  const groups = new Map<string, FindingGroup>();
  const findings = events.flatMap((event) => detectTrailTampering(event, config));
  const kept = memory ? suppressFindings(findings, memory.config, now).kept : findings;
  for (const finding of kept) {
    const { event } = finding;
    const group = groups.get(finding.groupKey);
    if (group) {
      group.count += 1;
      if (group.eventIds.length < 100) group.eventIds.push(event.id);
    } else {
      groups.set(finding.groupKey, {
        rule: finding.rule,
        severity: finding.severity,
        groupKey: finding.groupKey,
        first: event,
        eventIds: [event.id],
        count: 1,
      });
    }
  }
  return { groups: [...groups.values()], suppressed: findings.length - kept.length };
}
