/**
 * One base class, subclasses with literal names and typed fields. `isRetryable` is the one place that
 * decides whether a failure should make the platform retry the invocation.
 */
export class TrailguardError extends Error {
  override readonly name: string = 'TrailguardError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad configuration (environment variables, CLI flags). Never retryable: fix the config. */
export class ConfigError extends TrailguardError {
  override readonly name = 'ConfigError' as const;
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}

/** A record or envelope that cannot be processed. Reported per record; never retryable. */
export class InvalidEventError extends TrailguardError {
  override readonly name = 'InvalidEventError' as const;
  constructor(
    message: string,
    /** Where the record was: `file.json#Records[3]`, `event.detail`, … */
    readonly position?: string,
    /** The record's id when it has one. */
    readonly recordId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Publishing to a sink (SNS, SMN, CloudWatch) failed after the sink's own retries. */
export class SinkError extends TrailguardError {
  override readonly name = 'SinkError' as const;
  constructor(
    message: string,
    readonly sink: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Fetching an input object (S3) failed. */
export class FetchError extends TrailguardError {
  override readonly name = 'FetchError' as const;
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether the platform should retry the invocation that raised this error. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof SinkError || error instanceof FetchError) return error.retryable;
  if (error instanceof ConfigError || error instanceof InvalidEventError) return false;
  // Unknown failures (bugs, runtime faults) are retried: losing an alert is worse than a duplicate.
  return true;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
