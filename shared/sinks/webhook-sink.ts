/**
 * Posts alerts to a chat webhook (Slack incoming webhook, Teams Workflows) or any HTTPS endpoint that
 * takes the alert JSON. Node's own fetch only, so the same code runs in the Lambda and FunctionGraph
 * bundles. The URL is a secret (whoever has it can post to the channel): no error, log line or
 * sink name carries it, only the variable it came from and its host.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Alert, AlertSink } from '../alert/alert';
import { SinkError } from '../errors';
import { webhookBody, type WebhookFormat } from './webhook-payloads';

export interface WebhookRetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is waited only this long. */
  retryAfterMaxMs: number;
}

export interface WebhookSinkOptions {
  url: string;
  format: WebhookFormat;
  /** Where the URL came from (`WEBHOOK_URL`, `WEBHOOK_URL_SECOPS`): what errors and logs name instead of it. */
  source: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds on a monotonic clock, for the overall deadline. */
  clock?: () => number;
  retry?: Partial<WebhookRetryPolicy>;
  /** Per attempt, the response body included. */
  timeoutMs?: number;
  /** All attempts and waits of one alert together: past it, the alert fails (retryable) instead of holding the invocation. */
  deadlineMs?: number;
}

export const WEBHOOK_DEFAULTS = {
  retry: { attempts: 4, baseDelayMs: 500, maxDelayMs: 4_000, retryAfterMaxMs: 10_000 },
  timeoutMs: 5_000,
  deadlineMs: 20_000,
} as const;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * What is wrong with a webhook URL, without quoting it. HTTPS is required: the body is an alert and
 * the URL a credential. Plain http is accepted for loopback only (local tests and sidecars).
 */
export function webhookUrlProblems(value: string, source: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [`${source} is not a URL (its value is a secret and is not shown)`];
  }
  if (url.protocol === 'https:') return [];
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return [];
  if (url.protocol === 'http:') return [`${source} must be an https:// URL (plain http is accepted only for loopback)`];
  return [`${source} must be an https:// URL, not ${url.protocol}`];
}

/** `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** 408, 429 and 5xx are worth another attempt; any other 4xx fails the same way every time. */
export function isRetryableWebhookStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

type Attempt = { ok: true } | { ok: false; retryable: boolean; detail: string; retryAfter?: number; cause?: unknown };

export function createWebhookSink(options: WebhookSinkOptions): AlertSink {
  const problems = webhookUrlProblems(options.url, options.source);
  if (problems.length) throw new SinkError(problems.join('; '), 'webhook', false);
  const url = new URL(options.url);
  const where = `${options.source} (${url.host})`;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const clock = options.clock ?? (() => performance.now());
  const retry = { ...WEBHOOK_DEFAULTS.retry, ...options.retry };
  const timeoutMs = options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs;
  const deadlineMs = options.deadlineMs ?? WEBHOOK_DEFAULTS.deadlineMs;
  // Every form the secret can take in an error text: the whole URL, its path (Slack) and its query (Teams' sig).
  const secretForms = [options.url, url.href, url.pathname + url.search, url.search, url.pathname]
    .filter((form) => form.length >= 8)
    .sort((a, b) => b.length - a.length);

  function scrub(text: string): string {
    let out = text;
    for (const form of secretForms) out = out.split(form).join('[webhook URL]');
    return out.replace(/\s+/g, ' ').trim();
  }

  function describe(error: unknown, limitMs: number): string {
    const name = (error as { name?: unknown })?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return `no response within ${limitMs} ms`;
    const cause = (error as { cause?: { code?: unknown } })?.cause;
    const message = error instanceof Error ? error.message : String(error);
    return scrub(typeof cause?.code === 'string' ? `${message} (${cause.code})` : message).slice(0, 300);
  }

  async function attempt(body: string, limitMs: number): Promise<Attempt> {
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body,
        // A redirect would send the alert (and the path's secret) wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(limitMs),
      });
      const text = await response.text();
      if (response.status >= 200 && response.status < 300) return { ok: true };
      const quoted = scrub(text).slice(0, 200);
      const detail = `HTTP ${response.status}${quoted ? ` ${JSON.stringify(quoted)}` : ''}`;
      if (response.status >= 300 && response.status < 400)
        return { ok: false, retryable: false, detail: `${detail} (a redirect, not followed)` };
      return {
        ok: false,
        retryable: isRetryableWebhookStatus(response.status),
        detail,
        retryAfter: retryAfterMs(response.headers.get('retry-after')),
      };
    } catch (error) {
      // A timeout or a refused or reset connection: the post may not have arrived, so try again.
      return { ok: false, retryable: true, detail: describe(error, limitMs) };
    }
  }

  return {
    name: 'webhook',
    async publish(alert: Alert): Promise<void> {
      const body = webhookBody(alert, options.format);
      const started = clock();
      for (let n = 1; ; n++) {
        const left = deadlineMs - (clock() - started);
        const result = await attempt(body, Math.max(1, Math.floor(Math.min(timeoutMs, left))));
        if (result.ok) return;
        const tries = `${n} attempt${n === 1 ? '' : 's'}`;
        if (!result.retryable)
          throw new SinkError(
            `webhook post to ${where} failed: ${result.detail} (not retried: check the URL in ${options.source} and the format ${options.format})`,
            'webhook',
            false,
          );
        if (n >= retry.attempts)
          throw new SinkError(`webhook post to ${where} failed after ${tries}: ${result.detail}`, 'webhook', true);
        const step = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1));
        const backoff = Math.round(step / 2 + (Math.random() * step) / 2);
        const wait = result.retryAfter === undefined ? backoff : Math.min(result.retryAfter, retry.retryAfterMaxMs);
        if (clock() - started + wait >= deadlineMs)
          throw new SinkError(
            `webhook post to ${where} failed after ${tries} (the next try, in ${wait} ms, would pass the ${deadlineMs} ms deadline): ${result.detail}`,
            'webhook',
            true,
          );
        await sleep(wait);
      }
    },
  };
}
