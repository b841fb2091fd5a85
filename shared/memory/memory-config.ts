/**
 * The memory stage's variables, read once at cold start by a pure function that collects every
 * problem (the caller throws them together with the function's own).
 */
import type { ConfigProblems, Env } from '../platform/env-config';
import { readEnv } from '../platform/env-config';
import { errorMessage } from '../errors';
import { parseDuration } from './parse-duration';
import { parseSuppressions, type Suppression } from './suppressions';
import { parseThresholds, type Threshold } from './thresholds';

export type StoreLocation =
  | { kind: 'memory' }
  | { kind: 'dynamodb'; table: string }
  | { kind: 'redis'; url: string; tls: boolean };

export interface MemoryConfig {
  store: StoreLocation;
  /** Whether STATE_STORE was given (a deployed function without it remembers only across warm invocations). */
  storeConfigured: boolean;
  /** STATE_ENDPOINT: DynamoDB endpoint override (an emulator, a VPC endpoint). */
  endpoint?: string;
  /** STATE_PASSWORD: Redis password when the URL holds none. */
  password?: string;
  dedupTtlMs: number;
  /** 0: off (every finding alerts, idempotency still applies). */
  dedupWindowMs: number;
  thresholds: Threshold[];
  suppressions: Suppression[];
  /** Bound on each store operation; slower counts as unavailable (fail open). */
  timeoutMs: number;
}

export const MEMORY_DEFAULTS = { dedupTtlMs: 86_400_000, dedupWindowMs: 900_000, timeoutMs: 300 } as const;

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** `memory`, `dynamodb://<table>`, `redis://…`, `rediss://…`; the problem otherwise. */
export function parseStoreLocation(text: string): StoreLocation | { error: string } {
  if (text === 'memory') return { kind: 'memory' };
  if (text.startsWith('dynamodb://')) {
    const table = text.slice('dynamodb://'.length);
    return TABLE_NAME.test(table)
      ? { kind: 'dynamodb', table }
      : { error: `dynamodb://${table}: a table name is 3-255 letters, digits, '_', '-' or '.'` };
  }
  if (text.startsWith('redis://') || text.startsWith('rediss://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { error: 'not a valid redis:// URL (redis://[:password@]host[:port][/db])' };
    }
    if (!url.hostname) return { error: 'a redis:// URL needs a host' };
    if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname))
      return { error: `the database in a redis:// URL is a number (/0 … /15), got ${url.pathname}` };
    return { kind: 'redis', url: text, tls: url.protocol === 'rediss:' };
  }
  return { error: 'use memory, dynamodb://<table>, redis://host:port or rediss://host:port' };
}

function readDuration(env: Env, name: string, fallback: number, problems: ConfigProblems): number {
  const found = readEnv(env, name);
  if (!found) return fallback;
  const parsed = parseDuration(found.value);
  if ('error' in parsed) {
    problems.add(`${name}: ${parsed.error}`);
    return fallback;
  }
  return parsed.ms;
}

export interface MemoryConfigOptions {
  /** Reads SUPPRESS_FILE (the edge passes the file system; pure callers a fake). */
  readFile?: (path: string) => string;
}

export function loadMemoryConfig(env: Env, problems: ConfigProblems, options: MemoryConfigOptions = {}): MemoryConfig {
  const storeText = readEnv(env, 'STATE_STORE');
  let store: StoreLocation = { kind: 'memory' };
  if (storeText) {
    const parsed = parseStoreLocation(storeText.value);
    if ('error' in parsed) problems.add(`STATE_STORE=${JSON.stringify(redactUrl(storeText.value))}: ${parsed.error}`);
    else store = parsed;
  }
  const dedupTtlMs = readDuration(env, 'DEDUP_TTL', MEMORY_DEFAULTS.dedupTtlMs, problems);
  if (dedupTtlMs === 0) problems.add('DEDUP_TTL: must be longer than 0 (it is how long an event id is remembered)');
  const dedupWindowMs = readDuration(env, 'DEDUP_WINDOW', MEMORY_DEFAULTS.dedupWindowMs, problems);
  const timeoutMs = readDuration(env, 'STATE_TIMEOUT', MEMORY_DEFAULTS.timeoutMs, problems);
  if (timeoutMs === 0 || timeoutMs > 10_000) problems.add('STATE_TIMEOUT: must be between 1ms and 10s');
  const list: string[] = [];
  const thresholdText = readEnv(env, 'THRESHOLDS');
  const thresholds = thresholdText ? parseThresholds(thresholdText.value, list) : [];
  const suppressions: Suppression[] = [];
  const inline = readEnv(env, 'SUPPRESS');
  if (inline) for (const entry of parseSuppressions(inline.value, 'SUPPRESS', list)) suppressions.push(entry);
  const file = readEnv(env, 'SUPPRESS_FILE');
  if (file) {
    let text: string | undefined;
    try {
      if (!options.readFile) throw new Error('no file system here');
      text = options.readFile(file.value);
    } catch (error) {
      list.push(`SUPPRESS_FILE ${JSON.stringify(file.value)} cannot be read: ${errorMessage(error)}`);
    }
    if (text !== undefined) {
      const offset = suppressions.length;
      for (const entry of parseSuppressions(text, `SUPPRESS_FILE ${file.value}`, list))
        suppressions.push({ ...entry, index: entry.index + offset });
    }
  }
  for (const problem of list) problems.add(problem);
  const endpoint = readEnv(env, 'STATE_ENDPOINT')?.value;
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint))
    problems.add(`STATE_ENDPOINT=${JSON.stringify(endpoint)} is not an http(s) URL`);
  return {
    store,
    storeConfigured: storeText !== undefined,
    ...(endpoint ? { endpoint } : {}),
    ...(readEnv(env, 'STATE_PASSWORD') ? { password: readEnv(env, 'STATE_PASSWORD')?.value } : {}),
    dedupTtlMs,
    dedupWindowMs,
    thresholds,
    suppressions,
    timeoutMs,
  };
}

/** A store URL as logs and errors may show it: the password replaced. */
export function redactUrl(text: string): string {
  return text.replace(/^(rediss?:\/\/)([^@/]*)@/, (_all, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon === -1 ? '***' : `${auth.slice(0, colon)}:***`}@`;
  });
}

/** The password of a store, for the logger's scrub list. */
export function storeSecrets(config: MemoryConfig): string[] {
  const secrets: string[] = [];
  if (config.password) secrets.push(config.password);
  if (config.store.kind === 'redis') {
    try {
      const url = new URL(config.store.url);
      if (url.password) secrets.push(decodeURIComponent(url.password));
    } catch {
      // validated at load
    }
  }
  return secrets;
}
