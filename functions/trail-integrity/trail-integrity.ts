/**
 * trail-integrity: alerts when the audit trail itself is attacked. Three kinds of findings share one
 * alert path:
 * - tamper events (tamper-rules.ts): CloudTrail / CTS calls that stop, delete or narrow the trail;
 * - digest failures (verify-digests.ts): a digest or log file whose signature or hash does not verify;
 * - delivery gaps (liveness.ts): no log file or digest arrived for longer than DELIVERY_GAP.
 * The last two are not provider events; they travel as synthetic trace events (source `cloudtrail`,
 * action `DigestVerification` / `DeliveryGap`) whose `raw` holds the facts, so the alert text, the
 * dedup id and every sink work unchanged. Pure: config from an env map, detection and text from events.
 */
import { formatFields, inlineValue, safeSubject } from '../../shared/alert/alert-text';
import { describeActor, describeSourceAddress, describeWhere, eventIdLines } from '../../shared/alert/alert-fields';
import type { Severity } from '../../shared/alert/alert';
import type { Detector, Finding, FindingGroup } from '../../shared/detect/detector';
import { own } from '../../shared/normalize/read-fields';
import type { TraceEvent } from '../../shared/normalize/trace-event';
import { ConfigProblems, readEnv, type Env } from '../../shared/platform/env-config';
import { detectTamper, kmsKeyIdentity, refusalOf, type TamperConfig } from './tamper-rules';
import { trailIntegrityPrefilter } from './prefilter';

export interface TrailIntegrityConfig extends TamperConfig {
  /** Alert when no log file arrived for this long (ms). */
  logDeliveryGapMs: number;
  /** Alert when no digest arrived for this long (ms). */
  digestDeliveryGapMs: number;
}

export const RULE_DIGEST_FAILURE = 'digest-verification-failed';
export const RULE_DELIVERY_GAP = 'trail-delivery-gap';
export const RULE_DELIVERY_RESUMED = 'trail-delivery-resumed';

export const DEFAULT_LOG_GAP_MS = 30 * 60_000;
export const DEFAULT_DIGEST_GAP_MS = 2 * 3600_000;

// S3 bucket naming rules (general purpose buckets): 3–63 characters of lower-case letters, digits, dots and
// hyphens, starting and ending with a letter or digit, not shaped like an IP address, no `..`.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KMS_KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const KMS_ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/.+$/;

function listOf(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

export function bucketProblem(name: string): string | undefined {
  if (!BUCKET_NAME.test(name)) return 'not a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)';
  if (name.includes('..')) return 'not a valid S3 bucket name (two dots in a row)';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'not a valid S3 bucket name (shaped like an IP address)';
  return undefined;
}

export function kmsKeyProblem(value: string): string | undefined {
  if (KMS_KEY_ID.test(value) || KMS_ALIAS.test(value)) return undefined;
  if (KMS_ARN.test(value)) {
    const identity = kmsKeyIdentity(value);
    if (KMS_KEY_ID.test(identity) || KMS_ALIAS.test(identity)) return undefined;
  }
  return 'not a KMS key id (UUID or mrk-…), key ARN, alias/<name> or alias ARN';
}

/** `90s`, `30m`, `2h`, `1d` (a bare number is minutes) → milliseconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d{1,6})\s*([smhd]?)$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, '': 60_000 }[m[2].toLowerCase() as 's'];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : undefined;
}

/**
 * DELIVERY_GAP: one duration (log files; digests keep their 2h default) or `logs=30m,digests=2h`.
 * Under an hour for digests would alert every hour: CloudTrail delivers them hourly.
 */
function readDeliveryGap(env: Env, problems: ConfigProblems): { logs: number; digests: number } {
  const gap = { logs: DEFAULT_LOG_GAP_MS, digests: DEFAULT_DIGEST_GAP_MS };
  const found = readEnv(env, 'DELIVERY_GAP');
  if (!found) return gap;
  for (const part of found.value.split(',').map((p) => p.trim())) {
    const m = /^(?:(logs|digests)\s*=\s*)?(.+)$/i.exec(part);
    const which = (m?.[1]?.toLowerCase() ?? 'logs') as 'logs' | 'digests';
    const ms = m ? parseDuration(m[2]) : undefined;
    if (ms === undefined) {
      problems.add(`DELIVERY_GAP: ${JSON.stringify(part)} is not a duration (e.g. 30m, 2h, logs=30m,digests=2h)`);
      continue;
    }
    gap[which] = ms;
  }
  if (gap.digests < 3_600_000)
    problems.add('DELIVERY_GAP: digests are delivered hourly; a digest gap under 1h would alert every hour');
  return gap;
}

export function loadTrailIntegrityConfig(env: Env): TrailIntegrityConfig {
  const problems = new ConfigProblems();
  const buckets = new Set<string>();
  for (const entry of listOf(readEnv(env, 'TRAIL_BUCKETS')?.value ?? '')) {
    const name = entry.startsWith('arn:aws:s3:::') ? entry.slice('arn:aws:s3:::'.length) : entry;
    const problem = bucketProblem(name);
    if (problem) problems.add(`TRAIL_BUCKETS: ${JSON.stringify(entry)} is ${problem}`);
    else buckets.add(name);
  }
  const keys = new Set<string>();
  for (const entry of listOf(readEnv(env, 'TRAIL_KMS_KEYS')?.value ?? '')) {
    const problem = kmsKeyProblem(entry);
    if (problem) problems.add(`TRAIL_KMS_KEYS: ${JSON.stringify(entry)} is ${problem}`);
    else keys.add(kmsKeyIdentity(entry));
  }
  const gap = readDeliveryGap(env, problems);
  problems.throwIfAny('trail-integrity');
  return { trailBuckets: buckets, trailKmsKeys: keys, logDeliveryGapMs: gap.logs, digestDeliveryGapMs: gap.digests };
}

// --- synthetic events for digest failures and delivery gaps -----------------------------------------

export interface IntegrityFacts {
  kind: 'digest' | 'gap' | 'resumed';
  /** The file (S3 key or path) or the stream (`log files of s3://bucket/prefix account 1111 region x`). */
  subject: string;
  fileKind?: 'log' | 'digest';
  status?: string;
  reason: string;
  account?: string;
  region?: string;
  trail?: string;
  lastSeen?: string;
  /** Findings with the same group become one alert (every missing log file of one digest, say). */
  group?: string;
}

const ACTION_BY_KIND = { digest: 'DigestVerification', gap: 'DeliveryGap', resumed: 'DeliveryResumed' } as const;

/** A trace event standing for a digest failure or a delivery gap (see the module comment). */
export function integrityEvent(facts: IntegrityFacts, time: string, id: string): TraceEvent {
  const event: TraceEvent = {
    id,
    time,
    cloud: facts.subject.includes('CloudTrace') ? 'huaweicloud' : 'aws',
    source: facts.subject.includes('CloudTrace') ? 'cts' : 'cloudtrail',
    service: 'trailguard',
    action: ACTION_BY_KIND[facts.kind],
    category: 'service-event',
    outcome: facts.kind === 'resumed' ? 'success' : 'failure',
    actor: { type: 'trailguard' },
    sourceAddress: '',
    sourceAddressKind: 'empty',
    raw: facts,
  };
  if (facts.region) event.region = facts.region;
  if (facts.account) event.account = facts.account;
  return event;
}

function factsOf(event: TraceEvent): IntegrityFacts | undefined {
  return event.service === 'trailguard' && own(event.raw, 'kind') !== undefined
    ? (event.raw as IntegrityFacts)
    : undefined;
}

export function integrityFinding(facts: IntegrityFacts, event: TraceEvent): Finding {
  const rule =
    facts.kind === 'digest' ? RULE_DIGEST_FAILURE : facts.kind === 'gap' ? RULE_DELIVERY_GAP : RULE_DELIVERY_RESUMED;
  const severity: Severity =
    facts.kind === 'resumed' ? 'low' : facts.kind === 'gap' ? 'high' : facts.status === 'invalid' ? 'critical' : 'high';
  return { rule, severity, event, groupKey: `${rule}\u0000${facts.group ?? facts.subject}` };
}

// --- the detector ----------------------------------------------------------------------------------

export function detectTrailTampering(event: TraceEvent, config: TrailIntegrityConfig): Finding[] {
  const facts = factsOf(event);
  if (facts) return [integrityFinding(facts, event)];
  const finding = detectTamper(event, config);
  if (!finding) return [];
  const who = event.actor.arn ?? event.actor.id ?? event.actor.name ?? '';
  return [
    {
      rule: finding.rule,
      severity: finding.severity,
      event,
      groupKey: `${finding.rule}\u0000${event.outcome}\u0000${finding.target}\u0000${event.action}\u0000${who}`,
    },
  ];
}

/**
 * Where a failed file belongs, short enough for a subject (file names are ~100 characters, and the subject's
 * limit would cut off what tells them apart): account, region and trail, or the file name without them.
 */
function streamOf(facts: IntegrityFacts): string {
  const parts = [facts.account, facts.region, facts.trail && `trail ${facts.trail}`].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : (facts.subject.split('/').pop() ?? facts.subject);
}

/** Every file of one trail stream that failed the same way shares an alert; the ids are the file names. */
function filesLine(group: FindingGroup): string {
  const listed = group.eventIds.slice(0, 5).map((id) => inlineValue(id, 300));
  const more = group.count - listed.length;
  return `Files: ${group.count} (first: ${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''})`;
}

function describeIntegrity(group: FindingGroup, facts: IntegrityFacts): { subject: string; message: string } {
  const file = inlineValue(facts.subject, 300);
  if (facts.kind === 'digest') {
    const status = facts.status ?? 'invalid';
    return {
      subject: safeSubject(
        `trailguard: trail ${facts.fileKind ?? 'file'} ${status}: ${streamOf(facts)}${group.count > 1 ? ` and ${group.count - 1} more` : ''}`,
      ),
      message: [
        `Trail integrity check failed: ${facts.fileKind ?? 'file'} ${status}`,
        '',
        formatFields([
          ['Rule', group.rule],
          ['File', facts.subject],
          ['Kind', facts.fileKind],
          ['Status', status],
          ['Reason', facts.reason],
          ['Trail', facts.trail],
          ['Where', describeWhere(group.first)],
          ['Checked', group.first.time],
        ]),
        ...(group.count > 1 ? [filesLine(group)] : []),
      ].join('\n'),
    };
  }
  const resumed = facts.kind === 'resumed';
  return {
    subject: safeSubject(
      resumed
        ? `trailguard: trail deliveries resumed: ${facts.subject}`
        : `trailguard: no trail deliveries: ${facts.subject}`,
    ),
    message: [
      resumed ? `Trail deliveries resumed: ${file}` : `Trail deliveries stopped: ${file}`,
      '',
      formatFields([
        ['Rule', group.rule],
        ['Stream', facts.subject],
        ['Reason', facts.reason],
        ['Last seen', facts.lastSeen],
        ['Trail', facts.trail],
        ['Where', describeWhere(group.first)],
        ['Checked', group.first.time],
      ]),
    ].join('\n'),
  };
}

export function describeTrailIntegrityAlert(
  group: FindingGroup,
  config: TrailIntegrityConfig,
): { subject: string; message: string } {
  const event = group.first;
  const facts = factsOf(event);
  if (facts) return describeIntegrity(group, facts);
  const finding = detectTamper(event, config);
  const summary = finding?.summary ?? group.rule;
  const target = finding?.target ?? '-';
  const fields = formatFields([
    ['Rule', group.rule],
    ['Severity', group.severity],
    ['Target', target],
    ['Action', `${event.service} ${event.action}`],
    ...(finding?.details.length ? ([['Details', finding.details.join('; ')]] as const) : []),
    ['Who', describeActor(event)],
    ['Outcome', event.outcome],
    ...(refusalOf(event) ? ([['Error', refusalOf(event)]] as const) : []),
    // `8.8.8.8 (US, AS15169 Google LLC)`, as every function writes it; the provider's text beside it when it differs.
    ['Source', describeSourceAddress(event)],
    ['Where', describeWhere(event)],
    ['When', event.time],
    ['User agent', event.userAgent],
  ]);
  return {
    subject: safeSubject(`trailguard: ${summary}: ${target.split('/').pop()}`),
    message: [`Audit trail tampering: ${inlineValue(summary, 200)}`, '', fields, eventIdLines(group)].join('\n'),
  };
}

export const trailIntegrity: Detector<TrailIntegrityConfig> = {
  name: 'trail-integrity',
  prefilter: trailIntegrityPrefilter,
  loadConfig: loadTrailIntegrityConfig,
  detect: detectTrailTampering,
  describe: describeTrailIntegrityAlert,
};
