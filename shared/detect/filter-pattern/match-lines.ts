import { compileFilterPattern } from './compile-filter-pattern';

/**
 * The core of `trailguard match '<pattern>' [file]`, mirroring CloudWatch's TestMetricFilter: every input
 * line is one log event message (JSON or not) and gets one output line, `true` or `false`.
 * The pattern is compiled before any input is read, so a bad pattern fails with FilterPatternError and
 * writes nothing.
 */
export async function matchLines(
  pattern: string,
  lines: AsyncIterable<string> | Iterable<string>,
  write: (line: string) => void,
): Promise<void> {
  const compiled = compileFilterPattern(pattern);
  for await (const line of lines) {
    // A file with CRLF line ends still gives one message per line, without the carriage return.
    const message = line.endsWith('\r') ? line.slice(0, -1) : line;
    write(compiled.matchesMessage(message) ? 'true' : 'false');
  }
}
