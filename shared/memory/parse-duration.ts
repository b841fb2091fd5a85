/**
 * Durations as the memory stage's variables write them: a whole number and one unit, `30s`, `15m`,
 * `1h`, `24h`, `7d`, or `0` alone (off). One strict parser for every variable, so `15 m`, `1.5h`,
 * `15` or `1h30m` are errors that say what is accepted, never a guess.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;

/** Milliseconds, or an error message naming what is accepted. */
export function parseDuration(text: string): { ms: number } | { error: string } {
  const value = text.trim();
  if (value === '0') return { ms: 0 };
  const match = DURATION.exec(value);
  if (!match)
    return {
      error: `${JSON.stringify(text)} is not a duration: write a whole number and a unit (ms, s, m, h, d), e.g. 30s, 15m, 1h, 24h, or 0`,
    };
  return { ms: Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] };
}

/** The shortest exact spelling of a duration: 900000 → `15m`, 5400000 → `90m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
