/**
 * `trailguard match '<pattern>' [file]`: CloudWatch's TestMetricFilter, offline. Each input line is one
 * log event message (JSON or not); prints `true` or `false` per line. Exit 2 with the error and its
 * column on an invalid pattern.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ConfigError } from '../shared/errors';
import { compileFilterPattern, FilterPatternError, matchLines } from '../shared/detect/filter-pattern';
import type { CliIo } from './io';

export const MATCH_USAGE = `usage: trailguard match '<filter pattern>' [file]

Reads log events one per line from the file or stdin and prints true or false for each,
as CloudWatch Logs' TestMetricFilter does.`;

export async function match(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help')) {
    io.out(MATCH_USAGE);
    return 0;
  }
  if (argv.length < 1 || argv.length > 2)
    throw new ConfigError(`match needs a pattern and at most one file\n\n${MATCH_USAGE}`);
  const [pattern, file] = argv;
  // A bad pattern is a usage error (exit 2) whatever the input: compile before opening anything.
  try {
    compileFilterPattern(pattern);
  } catch (error) {
    if (error instanceof FilterPatternError) return patternError(pattern, error, io);
    throw error;
  }
  const input = file === undefined || file === '-' ? process.stdin : createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    if (input === process.stdin) return resolve();
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (error) {
    io.err(`error: ${file}: ${(error as Error).message}`);
    return 1;
  }
  try {
    await matchLines(pattern, createInterface({ input, crlfDelay: Infinity }), io.out);
  } catch (error) {
    if (error instanceof FilterPatternError) return patternError(pattern, error, io);
    throw error;
  }
  return 0;
}

function patternError(pattern: string, error: FilterPatternError, io: CliIo): number {
  io.err(`error: invalid filter pattern at column ${error.column}: ${error.message}`);
  io.err(`  ${pattern}`);
  io.err(`  ${' '.repeat(Math.max(0, error.column - 1))}^`);
  return 2;
}
