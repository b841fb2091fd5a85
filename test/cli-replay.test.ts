/** The replay CLI contract: output channels, --json lines, exit codes. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { EVENTS_DIR } from './support/fixtures';

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env: { IP_WHITELIST: '203.0.113.0/24, 2001:db8:1::/48', ...env },
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
  };
}

function tempFile(name: string, content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trailguard-')), name);
  writeFileSync(path, content);
  return path;
}

describe('trailguard replay', () => {
  it('prints one JSON object per alert per line with --json, and the summary on stderr', async () => {
    const io = captureIo();
    const code = await main(
      ['replay', 'login-whitelist', join(EVENTS_DIR, 'huaweicloud', 'cts-login-outside-ip.json'), '--json'],
      io,
    );
    expect(code).toBe(0);
    expect(io.stdout).toHaveLength(1);
    const alert = JSON.parse(io.stdout[0]);
    expect(alert).toMatchObject({
      function: 'login-whitelist',
      rule: 'ip-not-whitelisted',
      event: { cloud: 'huaweicloud', action: 'login', sourceIp: '10.65.56.139' },
    });
    expect(alert.message.split('\n')[0]).toBe('Illegal operation[IP:10.65.56.139, Action:login]');
    expect(alert.event.raw).toBeUndefined();
    expect(io.stderr.join('\n')).toMatch(/1 record\(s\), 1 alert\(s\)/);
  });

  it('replays whole folders of samples from both clouds', async () => {
    const io = captureIo();
    const code = await main(['replay', 'login-whitelist', EVENTS_DIR, '--json'], io);
    const alerts = io.stdout.map((line) => JSON.parse(line));
    expect(alerts.some((alert) => alert.event.cloud === 'aws')).toBe(true);
    expect(alerts.some((alert) => alert.event.cloud === 'huaweicloud')).toBe(true);
    // S3 references cannot be fetched offline: they are reported, so the run exits 1.
    expect([0, 1]).toContain(code);
  });

  it('counts empty record lists as such in the skipped breakdown, not as "not for this function"', async () => {
    const io = captureIo();
    const files = [
      tempFile('empty.json', '{"Records":[]}'),
      tempFile('empty-cts.json', '{"traces":[]}'),
      tempFile('empty-list.json', '[]'),
      tempFile('empty.json.gz', gzipSync('{"Records":[]}')),
    ];
    const code = await main(['replay', 'unauthorized-api', ...files, '--threads', '1'], io);
    expect(code).toBe(0);
    const summary = io.stderr.find((line) => line.startsWith('unauthorized-api: 4 file(s)'));
    expect(summary).toContain('4 skipped (4 empty record list(s))');
    expect(summary).not.toContain('not for this function');
  });

  it('reads the geo databases only for a run with findings, and warns of an unreadable one before the summary', async () => {
    // Passes the cold-start check (the metadata marker is there), fails when read.
    const bad = tempFile(
      'bad.mmdb',
      Buffer.concat([Buffer.from('garbage'), Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.comxx')]),
    );
    const warning = /^warning: geo databases unavailable, alerts go without: /;
    const quiet = captureIo({ GEOIP_DB: bad });
    expect(await main(['replay', 'login-whitelist', tempFile('empty.json', '{"Records":[]}')], quiet)).toBe(0);
    expect(quiet.stderr.filter((line) => warning.test(line))).toHaveLength(0);
    const io = captureIo({ GEOIP_DB: bad });
    const login = join(EVENTS_DIR, 'huaweicloud', 'cts-login-outside-ip.json');
    expect(await main(['replay', 'login-whitelist', login, login, '--threads', '1'], io)).toBe(0);
    const warned = io.stderr.findIndex((line) => warning.test(line));
    expect(io.stderr.filter((line) => warning.test(line))).toHaveLength(1);
    expect(warned).toBeLessThan(io.stderr.findIndex((line) => line.startsWith('login-whitelist: 2 file(s)')));
    expect(io.stdout).toHaveLength(1);
  });

  it('reads gzip and NDJSON inputs', async () => {
    const record = JSON.stringify({
      cts: JSON.parse(JSON.stringify(require('../events/huaweicloud/cts-login-outside-ip.json'))),
    });
    const gz = tempFile(
      'traces.ndjson.gz',
      gzipSync(`${record}\n\n${record.replace(/"trace_id":"[^"]+"/, '"trace_id":"other-id"')}\n`),
    );
    const io = captureIo();
    expect(await main(['replay', 'login-whitelist', gz, '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout[0]).count).toBe(2);
  });

  it('exits 1 when some input cannot be processed, and still reports the rest', async () => {
    const good = join(EVENTS_DIR, 'huaweicloud', 'cts-login-outside-ip.json');
    const bad = tempFile('broken.json', '{"Records": [');
    const io = captureIo();
    expect(await main(['replay', 'login-whitelist', good, bad, '/no/such/file.json', '--json'], io)).toBe(1);
    expect(io.stdout).toHaveLength(1);
    expect(io.stderr.join('\n')).toMatch(/broken\.json/);
    expect(io.stderr.join('\n')).toMatch(/no such file/);
  });

  it('exits 2 on a configuration error, naming the bad whitelist entry', async () => {
    const io = captureIo({ IP_WHITELIST: '203.0.113.0/24, 10.1.1' });
    expect(await main(['replay', 'login-whitelist', EVENTS_DIR], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('10.1.1');
  });

  it('exits 2 on usage errors', async () => {
    expect(await main(['replay'], captureIo())).toBe(2);
    expect(await main(['replay', 'no-such-function', EVENTS_DIR], captureIo())).toBe(2);
    expect(await main(['replay', 'login-whitelist', EVENTS_DIR, '--bogus'], captureIo())).toBe(2);
    expect(await main(['frobnicate'], captureIo())).toBe(2);
    expect(await main(['replay', 'login-whitelist', EVENTS_DIR, '--sink', 'carrier-pigeon'], captureIo())).toBe(2);
  });

  it('prints human-readable alerts without --json', async () => {
    const io = captureIo();
    await main(['replay', 'login-whitelist', join(EVENTS_DIR, 'huaweicloud', 'cts-login-outside-ip.json')], io);
    expect(io.stdout.join('\n')).toContain('Illegal operation[IP:10.65.56.139, Action:login]');
    expect(io.stdout.join('\n')).toContain('Subject: ');
  });
});
