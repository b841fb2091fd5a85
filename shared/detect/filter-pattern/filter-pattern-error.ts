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

  /**
   * The error as one configuration problem, for cold-start errors and `match` (`label` names the setting,
   * e.g. `FILTER_PATTERN` or `SUPPRESS[2].pattern`): `<label>: invalid filter pattern at column N: …`.
   */
  describe(label?: string): string {
    const what = `invalid filter pattern at column ${this.column}: ${this.message}`;
    return label ? `${label}: ${what}` : what;
  }
}

/** Throws at a 0-based offset into `pattern`. */
export function fail(pattern: string, offset: number, message: string): never {
  throw new FilterPatternError(message, offset + 1, pattern);
}
