/**
 * SUPPRESS / SUPPRESS_FILE: known-benign findings, muted on purpose and counted, never dropped silently.
 * Each entry is `{ "pattern": "<CloudWatch filter pattern over the raw record>", "rules": [...],
 * "reason": "...", "expires": "2027-03-01" }`, compiled at cold start by our filter-pattern engine.
 */
import { compileFilterPattern, type CompiledPattern, FilterPatternError } from '../detect/filter-pattern';
import type { Finding } from '../detect/detector';

export interface Suppression {
  /** 1-based position in the list, for logs and errors. */
  index: number;
  pattern: string;
  compiled: CompiledPattern;
  /** Only these rules; every rule when undefined. */
  rules?: readonly string[];
  reason: string;
  /** Epoch ms from which the entry no longer applies (the end of the `expires` day, UTC, for a date). */
  expiresAt?: number;
  expires?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function expiryOf(text: string): number | undefined {
  if (DATE.test(text)) {
    const day = Date.parse(`${text}T00:00:00Z`);
    // A date means "through that day": the entry applies until the next UTC midnight.
    return Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== text ? undefined : day + 86_400_000;
  }
  if (DATE_TIME.test(text)) {
    const at = Date.parse(text);
    return Number.isNaN(at) ? undefined : at;
  }
  return undefined;
}

/** Parses the JSON text of SUPPRESS or of the SUPPRESS_FILE; every problem is added, named by `where`. */
export function parseSuppressions(json: string, where: string, problems: string[]): Suppression[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    problems.push(`${where} is not valid JSON: ${(error as Error).message}`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push(`${where} must be a JSON list of {"pattern", "rules", "reason", "expires"} objects`);
    return [];
  }
  const suppressions: Suppression[] = [];
  parsed.forEach((entry: unknown, position) => {
    const index = position + 1;
    const at = `${where} entry #${index}`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${at} must be an object with "pattern" and "reason"`);
      return;
    }
    const { pattern, rules, reason, expires } = entry as Record<string, unknown>;
    for (const key of Object.keys(entry))
      if (!['pattern', 'rules', 'reason', 'expires'].includes(key))
        problems.push(`${at}: unknown field ${JSON.stringify(key)} (use pattern, rules, reason, expires)`);
    let ok = true;
    if (typeof reason !== 'string' || reason.trim() === '') {
      problems.push(`${at}: "reason" is required: say why these findings are benign`);
      ok = false;
    }
    if (
      rules !== undefined &&
      (!Array.isArray(rules) || rules.length === 0 || rules.some((rule) => typeof rule !== 'string' || rule === ''))
    ) {
      problems.push(`${at}: "rules" must be a non-empty list of rule names`);
      ok = false;
    }
    let expiresAt: number | undefined;
    if (expires !== undefined) {
      expiresAt = typeof expires === 'string' ? expiryOf(expires.trim()) : undefined;
      if (expiresAt === undefined) {
        problems.push(`${at}: "expires" must be a date (2027-03-01) or a date-time with a zone`);
        ok = false;
      }
    }
    let compiled: CompiledPattern | undefined;
    if (typeof pattern !== 'string' || pattern.trim() === '') {
      problems.push(`${at}: "pattern" must be a CloudWatch Logs filter pattern`);
      ok = false;
    } else {
      try {
        compiled = compileFilterPattern(pattern);
      } catch (error) {
        if (!(error instanceof FilterPatternError)) throw error;
        problems.push(`${at}: invalid filter pattern at column ${error.column}: ${error.message}`);
        ok = false;
      }
    }
    if (!ok || !compiled) return;
    suppressions.push({
      index,
      pattern: pattern as string,
      compiled,
      rules: rules as string[] | undefined,
      reason: (reason as string).trim(),
      ...(expiresAt !== undefined ? { expiresAt, expires: (expires as string).trim() } : {}),
    });
  });
  return suppressions;
}

/** The entry that mutes this finding at `now`, if any. Pure. */
export function suppressionFor(
  finding: Finding,
  suppressions: readonly Suppression[],
  now: number,
): Suppression | undefined {
  for (const suppression of suppressions) {
    if (suppression.expiresAt !== undefined && now >= suppression.expiresAt) continue;
    if (suppression.rules && !suppression.rules.includes(finding.rule)) continue;
    if (suppression.compiled.matchesValue(finding.event.raw)) return suppression;
  }
  return undefined;
}

export function expiredSuppressions(suppressions: readonly Suppression[], now: number): Suppression[] {
  return suppressions.filter((suppression) => suppression.expiresAt !== undefined && now >= suppression.expiresAt);
}
