/**
 * The numbers `replay --report` draws and `--stats` prints, built once so both show the same: the
 * run's counts, what the memory stage removed, findings and forecast alerts per day and rule, the top
 * principals, sources, countries and accounts of the alerts, and the alerts themselves (capped).
 * Values here are raw (attacker-influenced) text: each renderer escapes them for its medium.
 */
import type { Alert } from '../../shared/alert/alert';
import type { MemoryConfig } from '../../shared/memory/memory-config';
import type { MemorySummary } from '../../shared/memory/memory-stage';
import { formatDuration } from '../../shared/memory/parse-duration';
import type { RunStats } from '../../shared/pipeline';
import type { Forecast } from './noise-forecast';
import { type Collected, SLICE_MS } from './report-collector';

/** Rows of each "top" table. */
export const TOP_ROWS = 10;
/** Alerts the report's table lists; the rest are counted (the --json output has them all). */
export const MAX_ALERT_ROWS = 2_000;
/** Event ids listed per alert row. */
export const LISTED_IDS = 5;

export interface TopRow {
  value: string;
  /** Extra context for the value (a source's country and network), when known. */
  detail?: string;
  alerts: number;
  events: number;
}

export interface Top {
  rows: TopRow[];
  /** Distinct values in all. */
  distinct: number;
}

export interface DaySeries {
  /** Every UTC day from the first to the last, gaps included. */
  days: string[];
  rules: string[];
  /** counts[day][rule], in the order of `days` and `rules`. */
  counts: number[][];
  /** Whether the period was longer than MAX_SERIES_DAYS (hostile event times): the series stops there, totals do not. */
  cut: boolean;
}

export interface RuleRow {
  rule: string;
  findings: number;
  suppressed: number;
  /** Alerts the replay printed for the rule, and the events they stand for. */
  alerts: number;
  alertEvents: number;
  /** Forecast: alerts without the memory stage, and with this configuration. */
  withoutMemory: number;
  forecast: number;
  peakDay?: string;
  peak: number;
}

export interface AlertRow {
  time: string;
  rule: string;
  severity: string;
  count: number;
  principal: string;
  source: string;
  country: string;
  account: string;
  subject: string;
  eventIds: string[];
  /** Events of the alert not listed in eventIds. */
  moreIds: number;
}

export interface ReplayReport {
  function: string;
  period?: { from: string; to: string; days: number };
  run: {
    files: number;
    records: number;
    findings: number;
    alerts: number;
    rejected: number;
    skipped: number;
    duplicates: number;
  };
  memory: MemorySummary & {
    store: string;
    dedupWindow: string;
    dedupTtl: string;
    thresholds: string[];
    suppressions: number;
  };
  suppressedBy: Array<{ index: number; reason: string; count: number }>;
  rules: RuleRow[];
  findingsByDay: DaySeries;
  forecast: {
    byDay: DaySeries;
    total: number;
    withoutMemory: number;
    days: number;
    perDay: number;
    peakDay?: string;
    peak: number;
    sliceMinutes: number;
    partial: boolean;
  };
  top: { principals: Top; sources: Top; countries: Top; accounts: Top };
  alerts: AlertRow[];
  alertsTotal: number;
}

export interface ReportInput {
  function: string;
  files: number;
  stats: RunStats;
  alerts: readonly Alert[];
  memoryConfig: MemoryConfig;
  memorySummary: MemorySummary;
  collected: Collected;
  forecast: Forecast;
}

const DAY_MS = 86_400_000;
/** Days a series holds at most (55 years). */
export const MAX_SERIES_DAYS = 20_000;

function dayCount(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Every UTC day from `from` to `to` (both `YYYY-MM-DD`), at most `limit` of them. */
function daysBetween(from: string, to: string, limit = MAX_SERIES_DAYS): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= end && days.length < limit; at += DAY_MS)
    days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

function seriesOf(byDay: Map<string, Map<string, number>>, days: string[], rules: string[]): DaySeries {
  const last = days.at(-1);
  return {
    days,
    rules,
    cut: last !== undefined && [...byDay.keys()].some((day) => day > last),
    counts: days.map((day) => rules.map((rule) => byDay.get(day)?.get(rule) ?? 0)),
  };
}

function topOf(entries: Iterable<{ value: string; detail?: string; events: number }>): Top {
  const byValue = new Map<string, TopRow>();
  for (const entry of entries) {
    const row = byValue.get(entry.value);
    if (row) {
      row.alerts += 1;
      row.events += entry.events;
      if (row.detail === undefined && entry.detail !== undefined) row.detail = entry.detail;
    } else
      byValue.set(entry.value, {
        value: entry.value,
        ...(entry.detail !== undefined ? { detail: entry.detail } : {}),
        alerts: 1,
        events: entry.events,
      });
  }
  const rows = [...byValue.values()].sort(
    (a, b) => b.events - a.events || b.alerts - a.alerts || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
  return { rows: rows.slice(0, TOP_ROWS), distinct: rows.length };
}

export const UNKNOWN = 'unknown';

/** Alerts per day as both renderers print it: `0`, `0.03`, `2.5`, `24`. */
export function formatRate(perDay: number): string {
  if (perDay === 0) return '0';
  if (perDay >= 10) return Math.round(perDay).toLocaleString('en-US');
  return perDay.toFixed(perDay >= 1 ? 1 : 2);
}

export function principalOf(alert: Alert): string {
  const { actor } = alert.event;
  return actor.arn || actor.name || actor.id || actor.type || UNKNOWN;
}

export function sourceOf(alert: Alert): string {
  return alert.event.sourceIp || alert.event.sourceAddress || `(${alert.event.sourceAddressKind})`;
}

export function countryOf(alert: Alert): string {
  return alert.geo?.country || UNKNOWN;
}

/** `111122223333 (prod-payments)`, the id or the name alone, or `unknown`. */
export function accountOf(alert: Alert): string {
  const id = alert.event.account || alert.event.actor.account;
  const name = alert.accountName || alert.event.actor.accountName;
  if (id && name) return `${id} (${name})`;
  return id || name || UNKNOWN;
}

function networkOf(alert: Alert): string | undefined {
  const { geo } = alert;
  if (!geo) return undefined;
  const parts = [geo.country, geo.asn !== undefined ? `AS${geo.asn}${geo.org ? ` ${geo.org}` : ''}` : geo.org];
  const text = parts.filter((part) => part).join(', ');
  return text === '' ? undefined : text;
}

function peakOf(counts: number[], days: string[]): { peak: number; peakDay?: string } {
  let peak = 0;
  let peakDay: string | undefined;
  counts.forEach((count, index) => {
    if (count > peak) {
      peak = count;
      peakDay = days[index];
    }
  });
  return peakDay === undefined ? { peak } : { peak, peakDay };
}

export function buildReport(input: ReportInput): ReplayReport {
  const { collected, forecast, alerts, stats, memoryConfig, memorySummary } = input;
  const forecastDays = [...forecast.byDay.keys()];
  const findingDays = [...collected.findingsByDay.keys()];
  const allDays = [...forecastDays, ...findingDays].sort();
  const firstDay = collected.first !== undefined ? new Date(collected.first).toISOString().slice(0, 10) : allDays[0];
  const lastDay = collected.last !== undefined ? new Date(collected.last).toISOString().slice(0, 10) : undefined;
  const days =
    firstDay !== undefined ? daysBetween(firstDay, [lastDay ?? firstDay, ...allDays].sort().at(-1) as string) : [];
  // The replayed period: from the first to the last finding (suppressed ones included).
  const periodDays = firstDay !== undefined && lastDay !== undefined ? dayCount(firstDay, lastDay) : 0;

  const ruleNames = new Set<string>([...collected.rules.keys()]);
  for (const alert of alerts) ruleNames.add(alert.rule);
  for (const byRule of forecast.byDay.values()) for (const rule of byRule.keys()) ruleNames.add(rule);
  const rules = [...ruleNames].sort();

  const findingsByDay = seriesOf(collected.findingsByDay, days, rules);
  const forecastByDay = seriesOf(forecast.byDay, days, rules);
  const dayTotals = forecastByDay.counts.map((row) => row.reduce((sum, count) => sum + count, 0));
  // Totals from the counts themselves, not from the series (which a hostile period may cut).
  const forecastOf = new Map<string, number>();
  for (const byRule of forecast.byDay.values())
    for (const [rule, count] of byRule) forecastOf.set(rule, (forecastOf.get(rule) ?? 0) + count);
  const total = [...forecastOf.values()].reduce((sum, count) => sum + count, 0);

  const alertsOfRule = new Map<string, { alerts: number; events: number }>();
  for (const alert of alerts) {
    const entry = alertsOfRule.get(alert.rule) ?? { alerts: 0, events: 0 };
    entry.alerts += 1;
    entry.events += alert.count;
    alertsOfRule.set(alert.rule, entry);
  }
  const ruleRows: RuleRow[] = rules.map((rule, ruleIndex) => {
    const counts = forecastByDay.counts.map((row) => row[ruleIndex]);
    return {
      rule,
      findings: collected.rules.get(rule)?.findings ?? 0,
      suppressed: collected.rules.get(rule)?.suppressed ?? 0,
      alerts: alertsOfRule.get(rule)?.alerts ?? 0,
      alertEvents: alertsOfRule.get(rule)?.events ?? 0,
      withoutMemory: forecast.withoutMemory.get(rule) ?? 0,
      forecast: forecastOf.get(rule) ?? 0,
      ...peakOf(counts, days),
    };
  });

  return {
    function: input.function,
    ...(collected.first !== undefined && collected.last !== undefined
      ? {
          period: {
            from: new Date(collected.first).toISOString(),
            to: new Date(collected.last).toISOString(),
            days: periodDays,
          },
        }
      : {}),
    run: {
      files: input.files,
      records: stats.records,
      findings: stats.findings,
      alerts: alerts.length,
      rejected: stats.rejected,
      skipped: stats.skipped,
      duplicates: stats.duplicates,
    },
    memory: {
      ...memorySummary,
      suppressed: stats.suppressed,
      store: memoryConfig.store.kind,
      dedupWindow: formatDuration(memoryConfig.dedupWindowMs),
      dedupTtl: formatDuration(memoryConfig.dedupTtlMs),
      thresholds: memoryConfig.thresholds.map((threshold) => `${threshold.rule}=${threshold.text}`),
      suppressions: memoryConfig.suppressions.length,
    },
    suppressedBy: [...collected.suppressedBy.values()].sort((a, b) => a.index - b.index),
    rules: ruleRows,
    findingsByDay,
    forecast: {
      byDay: forecastByDay,
      total,
      withoutMemory: [...forecast.withoutMemory.values()].reduce((sum, count) => sum + count, 0),
      days: periodDays,
      perDay: periodDays > 0 ? total / periodDays : 0,
      ...peakOf(dayTotals, days),
      sliceMinutes: SLICE_MS / 60_000,
      partial: forecast.partial,
    },
    top: {
      principals: topOf(alerts.map((alert) => ({ value: principalOf(alert), events: alert.count }))),
      sources: topOf(
        alerts.map((alert) => {
          const detail = networkOf(alert);
          return { value: sourceOf(alert), events: alert.count, ...(detail ? { detail } : {}) };
        }),
      ),
      countries: topOf(alerts.map((alert) => ({ value: countryOf(alert), events: alert.count }))),
      accounts: topOf(alerts.map((alert) => ({ value: accountOf(alert), events: alert.count }))),
    },
    alerts: alerts.slice(0, MAX_ALERT_ROWS).map((alert) => {
      const eventIds = alert.eventIds.slice(0, LISTED_IDS);
      return {
        time: alert.event.time,
        rule: alert.rule,
        severity: alert.severity,
        count: alert.count,
        principal: principalOf(alert),
        source: sourceOf(alert),
        country: countryOf(alert),
        account: accountOf(alert),
        subject: alert.subject,
        eventIds,
        moreIds: Math.max(0, alert.count - eventIds.length),
      };
    }),
    alertsTotal: alerts.length,
  };
}
