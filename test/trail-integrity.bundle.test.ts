/**
 * The shipped artifacts: `bin/trailguard.js verify` (the CLI bundle) and the Lambda bundle
 * dist/aws/trail-integrity.js, each run in a child process as a user or Lambda would run it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildChain, listPublicKeysJson, logFileBytes, signingKey, writeChain } from './support/digest-chain';
import { fixture } from './support/fixtures';

const ROOT = join(__dirname, '..');
const key = signingKey();
let dir: string;

beforeAll(() => {
  if (
    !existsSync(join(ROOT, 'dist', 'aws', 'trail-integrity.js')) ||
    !existsSync(join(ROOT, 'dist', 'cli', 'trailguard.js'))
  )
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet'], { cwd: ROOT });
  dir = mkdtempSync(join(tmpdir(), 'trailguard-bundle-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bin/trailguard.js verify', () => {
  it('verifies a local copy with --public-keys and exits 1 on an edited log file', () => {
    const chain = buildChain(key, Date.parse('2026-11-24T10:01:31Z'), [1, 2]);
    writeChain(join(dir, 'good'), chain.files);
    writeFileSync(join(dir, 'keys.json'), listPublicKeysJson([key]));
    const run = (folder: string) =>
      spawnSync(
        process.execPath,
        [join(ROOT, 'bin', 'trailguard.js'), 'verify', folder, '--public-keys', join(dir, 'keys.json'), '--json'],
        {
          encoding: 'utf8',
        },
      );
    const good = run(join(dir, 'good'));
    expect(good.status).toBe(0);
    expect(
      good.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).status),
    ).toEqual(['valid', 'unverifiable', 'valid', 'unverifiable', 'unverifiable']);
    chain.logs[0].bytes = logFileBytes(Date.parse('2026-11-24T10:11:31Z'), 5);
    writeChain(join(dir, 'bad'), chain.files);
    const bad = run(join(dir, 'bad'));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('"status":"invalid"');
    expect(
      spawnSync(process.execPath, [join(ROOT, 'bin', 'trailguard.js'), 'verify'], { encoding: 'utf8' }).status,
    ).toBe(2);
  });
});

describe('dist/aws/trail-integrity.js', () => {
  it('loads at cold start with its config checked, and alerts on an EventBridge StopLogging', () => {
    const event = {
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.cloudtrail',
      detail: fixture('aws/cloudtrail-stop-logging.json'),
    };
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'aws', 'trail-integrity.js')).href)});
      const result = await handler(${JSON.stringify(event)}, {});
      console.log('RESULT ' + JSON.stringify(result));
    `;
    const env = { PATH: process.env.PATH, ALERT_SINK: 'stdout', LOG_LEVEL: 'silent', AWS_REGION: 'us-east-1' };
    const ok = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
    expect(ok.stderr).toBe('');
    const alert = JSON.parse(ok.stdout.split('\n').find((line) => line.startsWith('{')) as string);
    expect(alert).toMatchObject({ function: 'trail-integrity', rule: 'trail-logging-stopped', severity: 'critical' });
    expect(ok.stdout).toContain('RESULT {"function":"trail-integrity","records":1,"alerts":1');

    const bad = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...env, TRAIL_BUCKETS: 'Bad_Bucket', TRAIL_KMS_KEYS: 'nope' },
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('trail-integrity: 2 configuration problem(s)');
  });
});
