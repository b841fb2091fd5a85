/**
 * `replay --stats`: the report's numbers as text lines (the CLI prints them on stderr, like its
 * summary). Trail values are escaped to one safe line each (inlineValue), as everywhere on a terminal.
 */
import { inlineValue } from '../../shared/alert/alert-text';
import { formatRate, type ReplayReport, type Top } from './report-model';

/** Days with alerts the per-day forecast lists; the rest are summed up in one line. */
export const STATS_DAYS = 31;
const VALUE_CHARS = 120;

function n(count: number): string {
  return count.toLocaleString('en-US');
}

function topLines(title: string, top: Top): string[] {
  if (top.distinct === 0) return [`${title}: none`];
  const lines = [`${title} (${n(top.distinct)} distinct, by events):`];
  for (const row of top.rows)
    lines.push(
      `  ${n(row.events).padStart(8)} event(s) ${n(row.alerts).padStart(6)} alert(s)  ${inlineValue(row.value, VALUE_CHARS)}` +
        (row.detail ? ` (${inlineValue(row.detail, VALUE_CHARS)})` : ''),
    );
  if (top.distinct > top.rows.length) lines.push(`  … and ${n(top.distinct - top.rows.length)} more`);
  return lines;
}

export function renderStats(report: ReplayReport): string[] {
  const { run, memory, forecast } = report;
  const lines: string[] = [];
  lines.push(
    `stats: ${report.function}` +
      (report.period
        ? `, ${report.period.from} to ${report.period.to} (${n(report.period.days)} day(s))`
        : ', no findings'),
  );
  lines.push(
    `  ${n(run.files)} file(s), ${n(run.records)} record(s), ${n(run.findings)} finding(s), ${n(run.alerts)} alert(s), ` +
      `${n(run.rejected)} rejected, ${n(run.skipped)} skipped, ${n(run.duplicates)} duplicate(s)`,
  );
  lines.push(
    `memory (${memory.store}): ${n(memory.sent)} sent, ${n(memory.held)} held for roll-up, ${n(memory.rolledUp)} rolled up, ` +
      `${n(memory.suppressed)} suppressed, ${n(memory.belowThreshold)} below threshold, ${n(memory.duplicates)} already seen` +
      (memory.unavailable > 0 ? `, ${n(memory.unavailable)} without memory (state unavailable)` : ''),
  );
  lines.push(
    `  dedup window ${memory.dedupWindow}, dedup TTL ${memory.dedupTtl}, thresholds ${
      memory.thresholds.length > 0 ? memory.thresholds.map((t) => inlineValue(t, VALUE_CHARS)).join(', ') : 'none'
    }, ${n(memory.suppressions)} suppression(s)`,
  );
  for (const entry of report.suppressedBy)
    lines.push(
      `  suppressed by ${entry.index > 0 ? `#${entry.index}` : '(unknown entry)'}: ${n(entry.count)} (${inlineValue(entry.reason, VALUE_CHARS)})`,
    );
  lines.push(
    `noise forecast (${forecast.sliceMinutes}-minute batches): ${n(forecast.total)} alert(s) over ${n(forecast.days)} day(s), ` +
      `${formatRate(forecast.perDay)}/day` +
      (forecast.peakDay ? `, peak ${n(forecast.peak)} on ${forecast.peakDay}` : '') +
      `; without the memory stage ${n(forecast.withoutMemory)}` +
      (forecast.partial ? ' (partial: too many distinct groups, later ones left out)' : ''),
  );
  lines.push('by rule: findings, suppressed, replay alerts (events), forecast without memory, forecast, peak/day');
  for (const row of report.rules)
    lines.push(
      `  ${inlineValue(row.rule, VALUE_CHARS)}: ${n(row.findings)}, ${n(row.suppressed)}, ${n(row.alerts)} (${n(row.alertEvents)}), ` +
        `${n(row.withoutMemory)}, ${n(row.forecast)}, ${n(row.peak)}${row.peakDay ? ` on ${row.peakDay}` : ''}`,
    );
  const { days, rules, counts } = forecast.byDay;
  const busy = days.map((day, index) => ({ day, row: counts[index] })).filter(({ row }) => row.some((c) => c > 0));
  if (busy.length > 0) {
    lines.push('forecast per day (days with alerts):');
    for (const { day, row } of busy.slice(0, STATS_DAYS)) {
      const parts = rules
        .map((rule, ruleIndex) => [rule, row[ruleIndex]] as const)
        .filter(([, count]) => count > 0)
        .map(([rule, count]) => `${inlineValue(rule, VALUE_CHARS)} ${n(count)}`);
      lines.push(`  ${day} ${n(row.reduce((sum, count) => sum + count, 0))}: ${parts.join(', ')}`);
    }
    if (busy.length > STATS_DAYS) {
      const rest = busy.slice(STATS_DAYS).reduce((sum, { row }) => sum + row.reduce((a, b) => a + b, 0), 0);
      lines.push(`  … ${n(busy.length - STATS_DAYS)} more day(s): ${n(rest)} alert(s)`);
    }
    if (forecast.byDay.cut) lines.push(`  (days after ${days.at(-1)} are not listed; the totals count them)`);
  }
  for (const line of topLines('top principals', report.top.principals)) lines.push(line);
  for (const line of topLines('top source addresses', report.top.sources)) lines.push(line);
  for (const line of topLines('countries', report.top.countries)) lines.push(line);
  for (const line of topLines('accounts', report.top.accounts)) lines.push(line);
  return lines;
}
