import { TrailguardError } from '../../errors';

/**
 * A filter pattern that CloudWatch Logs would reject. Raised at compile time only: a compiled pattern
 * never throws while matching. `column` is 1-based and points into the pattern as given (before trimming).
 */
export class FilterPatternError extends TrailguardError {
  override readonly name = 'FilterPatternError' as const;
  constructor(
    message: string,
    readonly column: number,
    readonly pattern: string,
  ) {
    super(message);
  }
}

/** Throws at a 0-based offset into `pattern`. */
export function fail(pattern: string, offset: number, message: string): never {
  throw new FilterPatternError(message, offset + 1, pattern);
}
