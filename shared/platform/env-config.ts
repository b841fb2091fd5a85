/**
 * Small pure helpers for `loadConfig(env)` functions: trimmed lookups with aliases and problem
 * collection, so a config error lists every problem at once.
 */
import { ConfigError } from '../errors';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigProblems {
  readonly problems: string[] = [];

  add(problem: string): void {
    this.problems.push(problem);
  }

  /** Throws one ConfigError listing every problem, if there are any. */
  throwIfAny(what: string): void {
    if (this.problems.length === 0) return;
    throw new ConfigError(
      `${what}: ${this.problems.length} configuration problem(s):\n- ${this.problems.join('\n- ')}`,
      this.problems,
    );
  }
}

/** First non-empty trimmed value among `names` (the first name is the documented one, the rest aliases). */
export function readEnv(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    // Names are our own constants, so a plain lookup is safe (and works on the FunctionGraph env proxy).
    const raw = env[name];
    const value = typeof raw === 'string' ? raw.trim() : undefined;
    if (value) return { name, value };
  }
  return undefined;
}

export function readBoolean(env: Env, name: string, fallback: boolean, problems: ConfigProblems): boolean {
  const found = readEnv(env, name);
  if (!found) return fallback;
  const value = found.value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  problems.add(`${name}=${JSON.stringify(found.value)} is not a boolean (use true or false)`);
  return fallback;
}

export function readChoice<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback: T,
  problems: ConfigProblems,
): T {
  const found = readEnv(env, name);
  if (!found) return fallback;
  const value = found.value.toLowerCase() as T;
  if (choices.includes(value)) return value;
  problems.add(`${name}=${JSON.stringify(found.value)} is not one of ${choices.join(', ')}`);
  return fallback;
}

/** A whole number of at least `min`, or the fallback when unset; anything else is a problem. */
export function readPositiveInteger(
  env: Env,
  name: string,
  fallback: number,
  problems: ConfigProblems,
  min = 1,
): number {
  const found = readEnv(env, name);
  if (!found) return fallback;
  const value = /^\d{1,9}$/.test(found.value) ? Number(found.value) : NaN;
  if (Number.isInteger(value) && value >= min) return value;
  problems.add(`${name}=${JSON.stringify(found.value)} is not a whole number of at least ${min}`);
  return fallback;
}
