/**
 * THRESHOLDS: `rule=N/period` entries, comma-separated (`login-failed=5/10m,unauthorized-api-calls=20/1h`).
 * A rule with a threshold alerts only once N findings of one group key fall within the period (a fixed
 * window opened by the key's first finding).
 */
import { parseDuration } from './parse-duration';

export interface Threshold {
  rule: string;
  count: number;
  periodMs: number;
  /** As written, for alert text. */
  text: string;
}

const ENTRY = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(\d{1,6})\/(\S+)$/;

export function parseThresholds(text: string, problems: string[]): Threshold[] {
  const thresholds: Threshold[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = ENTRY.exec(entry);
    if (!match) {
      problems.push(`THRESHOLDS: ${JSON.stringify(entry)} is not rule=N/period (e.g. login-failed=5/10m)`);
      continue;
    }
    const [, rule, countText, periodText] = match;
    const count = Number(countText);
    const period = parseDuration(periodText);
    if (count < 1) problems.push(`THRESHOLDS: ${rule}: the count must be at least 1`);
    if ('error' in period) problems.push(`THRESHOLDS: ${rule}: ${period.error}`);
    else if (period.ms === 0) problems.push(`THRESHOLDS: ${rule}: the period must be longer than 0`);
    if (thresholds.some((threshold) => threshold.rule === rule)) problems.push(`THRESHOLDS: ${rule} is given twice`);
    if (count >= 1 && 'ms' in period && period.ms > 0)
      thresholds.push({ rule, count, periodMs: period.ms, text: `${count}/${periodText}` });
  }
  return thresholds;
}
