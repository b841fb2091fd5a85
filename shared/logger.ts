import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors wherever they appear in a logged object. Credentials reach log lines only by
 * accident (an error's cause, a context object); these paths make that accident harmless.
 */
export const REDACTED_PATHS = [
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
  'token',
  'securityToken',
  'accessKey',
  'secretKey',
  'authorization',
  'Authorization',
  '*.accessKeyId',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.token',
  '*.securityToken',
  '*.accessKey',
  '*.secretKey',
  '*.authorization',
  '*.Authorization',
  '*.headers["x-auth-token"]',
  '*.headers["X-Auth-Token"]',
  '*.headers["x-security-token"]',
  '*.headers["X-Security-Token"]',
];

/** Matches AWS access key ids (AKIA…/ASIA…) inside free text such as error messages. */
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g;

/** Masks credentials that slipped into free text. */
export function redactText(text: string): string {
  return text.replace(ACCESS_KEY_ID, (key) => `${key.slice(0, 4)}…REDACTED`);
}

export function createLogger(options: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      name: options.name ?? 'trailguard',
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          // Free-text messages and error messages can carry an access key id; mask it.
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : scrubError(arg)));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

function scrubError(value: unknown): unknown {
  if (value && typeof value === 'object' && 'err' in value) {
    const err = (value as { err: unknown }).err;
    if (err instanceof Error) {
      return { ...value, err: { type: err.name, message: redactText(err.message), stack: err.stack && redactText(err.stack) } };
    }
  }
  return value;
}
