/** `trailguard replay --state memory|<url>`: the memory stage in replay, and its summary line. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../cli/io';
import { main } from '../cli/main';
import { fixture } from './support/fixtures';
import { startRedisServer } from './support/redis-server';

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env: { IP_WHITELIST: '203.0.113.0/24', ...env },
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
  };
}

/** An NDJSON file of failed console logins from one address, plus one refused call. */
function failedLogins(count: number): string {
  const lines = Array.from({ length: count }, (_v, i) =>
    JSON.stringify({
      ...(fixture('aws/cloudtrail-console-login-failed-hidden-user.json') as object),
      eventID: `f-${i}`,
    }),
  );
  const path = join(mkdtempSync(join(tmpdir(), 'trailguard-memory-')), 'logins.ndjson');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('replay with the memory stage', () => {
  it('--state memory: thresholds and suppressions apply, and the summary says what the stage did', async () => {
    const io = captureIo({
      THRESHOLDS: 'login-failed=5/10m',
      SUPPRESS: JSON.stringify([
        { pattern: '{ $.sourceIPAddress = "198.51.100.61" }', rules: ['ip-not-whitelisted'], reason: 'lab' },
      ]),
      ALERT_ON_FAILED_LOGIN: 'true',
    });
    const code = await main(['replay', 'login-whitelist', failedLogins(7), '--state', 'memory', '--json'], io);
    expect(code).toBe(0);
    const alerts = io.stdout.map((line) => JSON.parse(line));
    expect(alerts.map((alert) => [alert.rule, alert.count])).toEqual([
      ['login-failed', 7],
      ['login-failed', 7],
    ]);
    expect(io.stderr).toContain(
      'memory (memory): 2 alert(s) sent, 0 held for roll-up, 0 rolled up, 7 suppressed, 0 below threshold',
    );
  });

  it('below a threshold: nothing sent, counted', async () => {
    const io = captureIo({ THRESHOLDS: 'login-failed=5/10m' });
    expect(await main(['replay', 'login-whitelist', failedLogins(3), '--json'], io)).toBe(0);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toMatch(
      /0 alert\(s\) sent, 0 held for roll-up, 0 rolled up, 0 suppressed, 6 below threshold/,
    );
  });

  it('a bad --state is a usage error', async () => {
    const io = captureIo();
    expect(await main(['replay', 'login-whitelist', failedLogins(1), '--state', 'mysql://x'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/STATE_STORE="mysql:\/\/x": use memory, dynamodb/);
  });

  it('--state redis://…: an overlapping second replay alerts nothing it already alerted', async () => {
    const redis = await startRedisServer();
    if (!redis) return;
    try {
      const file = failedLogins(2);
      const first = captureIo({ ALERT_ON_FAILED_LOGIN: 'true' });
      expect(await main(['replay', 'login-whitelist', file, '--state', redis.url, '--json'], first)).toBe(0);
      expect(first.stdout).toHaveLength(1);
      const second = captureIo({ ALERT_ON_FAILED_LOGIN: 'true' });
      expect(await main(['replay', 'login-whitelist', file, '--state', redis.url, '--json'], second)).toBe(0);
      expect(second.stdout).toEqual([]);
      expect(second.stderr.join('\n')).toMatch(/memory \(redis\): 0 alert\(s\) sent.*, 2 already seen/);
      expect(second.stderr.join('\n')).not.toContain('test-redis-password');
    } finally {
      await redis.stop();
    }
  });
});
