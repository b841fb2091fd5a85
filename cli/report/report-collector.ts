/**
 * What `replay --report` and `--stats` learn while the replay runs: every finding the rules raised
 * (kept or suppressed, and by which suppression), per rule and per UTC day, and the findings laid out
 * in delivery slices for the noise forecast. Memory stays bounded by groups, not by findings: a slice
 * keeps one entry per group key, the events themselves are kept once per group key.
 */
import type { Finding } from '../../shared/detect/detector';
import type { MemoryConfig } from '../../shared/memory/memory-config';
import { suppressionFor } from '../../shared/memory/suppressions';
import type { TraceEvent } from '../../shared/normalize/trace-event';

type Suppress = (findings: Finding[]) => Finding[];
type OnFindings = (findings: readonly Finding[]) => void;

/**
 * The forecast's delivery slice: CloudTrail writes a log file about every 5 minutes, so a deployed
 * function sees about one batch of a trail every 5 minutes (event-driven triggers see smaller ones).
 */
export const SLICE_MS = 5 * 60_000;
/** Slice entries (slice × group key) the forecast keeps; past this it says it covers only part. */
export const MAX_SLICE_GROUPS = 500_000;

export interface SliceGroup {
  rule: string;
  severity: Finding['severity'];
  groupKey: string;
  firstId: string;
  count: number;
}

export interface Slice {
  /** Time of the slice's latest finding (the clock of the forecast's memory stage for that batch). */
  at: number;
  groups: Map<string, SliceGroup>;
}

export interface RuleTally {
  findings: number;
  suppressed: number;
}

export interface SuppressionTally {
  index: number;
  reason: string;
  count: number;
}

export interface Collected {
  rules: Map<string, RuleTally>;
  suppressedBy: Map<number, SuppressionTally>;
  /** Kept findings per UTC day (`YYYY-MM-DD`) and rule. */
  findingsByDay: Map<string, Map<string, number>>;
  slices: Map<number, Slice>;
  /** The first event of each group key (the forecast builds its alerts from it). */
  firstEvents: Map<string, TraceEvent>;
  /** Whether findings were left out of the slices (MAX_SLICE_GROUPS reached). */
  partial: boolean;
  /** Earliest and latest event time among all findings, suppressed ones included (epoch ms). */
  first?: number;
  last?: number;
}

export interface ReportCollector {
  readonly collected: Collected;
  /** The run's suppress hook, watched (its result unchanged). */
  watchSuppress(suppress: Suppress): Suppress;
  /** The run's onFindings hook (which sees the findings suppression kept), watched. */
  watchFindings(onFindings: OnFindings | undefined): OnFindings;
}

function tallyOf(collected: Collected, rule: string): RuleTally {
  let tally = collected.rules.get(rule);
  if (!tally) {
    tally = { findings: 0, suppressed: 0 };
    collected.rules.set(rule, tally);
  }
  return tally;
}

export function createReportCollector(memory: MemoryConfig, now: number): ReportCollector {
  const collected: Collected = {
    rules: new Map(),
    suppressedBy: new Map(),
    findingsByDay: new Map(),
    slices: new Map(),
    firstEvents: new Map(),
    partial: false,
  };
  let sliceGroups = 0;

  const seeTime = (finding: Finding): number | undefined => {
    const at = Date.parse(finding.event.time);
    if (Number.isNaN(at)) return undefined;
    if (collected.first === undefined || at < collected.first) collected.first = at;
    if (collected.last === undefined || at > collected.last) collected.last = at;
    return at;
  };

  const onSuppressed = (finding: Finding): void => {
    seeTime(finding);
    tallyOf(collected, finding.rule).suppressed += 1;
    const entry = suppressionFor(finding, memory.suppressions, now);
    const index = entry?.index ?? 0;
    const tally = collected.suppressedBy.get(index);
    if (tally) tally.count += 1;
    else collected.suppressedBy.set(index, { index, reason: entry?.reason ?? '-', count: 1 });
  };

  const onKept = (finding: Finding): void => {
    const at = seeTime(finding);
    tallyOf(collected, finding.rule).findings += 1;
    const day = finding.event.time.slice(0, 10);
    let byRule = collected.findingsByDay.get(day);
    if (!byRule) {
      byRule = new Map();
      collected.findingsByDay.set(day, byRule);
    }
    byRule.set(finding.rule, (byRule.get(finding.rule) ?? 0) + 1);
    if (at === undefined) return;
    const index = Math.floor(at / SLICE_MS);
    let slice = collected.slices.get(index);
    const group = slice?.groups.get(finding.groupKey);
    if (group) {
      group.count += 1;
      if (slice && at > slice.at) slice.at = at;
      return;
    }
    if (sliceGroups >= MAX_SLICE_GROUPS) {
      collected.partial = true;
      return;
    }
    if (!slice) {
      slice = { at, groups: new Map() };
      collected.slices.set(index, slice);
    } else if (at > slice.at) slice.at = at;
    sliceGroups += 1;
    slice.groups.set(finding.groupKey, {
      rule: finding.rule,
      severity: finding.severity,
      groupKey: finding.groupKey,
      firstId: finding.event.id,
      count: 1,
    });
    if (!collected.firstEvents.has(finding.groupKey)) collected.firstEvents.set(finding.groupKey, finding.event);
  };

  return {
    collected,
    watchSuppress: (suppress) => (findings) => {
      const kept = suppress(findings);
      if (kept.length !== findings.length) {
        const keptSet = new Set(kept);
        for (const finding of findings) if (!keptSet.has(finding)) onSuppressed(finding);
      }
      return kept;
    },
    watchFindings: (onFindings) => (findings) => {
      for (const finding of findings) onKept(finding);
      onFindings?.(findings);
    },
  };
}
