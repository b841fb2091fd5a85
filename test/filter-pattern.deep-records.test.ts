/**
 * A pattern matches a record the same way on every path: the pipeline hands the engine the parsed record
 * (matchesValue), `trailguard match` the raw line (matchesMessage). Term and space-delimited patterns read
 * the record's JSON text, so a record nested deeper than JSON.stringify can write (~5,000 levels) used to
 * be a silent "no match" in the pipeline while `match` said true. Now it is written iteratively; a value
 * JSON cannot write at all (a cycle, a BigInt) throws UnmatchableValueError, which the pipeline reports as
 * a rejected record with its reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectUnauthorizedApi, loadUnauthorizedApiConfig } from '../functions/unauthorized-api/unauthorized-api';
import { compileFilterPattern, matchLines, UnmatchableValueError } from '../shared/detect/filter-pattern';
import { normalizeRecord } from '../shared/normalize';
import { fixture } from './support/fixtures';

/** `{"a":{"a":…{"a":"<leaf>"}…}}` as text, built without JSON.stringify. */
function nestedText(depth: number, leaf: string): string {
  return `${'{"a":'.repeat(depth)}${JSON.stringify(leaf)}${'}'.repeat(depth)}`;
}

const DEPTHS = [10, 4_000, 6_000, 50_000] as const;

describe.each(DEPTHS)('a record nested %i deep', (depth) => {
  const text = nestedText(depth, 'deep ERROR marker');
  const record = JSON.parse(text) as unknown;

  test.each([
    ['ERROR', true],
    ['"deep ERROR marker"', true],
    ['-ERROR', false],
    ['?missing ?marker', true],
    ['%ERROR\\sm[a-z]+%', true],
    ['[first, ...]', true],
    ['[first = *a*, ...]', true],
    ['[first = *zzz*, ...]', false],
    ['NOTTHERE', false],
  ])('%s gives %s from the parsed record and from the raw line', (pattern, expected) => {
    const compiled = compileFilterPattern(pattern);
    expect(compiled.matchesMessage(text)).toBe(expected);
    expect(compiled.matchesValue(record)).toBe(expected);
  });

  test('a JSON pattern reads the path without writing anything', () => {
    const compiled = compileFilterPattern('{ $.a.b NOT EXISTS && $.a.a.a.a.a.a.a.a.a.a = * }');
    expect(compiled.matchesValue(record)).toBe(depth === 10);
    expect(compiled.matchesMessage(text)).toBe(depth === 10);
  });
});

test('deep arrays and mixed containers are written like JSON.stringify writes them', () => {
  let value: unknown = { leaf: [1, 'two', null, true, { u: undefined }] };
  for (let k = 0; k < 30_000; k++) value = k % 2 ? [value, k] : { k, v: value };
  const compiled = compileFilterPattern('"{\\"leaf\\":[1,\\"two\\",null,true,{}]}"');
  expect(compiled.matchesValue(value)).toBe(true);
});

test('a value JSON cannot write is never a silent no-match: it throws UnmatchableValueError', () => {
  const cyclic: Record<string, unknown> = { eventName: 'ERROR' };
  cyclic.self = cyclic;
  for (const pattern of ['ERROR', '[a, ...]']) {
    const compiled = compileFilterPattern(pattern);
    expect(() => compiled.matchesValue(cyclic)).toThrow(UnmatchableValueError);
    expect(() => compiled.matchesValue({ n: 1n })).toThrow(UnmatchableValueError);
  }
});

describe('through unauthorized-api (FILTER_PATTERN over the parsed CloudTrail record)', () => {
  const base = fixture('aws/cloudtrail-access-denied.json') as Record<string, unknown>;
  const deep = JSON.parse(nestedText(8_000, 'needle_7f3a')) as unknown;
  const record = { ...base, requestParameters: deep };

  test.each([
    ['"needle_7f3a"', true],
    ['needle', true],
    ['-needle', false],
  ])('%s over a record with 8,000-deep request parameters fires: %s', (pattern, fires) => {
    const config = loadUnauthorizedApiConfig({ FILTER_PATTERN: pattern, FILTER_RULE_NAME: 'deep-needle' });
    const findings = detectUnauthorizedApi(normalizeRecord('cloudtrail', record), config);
    expect(findings.some((finding) => finding.rule === 'deep-needle')).toBe(fires);
  });

  test('and `trailguard match` says the same for the record as one line', async () => {
    const line = JSON.stringify({ ...base, requestParameters: null }).replace(
      '"requestParameters":null',
      `"requestParameters":${nestedText(8_000, 'needle_7f3a')}`,
    );
    const out: string[] = [];
    await matchLines('"needle_7f3a"', [line], (answer) => out.push(answer));
    expect(out).toEqual(['true']);
  });
});

describe('the shipped CLI bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trailguard-deep-'));
  const base = fixture('aws/cloudtrail-access-denied.json') as Record<string, unknown>;
  const line = JSON.stringify({ ...base, requestParameters: null }).replace(
    '"requestParameters":null',
    `"requestParameters":${nestedText(8_000, 'needle_7f3a')}`,
  );
  const file = join(dir, 'deep.json');
  writeFileSync(file, `{"Records":[${line}]}`);
  const cli = join(__dirname, '..', 'bin', 'trailguard.js');

  test('replay raises the FILTER_PATTERN alert for the deep record', () => {
    const out = execFileSync(process.execPath, [cli, 'replay', 'unauthorized-api', file, '--json', '--quiet'], {
      env: { ...process.env, FILTER_PATTERN: '"needle_7f3a"', FILTER_RULE_NAME: 'deep-needle' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toContain('deep-needle');
  });

  test('match says true for the same record as one line', () => {
    const lineFile = join(dir, 'deep.ndjson');
    writeFileSync(lineFile, `${line}\n`);
    const out = execFileSync(process.execPath, [cli, 'match', '"needle_7f3a"', lineFile], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out.trim()).toBe('true');
  });
});
