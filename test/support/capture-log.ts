/**
 * Captures what a pino logger writes: hand `destination` to createLogger or a handler's
 * `logDestination`, then read the lines back as parsed objects or as the raw text.
 */
import type { DestinationStream } from 'pino';

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLog {
  destination: DestinationStream;
  /** Every line as written (already scrubbed), in order. */
  raw: string[];
  lines(): LogLine[];
  /** Lines with this message. */
  find(msg: string): LogLine[];
  text(): string;
  clear(): void;
}

export function captureLog(): CapturedLog {
  const raw: string[] = [];
  return {
    destination: { write: (line: string) => void raw.push(line) },
    raw,
    lines: () =>
      raw
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as LogLine),
    find(msg) {
      return this.lines().filter((line) => line.msg === msg);
    },
    text: () => raw.join(''),
    clear: () => void raw.splice(0),
  };
}
