/**
 * CloudWatch Logs rejects a filter pattern over 1,024 characters (PutMetricFilter `filterPattern`:
 * length 0 to 1024, AWS API reference). So does every place trailguard takes one: the compiler, the
 * function's FILTER_PATTERN / CUSTOM_RULES at cold start, and `trailguard match` (exit 2), bundle included.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadUnauthorizedApiConfig } from '../functions/unauthorized-api/unauthorized-api';
import { compileFilterPattern, FilterPatternError, MAX_PATTERN_LENGTH } from '../shared/detect/filter-pattern';
import { ConfigError } from '../shared/errors';

/** A valid JSON pattern of exactly `length` characters. */
function jsonPattern(length: number): string {
  const head = '{ $.errorCode = "';
  const tail = '" }';
  return `${head}${'x'.repeat(length - head.length - tail.length)}${tail}`;
}

test('the limit is 1,024 characters', () => {
  expect(MAX_PATTERN_LENGTH).toBe(1024);
  expect(jsonPattern(1024)).toHaveLength(1024);
  expect(compileFilterPattern(jsonPattern(1024)).kind).toBe('json');
  expect(() => compileFilterPattern(jsonPattern(1025))).toThrow(FilterPatternError);
});

test('the error points at the first character past the limit and reads as one config problem', () => {
  let error: unknown;
  try {
    compileFilterPattern(jsonPattern(1500));
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(FilterPatternError);
  const { column, message } = error as FilterPatternError;
  expect(column).toBe(1025);
  expect(message).toBe('Filter pattern is 1500 characters long: CloudWatch Logs accepts at most 1024');
  expect((error as FilterPatternError).describe('SUPPRESS[2].pattern')).toBe(
    `SUPPRESS[2].pattern: invalid filter pattern at column 1025: ${message}`,
  );
});

test('FILTER_PATTERN and CUSTOM_RULES over the limit stop the function at cold start', () => {
  const long = jsonPattern(1025);
  for (const env of [
    { FILTER_PATTERN: long },
    { CUSTOM_RULES: JSON.stringify([{ name: 'too-long', pattern: long, severity: 'high' }]) },
  ]) {
    let error: unknown;
    try {
      loadUnauthorizedApiConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('column 1025');
    expect((error as Error).message).toContain('at most 1024');
  }
});

test('`trailguard match` (the shipped bundle) exits 2 before reading any input', () => {
  const cli = join(__dirname, '..', 'bin', 'trailguard.js');
  const result = spawnSync(process.execPath, [cli, 'match', jsonPattern(1025)], {
    input: '{"errorCode":"x"}\n',
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('column 1025');
});
