/**
 * JSON text without the limits of JSON.parse / JSON.stringify that change what a pattern sees:
 * - `parseJsonKeepingNumbers` keeps each number's literal (JSON.parse makes `1` and `1.0` the same, and
 *   rounds integers past 2^53), for the rare comparisons whose answer depends on it;
 * - `serializeJson` writes any depth of nesting (JSON.stringify overflows the stack near 5,000 levels).
 * Both are iterative: no input depth can exhaust the stack.
 */
import { TrailguardError } from '../../errors';

/**
 * A JSON number as written. No own properties, so selectors never look inside it (`$.a.text` on a
 * number is missing, as with a plain number).
 */
export class NumberLiteral {
  readonly #text: string;
  readonly #value: number;
  readonly #integer: boolean;
  constructor(text: string) {
    this.#text = text;
    this.#value = Number(text);
    this.#integer = !/[.eE]/.test(text);
  }
  /** The literal. */
  text(): string {
    return this.#text;
  }
  /** The nearest double (what JSON.parse gives). */
  value(): number {
    return this.#value;
  }
  /** Written without fraction or exponent: AWS keeps such numbers exact; others become doubles. */
  integer(): boolean {
    return this.#integer;
  }
}

/** A value JSON cannot express (a cycle, a BigInt): matching it as text is impossible, and never silent. */
export class UnmatchableValueError extends TrailguardError {
  override readonly name = 'UnmatchableValueError' as const;
}

/** `state`: just opened, after a member, or after a comma. */
type State = 'open' | 'member' | 'comma';
type Container =
  | { array: unknown[]; state: State }
  | { object: Record<string, unknown>; key: string | undefined; state: State };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses text that JSON.parse accepts, with every number a NumberLiteral and every object without a
 * prototype (so a `__proto__` key is an ordinary own key, as with JSON.parse). Throws SyntaxError on
 * text JSON.parse would reject.
 */
export function parseJsonKeepingNumbers(text: string): unknown {
  const stack: Container[] = [];
  let i = 0;
  let result: unknown;
  let done = false;
  const n = text.length;
  const fail = (): never => {
    throw new SyntaxError(`Unexpected JSON at position ${i}`);
  };
  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const readString = (): string => {
    // From the opening quote to the closing one; JSON.parse decodes the escapes.
    let j = i + 1;
    let escaped = false;
    for (;;) {
      if (j >= n) fail();
      const c = text.charCodeAt(j);
      if (c === 0x22) break;
      if (c === 0x5c) escaped = true;
      j += c === 0x5c ? 2 : 1;
    }
    // Only escapes need decoding; JSON.parse also rejects raw control characters.
    const value =
      escaped || /[\u0000-\u001f]/.test(text.slice(i + 1, j))
        ? (JSON.parse(text.slice(i, j + 1)) as string)
        : text.slice(i + 1, j);
    i = j + 1;
    return value;
  };
  /** Puts a finished value into the innermost container, or makes it the result. */
  const emit = (value: unknown) => {
    const top = stack[stack.length - 1];
    if (!top) {
      result = value;
      done = true;
    } else if ('array' in top) {
      top.array.push(value);
      top.state = 'member';
    } else {
      top.object[top.key!] = value;
      top.key = undefined;
      top.state = 'member';
    }
  };

  for (;;) {
    skipSpace();
    const top = stack[stack.length - 1];
    // Inside an object, before a value: a key and a colon (or the closing brace).
    if (top && 'object' in top && top.key === undefined) {
      const c = text[i];
      if (c === '}' && top.state !== 'comma') {
        i++;
        stack.pop();
        emit(top.object);
      } else if (c === ',' && top.state === 'member') {
        i++;
        top.state = 'comma';
        continue;
      } else {
        if (c !== '"' || top.state === 'member') fail();
        top.key = readString();
        skipSpace();
        if (text[i] !== ':') fail();
        i++;
        continue;
      }
    } else if (top && 'array' in top && (text[i] === ']' || text[i] === ',' || top.state === 'member')) {
      if (text[i] === ']' && top.state !== 'comma') {
        i++;
        stack.pop();
        emit(top.array);
      } else if (text[i] === ',' && top.state === 'member') {
        i++;
        top.state = 'comma';
        continue;
      } else {
        fail();
      }
    } else {
      const c = text[i];
      if (c === '{') {
        i++;
        stack.push({ object: Object.create(null) as Record<string, unknown>, key: undefined, state: 'open' });
        continue;
      }
      if (c === '[') {
        i++;
        stack.push({ array: [], state: 'open' });
        continue;
      }
      if (c === '"') emit(readString());
      else if (text.startsWith('true', i)) {
        i += 4;
        emit(true);
      } else if (text.startsWith('false', i)) {
        i += 5;
        emit(false);
      } else if (text.startsWith('null', i)) {
        i += 4;
        emit(null);
      } else {
        NUMBER.lastIndex = i;
        const match = NUMBER.exec(text);
        if (!match) fail();
        i += match![0].length;
        emit(new NumberLiteral(match![0]));
      }
    }
    if (done) {
      skipSpace();
      if (i !== n) fail();
      return result;
    }
  }
}

type Frame =
  | { readonly array: readonly unknown[]; index: number }
  | { readonly object: object; readonly keys: string[]; index: number; wrote: boolean };

function toJsonValue(holder: unknown, key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  void holder;
  return value;
}

/**
 * What JSON.stringify writes for `value` (plain JSON data: records, arrays, strings, numbers, booleans,
 * null; toJSON honoured), at any depth. Throws UnmatchableValueError for a cycle or a BigInt.
 */
export function serializeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof RangeError) || !/call stack/i.test(error.message)) {
      throw new UnmatchableValueError(`value cannot be written as JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return serializeDeep(value);
}

/** serializeJson without trying JSON.stringify first (exported for the tests). */
export function serializeDeep(root: unknown): string | undefined {
  const out: string[] = [];
  const frames: Frame[] = [];
  const open = new Set<object>();

  /** Writes a scalar, or opens a container; false when the value is omitted (undefined, function). */
  const write = (value: unknown): boolean => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        out.push(JSON.stringify(value));
        return true;
      case 'number':
        out.push(Number.isFinite(value) ? JSON.stringify(value) : 'null');
        return true;
      case 'bigint':
        throw new UnmatchableValueError('value cannot be written as JSON: it holds a BigInt');
      case 'object': {
        if (value === null) {
          out.push('null');
          return true;
        }
        if (open.has(value)) throw new UnmatchableValueError('value cannot be written as JSON: it holds a cycle');
        open.add(value);
        if (Array.isArray(value)) {
          out.push('[');
          frames.push({ array: value, index: 0 });
        } else {
          out.push('{');
          frames.push({ object: value, keys: Object.keys(value), index: 0, wrote: false });
        }
        return true;
      }
      default:
        return false;
    }
  };

  if (!write(toJsonValue(undefined, '', root))) return undefined;
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    if ('array' in frame) {
      if (frame.index >= frame.array.length) {
        out.push(']');
        frames.pop();
        open.delete(frame.array);
        continue;
      }
      const index = frame.index++;
      if (index > 0) out.push(',');
      if (!write(toJsonValue(frame.array, String(index), frame.array[index]))) out.push('null');
    } else {
      if (frame.index >= frame.keys.length) {
        out.push('}');
        frames.pop();
        open.delete(frame.object);
        continue;
      }
      const key = frame.keys[frame.index++]!;
      const value = toJsonValue(frame.object, key, (frame.object as Record<string, unknown>)[key]);
      const kind = typeof value;
      if (value === undefined || kind === 'function' || kind === 'symbol') continue;
      out.push(frame.wrote ? ',' : '', JSON.stringify(key), ':');
      frame.wrote = true;
      write(value);
    }
  }
  return out.join('');
}
