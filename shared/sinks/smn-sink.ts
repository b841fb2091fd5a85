/**
 * Publishes alerts to a Huawei SMN topic over HTTPS (huawei-facts.md §5), authenticated with an IAM
 * token (`X-Auth-Token`) or an AK/SK signature (§6). Retries what a retry can fix, with bounded
 * exponential backoff; credentials never appear in an error.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Alert, AlertSink } from '../alert/alert';
import { escapeLoneSurrogates } from '../alert/alert-text';
import { SinkError } from '../errors';
import { signRequest, type AkSkCredentials } from './sign-sdk-hmac-sha256';
import { parseTopicUrn } from './smn-endpoints';
import { withMessageStructure } from './smn-message-structure';

/** §5: "The subject cannot exceed 512 bytes" (the OTC text-format page says characters; bytes is the stricter reading). */
export const SMN_SUBJECT_MAX_BYTES = 512;
/** §5: "no more than 256 KB". Read as 256,000 bytes so the cap holds whether KB means 1000 or 1024. */
export const SMN_MESSAGE_MAX_BYTES = 256_000;
export const TRUNCATED_MARKER = '…[truncated]';

export type SmnAuth = { token: string } | AkSkCredentials;

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface SmnSinkOptions {
  /** Base URL, e.g. https://smn.eu-de.otc.t-systems.com, or a local emulator. */
  endpoint: string;
  projectId: string;
  topicUrn: string;
  auth: SmnAuth;
  fetch?: typeof fetch;
  now?: () => Date;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** Per attempt, covering the response body too. */
  timeoutMs?: number;
  /** Per-protocol `message_structure` (default true); false sends the plain `message` only (ALERT_FORMAT=text). */
  structured?: boolean;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };
const DEFAULT_TIMEOUT_MS = 5000;
/** Header values must be visible ASCII: anything else would make fetch throw an error that quotes the value. */
const CREDENTIAL = /^[\x21-\x7e]+$/;
const LINE_BREAKS_AND_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** Cuts `text` to at most `maxBytes` of UTF-8, never inside a character, ending with `marker` when cut. */
export function truncateUtf8(text: string, maxBytes: number, marker: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let cut = Math.max(0, maxBytes - Buffer.byteLength(marker));
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8') + marker;
}

/** SMN's own limits, as a last safety net: the alert builder should already have kept within them. */
export function smnPublishBody(alert: Pick<Alert, 'subject' | 'message'>): { subject?: string; message: string } {
  // Lone surrogates leave as `\ud800` text: JSON would carry them, but not as text SMN can store or mail.
  const subject = truncateUtf8(
    escapeLoneSurrogates(alert.subject).replace(LINE_BREAKS_AND_CONTROLS, ' ').trim(),
    SMN_SUBJECT_MAX_BYTES,
    '…',
  );
  const message = truncateUtf8(
    escapeLoneSurrogates(alert.message) || subject || '(empty alert)',
    SMN_MESSAGE_MAX_BYTES,
    TRUNCATED_MARKER,
  );
  return subject ? { subject, message } : { message };
}

/** The one place that decides which HTTP answers are worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Equal jitter: at least half the exponential step, so retries never bunch up at zero. */
function backoffMs(retry: RetryPolicy, failedAttempt: number): number {
  const step = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(step / 2 + (Math.random() * step) / 2);
}

/** How much of an error body (after redaction) an error quotes. */
const QUOTED_BODY_CHARS = 200;

function cut(text: string, max = QUOTED_BODY_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** One line, whatever the body held. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * SMN answers `{code, message}`; the API gateway `{error_code, error_msg}`; the SDK also knows `{error: {code, message}}`.
 * `text` must already be redacted: it is cut here, and a secret cut in half would not be found any more.
 */
function describeErrorBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return cut(oneLine(text));
  }
  const record = (value: unknown): Record<string, unknown> =>
    value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const outer = record(body);
  const inner = record(outer.error);
  const pick = (...values: unknown[]) => values.find((v): v is string => typeof v === 'string' && v !== '');
  const code = pick(inner.code, outer.code, outer.error_code);
  const message = pick(inner.message, outer.message, outer.error_msg);
  return oneLine([code, message].filter(Boolean).join(': ')) || cut(oneLine(text));
}

/** SMN's publish answer: `{"request_id": …, "message_id": …}` (huawei-facts.md §5). */
function hasMessageId(text: string): boolean {
  try {
    const body = JSON.parse(text) as { message_id?: unknown } | null;
    return typeof body?.message_id === 'string' && body.message_id !== '';
  } catch {
    return false;
  }
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no response within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const detail =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return detail ? `${message} (${detail})` : message;
}

type Attempt =
  | { ok: true }
  | {
      ok: false;
      retryable: boolean;
      detail: string;
      cause?: unknown /** Replaces the default advice. */;
      hint?: string;
    };

function checkOptions(options: SmnSinkOptions): void {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(options.endpoint);
  } catch {
    problems.push('the endpoint is not a URL');
  }
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:')
    problems.push('the endpoint must be an http(s) URL');
  if (url && (url.search || url.hash || url.username || url.password))
    problems.push('the endpoint must be a base URL without query, fragment or user info');
  if (!/^[A-Za-z0-9]{1,64}$/.test(options.projectId)) problems.push('the project id must be 1-64 letters or digits');
  const auth = options.auth;
  const secrets =
    'token' in auth
      ? [auth.token]
      : [auth.accessKey, auth.secretKey, ...(auth.securityToken ? [auth.securityToken] : [])];
  if (!secrets.every((s) => typeof s === 'string' && CREDENTIAL.test(s))) {
    problems.push('the credentials are missing or contain characters that cannot go into an HTTP header');
  }
  const retry = options.retry;
  if (
    retry &&
    !(Number.isInteger(retry.attempts) && retry.attempts >= 1 && retry.baseDelayMs >= 0 && retry.maxDelayMs >= 0)
  ) {
    problems.push('retry.attempts must be a positive integer and the delays non-negative');
  }
  if (problems.length) throw new SinkError(`SMN sink for ${options.topicUrn}: ${problems.join('; ')}`, 'smn', false);
}

export function createSmnSink(options: SmnSinkOptions): AlertSink {
  parseTopicUrn(options.topicUrn);
  checkOptions(options);
  const { topicUrn, auth } = options;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const retry = options.retry ?? DEFAULT_RETRY;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The colons of the URN stay literal in the path, as in every published SMN sample.
  const url = `${options.endpoint.replace(/\/+$/, '')}/v2/${options.projectId}/notifications/topics/${topicUrn}/publish`;
  const secrets = ('token' in auth ? [auth.token] : [auth.accessKey, auth.secretKey, auth.securityToken]).filter(
    (s): s is string => !!s,
  );

  /** Error bodies may echo the canonical request, with the security token in it. Never cuts: callers cut after. */
  function redact(text: string): string {
    return secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  }

  function headersFor(body: string): Record<string, string> {
    const headers = { 'Content-Type': 'application/json' };
    if ('token' in auth) return { ...headers, 'X-Auth-Token': auth.token };
    return signRequest({ method: 'POST', url, headers, body }, auth, now());
  }

  async function attempt(body: string): Promise<Attempt> {
    let headers: Record<string, string>;
    try {
      headers = headersFor(body);
    } catch (error) {
      // Building (signing) the request failed: the same request fails the same way on every retry.
      return { ok: false, retryable: false, detail: cut(oneLine(redact(describeFailure(error, timeoutMs))), 500) };
    }
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers,
        body,
        // A redirect would carry the token to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Redacted before anything cuts it: a token cut at a boundary would leak its prefix.
      const text = redact(await response.text());
      if (response.ok) {
        if (hasMessageId(text)) return { ok: true };
        // A proxy page or a web server at a mistyped SINK_ENDPOINT: nothing was published.
        const type = oneLine(response.headers.get('content-type') ?? 'no content type').slice(0, 80);
        return {
          ok: false,
          retryable: false,
          detail: `the endpoint answered HTTP ${response.status} (${type}) but not as SMN (no message_id in the answer): ${JSON.stringify(cut(oneLine(text)))}`,
          hint: 'check SINK_ENDPOINT and any proxy in between',
        };
      }
      return {
        ok: false,
        retryable: isRetryableStatus(response.status),
        detail: cut(`HTTP ${response.status} ${describeErrorBody(text)}`.trim(), 500),
      };
    } catch (error) {
      // Timeouts, refused or reset connections: the request may not have arrived, so try again.
      return {
        ok: false,
        retryable: true,
        detail: cut(oneLine(redact(describeFailure(error, timeoutMs))), 500),
        cause: error,
      };
    }
  }

  return {
    name: 'smn',
    async publish(alert: Alert): Promise<void> {
      const plain = smnPublishBody(alert);
      const body = JSON.stringify(options.structured === false ? plain : withMessageStructure(plain, alert));
      for (let n = 1; ; n++) {
        const result = await attempt(body);
        if (result.ok) return;
        if (!result.retryable) {
          throw new SinkError(
            `SMN publish to ${topicUrn} failed: ${result.detail} (not retried: ${result.hint ?? 'check the topic URN, the project id and the credentials or agency permissions'})`,
            'smn',
            false,
          );
        }
        if (n >= retry.attempts) {
          throw new SinkError(
            `SMN publish to ${topicUrn} failed after ${n} attempt${n === 1 ? '' : 's'}: ${result.detail}`,
            'smn',
            true,
            { cause: result.cause },
          );
        }
        await sleep(backoffMs(retry, n));
      }
    },
  };
}
