import pino, { type DestinationStream, type Logger } from 'pino';
import { ConfigError } from '../errors';

export type { DestinationStream, Logger } from 'pino';

/** The levels pino knows (`LOG_LEVEL`); anything else makes pino throw, so config checks against this list. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Keys whose values are censored wherever they appear in a logged object (compared case-insensitively,
 * down to CENSOR_DEPTH levels). Credentials reach log lines only by accident (an error's field, a
 * context object, request headers); this makes that accident harmless. A copy is made only along the
 * path to a censored key, so the common log line costs a walk, not a clone.
 */
export const CENSORED_KEYS = new Set([
  'accesskeyid',
  'secretaccesskey',
  'sessiontoken',
  'token',
  'securitytoken',
  'accesskey',
  'secretkey',
  'authorization',
  'x-auth-token',
  'x-security-token',
  'x-amz-security-token',
]);
const CENSOR_DEPTH = 4;

export function censorKeys(value: unknown, depth = 0): unknown {
  if (
    depth >= CENSOR_DEPTH ||
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Error
  )
    return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    const censored =
      CENSORED_KEYS.has(key.toLowerCase()) && field !== undefined ? '[REDACTED]' : censorKeys(field, depth + 1);
    if (censored !== field) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = censored;
    }
  }
  return copy ?? value;
}

/**
 * Matches AWS access key ids (AKIA…/ASIA…) inside free text such as error messages. No word boundary on
 * the left: in URL-encoded text (`%20AKIA…`) a digit comes right before the key.
 */
const ACCESS_KEY_ID = /(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}(?![A-Z0-9])/g;

/** Masks credentials that slipped into free text. */
export function redactText(text: string): string {
  return text.replace(ACCESS_KEY_ID, (key) => `${key.slice(0, 4)}…REDACTED`);
}

/** Secret values shorter than this are not scrubbed from log lines (they would match ordinary text). */
const MIN_SECRET_LENGTH = 8;

/**
 * A destination that scrubs every finished log line before it is written: access key ids anywhere in
 * the line (a field value, a rejection reason, a nested error), and the exact values of the credentials
 * this process holds (session tokens, SMN tokens, secret keys), which have no recognisable shape.
 */
export function scrubbingDestination(
  target: DestinationStream,
  secrets: readonly (string | undefined)[] = [],
): DestinationStream {
  const known = [
    ...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH)),
  ];
  // A value can appear JSON-escaped inside the line.
  const forms = [...new Set(known.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort(
    (a, b) => b.length - a.length,
  );
  return {
    write(line: string) {
      let out = redactText(line);
      for (const form of forms) if (out.includes(form)) out = out.split(form).join('[REDACTED]');
      target.write(out);
    },
  };
}

export function createLogger(
  options: {
    level?: string;
    name?: string /** Credential values to scrub from every line. */;
    secrets?: readonly (string | undefined)[];
  } = {},
  destination?: DestinationStream,
): Logger {
  // A level pino does not know makes it throw a message naming its internals; the config check
  // (load-function-config.ts) reports it first, this is the last guard.
  if (options.level !== undefined && !isLogLevel(options.level))
    throw new ConfigError(`LOG_LEVEL=${JSON.stringify(options.level)} is not one of ${LOG_LEVELS.join(', ')}`);
  return pino(
    {
      name: options.name ?? 'trailguard',
      level: options.level ?? 'info',
      base: undefined,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => censorKeys(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // Free-text messages and error messages can carry an access key id; mask it.
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : scrubError(arg)));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    scrubbingDestination(destination ?? pino.destination({ dest: 2, sync: true }), options.secrets),
  );
}

function scrubError(value: unknown): unknown {
  if (value && typeof value === 'object' && 'err' in value) {
    const err = (value as { err: unknown }).err;
    if (err instanceof Error) {
      // The same class, so pino reports its type (SinkError, not Object), with its plain typed fields
      // (sink, retryable, recordId) and the message and stack masked; never the cause, whose text (a
      // request, a response body) is not ours to log.
      const safe = Object.create(Object.getPrototypeOf(err) as object) as Record<string, unknown>;
      for (const [key, field] of Object.entries(err)) {
        if (typeof field === 'string') safe[key] = redactText(field);
        else if (typeof field === 'number' || typeof field === 'boolean') safe[key] = field;
      }
      safe.message = redactText(err.message);
      if (err.stack) safe.stack = redactText(err.stack);
      return { ...value, err: safe };
    }
  }
  return value;
}
