/**
 * Exact decimal numbers, read from their text: how CloudWatch Logs compares a pattern's number with a
 * record's (`9007199254740993` is not `9007199254740992`, `1e-999` is not zero). Linear in the text.
 */

/** value = ±0.digits × 10^exponent; `digits` has no leading or trailing zeros; zero has no digits. */
export interface Decimal {
  readonly negative: boolean;
  readonly digits: string;
  readonly exponent: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** Exponents beyond this are clamped: no comparison of real inputs depends on them. */
const MAX_EXPONENT = 1e15;

const ZERO: Decimal = { negative: false, digits: '', exponent: 0 };

/** The exact value `text` spells (pattern or JSON number grammar), or undefined when it is not a number. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const integer = match[2]!;
  const fraction = match[3] ?? '';
  const all = integer + fraction;
  let start = 0;
  while (start < all.length && all.charCodeAt(start) === 0x30) start++;
  let end = all.length;
  while (end > start && all.charCodeAt(end - 1) === 0x30) end--;
  if (start === end) return ZERO;
  const shift = match[4] === undefined ? 0 : Math.max(-MAX_EXPONENT, Math.min(MAX_EXPONENT, Number(match[4])));
  return { negative: match[1] === '-', digits: all.slice(start, end), exponent: integer.length - start + shift };
}

function signOf(value: Decimal): number {
  return value.digits === '' ? 0 : value.negative ? -1 : 1;
}

/** -1, 0 or 1 as `a` is below, equal to or above `b`. */
export function compareDecimals(a: Decimal, b: Decimal): number {
  const sa = signOf(a);
  const sb = signOf(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  if (a.exponent !== b.exponent) return a.exponent > b.exponent ? sa : -sa;
  if (a.digits === b.digits) return 0;
  return a.digits > b.digits ? sa : -sa;
}

/**
 * Java's `Double.toString`, which is how CloudWatch Logs spells a JSON number that is not an integer
 * when it compares it as text (captures: `1.0` is not `"1"`, `1e-999` reads as `0.0`, `1e309` as
 * `Infinity`): shortest round-trip digits, plain between 10^-3 and 10^7, else `d.dddE±n`.
 */
export function javaDoubleText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const magnitude = Math.abs(value);
  const [mantissa, exponentText] = magnitude.toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const point = exponent + 1;
    if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exponent}`;
}
