/**
 * The shipped CLI (`node scripts/build.mjs`, then bin/trailguard.js) in child processes: a closed
 * stdout, LOG_LEVEL, check-config, the README's match example, and replay --sink failures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { version } from '../package.json';
import { CLI, ROOT, runCli } from './support/run-cli';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { buildBundles } from './support/build-once';

jest.setTimeout(120_000);

const ENV = { IP_WHITELIST: '203.0.113.0/24' };
const DENIED: Record<string, unknown> = JSON.parse(
  readFileSync(join(ROOT, 'events', 'aws', 'cloudtrail-access-denied.json'), 'utf8'),
);

let dir: string;
/** A CloudTrail log file (gzip) whose every record is a refused call of a different user: one alert each. */
let manyAlerts: string;

beforeAll(() => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'trailguard-cli-'));
  const records = Array.from({ length: 3000 }, (_, i) => ({
    ...DENIED,
    eventID: `0000-${i}`,
    userIdentity: {
      type: 'IAMUser',
      principalId: `AIDA${i}`,
      arn: `arn:aws:iam::111122223333:user/u${i}`,
      userName: `u${i}`,
    },
  }));
  manyAlerts = join(dir, 'many.json.gz');
  writeFileSync(manyAlerts, gzipSync(JSON.stringify({ Records: records })));
});

/** Spawns the CLI and closes its stdout as soon as the first bytes arrive (`| head -1`). */
function runUntilFirstOutput(
  args: string[],
  feed?: (stdin: NodeJS.WritableStream, exited: () => boolean) => void,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...ENV },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let exited = false;
    let stderr = '';
    child.stdout.once('data', () => child.stdout.destroy());
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('exit', () => {
      exited = true;
    });
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
    if (feed) feed(child.stdin, () => exited);
    else child.stdin.end();
  });
}

describe('a closed stdout (| head)', () => {
  it('ends replay --json quietly with exit 0', async () => {
    const run = await runUntilFirstOutput(['replay', 'unauthorized-api', manyAlerts, '--json']);
    expect(run).toEqual({ code: 0, signal: null, stderr: '' });
  });

  it('ends replay (human output) quietly with exit 0', async () => {
    const run = await runUntilFirstOutput(['replay', 'unauthorized-api', manyAlerts]);
    expect(run).toEqual({ code: 0, signal: null, stderr: '' });
  });

  it('ends match on a file quietly with exit 0', async () => {
    const file = join(dir, 'events.log');
    writeFileSync(file, `${JSON.stringify(DENIED)}\n`.repeat(20_000));
    const run = await runUntilFirstOutput(['match', '{ $.errorCode = "AccessDenied*" }', file]);
    expect(run).toEqual({ code: 0, signal: null, stderr: '' });
  });

  it('makes match stop reading stdin: it exits long before an endless input ends', async () => {
    const total = 1024 * 1024 * 1024;
    let written = 0;
    const line = Buffer.from(`${JSON.stringify(DENIED)}\n`.repeat(64));
    const run = await runUntilFirstOutput(['match', '{ $.errorCode = "AccessDenied*" }'], (stdin, exited) => {
      const pump = (): void => {
        while (!exited() && written < total) {
          written += line.length;
          if (!stdin.write(line)) {
            stdin.once('drain', pump);
            return;
          }
        }
        stdin.end();
      };
      pump();
    });
    expect(run).toEqual({ code: 0, signal: null, stderr: '' });
    expect(written).toBeLessThan(total / 4);
  });
});

describe('LOG_LEVEL', () => {
  const message = [
    'login-whitelist: 1 configuration problem(s):',
    '- LOG_LEVEL="verbose" is not one of fatal, error, warn, info, debug, trace, silent',
  ].join('\n');

  it('replay rejects LOG_LEVEL=verbose with exit 2 and the cold-start message', async () => {
    const run = await runCli(['replay', 'login-whitelist', 'events/aws'], { env: { ...ENV, LOG_LEVEL: 'verbose' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: ${message}\n`);
    expect(run.stdout).toBe('');
  });

  it('check-config rejects it with the same message', async () => {
    const run = await runCli(['check-config', 'login-whitelist'], {
      env: { ...ENV, LOG_LEVEL: 'verbose', ALERT_TOPIC: 'arn:aws:sns:us-east-1:111122223333:alerts' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: ${message}\n`);
  });

  it('accepts a level in any case', async () => {
    const run = await runCli(['replay', 'login-whitelist', 'events/huaweicloud/cts-login-outside-ip.json', '--quiet'], {
      env: { ...ENV, LOG_LEVEL: 'DEBUG' },
    });
    expect(run.code).toBe(0);
  });
});

describe('check-config', () => {
  const env = {
    IP: '203.0.113.0/24',
    SMN_Topic: 'cts_test',
    RegionName: 'eu-de',
    PROJECT_ID: '0123456789abcdef0123456789abcdef',
    SMN_AUTH_TOKEN: 'secret-token-value-0123456789',
    SINK_ENDPOINT: 'https://user:hunter2hunter2@smn.example.com',
  };

  it('prints the effective configuration with secrets masked and exits 0', async () => {
    const run = await runCli(['check-config', 'login-whitelist', '--platform', 'functiongraph'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('login-whitelist: configuration valid (functiongraph cold-start check)');
    expect(run.stdout).toContain('IP=203.0.113.0/24');
    expect(run.stdout).toContain('https://user:****@smn.example.com');
    expect(run.stdout).not.toContain('secret-token-value');
    expect(run.stdout).not.toContain('hunter2');
  });

  it('--json gives the same facts to a machine', async () => {
    const run = await runCli(['check-config', 'login-whitelist', '--platform', 'functiongraph', '--json'], { env });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      function: 'login-whitelist',
      platform: 'functiongraph',
      ok: true,
      problems: [],
      environment: { IP: '203.0.113.0/24', SINK_ENDPOINT: 'https://user:****@smn.example.com' },
      config: {
        sinkConfig: { kind: 'smn', topic: 'cts_test', region: 'eu-de' },
        config: { whitelist: { entries: ['203.0.113.0/24'] } },
      },
    });
    expect(run.stdout).not.toContain('hunter2');
  });

  it('exits 2 with every problem when the function would not start; --json says why too', async () => {
    const human = await runCli(['check-config', 'login-whitelist'], { env: { MAX_DECOMPRESSED_MB: 'lots' } });
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/^error: login-whitelist: 3 configuration problem\(s\):\n- ALERT_TOPIC is not set/);
    expect(human.stderr).toContain('MAX_DECOMPRESSED_MB');
    expect(human.stderr).toContain('IP_WHITELIST');
    const json = await runCli(['check-config', 'login-whitelist', '--json'], { env: { MAX_DECOMPRESSED_MB: 'lots' } });
    expect(json.code).toBe(2);
    const result = JSON.parse(json.stdout);
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(3);
    expect(`error: ${result.message}\n`).toBe(human.stderr);
  });
});

describe("the README's match examples", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  // Every command line of the README that runs `match`, continuation lines joined.
  const commands = readme
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('./bin/trailguard.js match '));

  it('are there', () => {
    expect(commands.length).toBeGreaterThanOrEqual(2);
  });

  it.each(commands)('run as written from a clone: %s', async (command) => {
    const result = spawnSync('bash', ['--norc', '--noprofile', '-c', command], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/true|"matches"/);
  });
});

describe("the README's check-config example", () => {
  it('runs as written and says the configuration is valid', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const command = readme.split('\n').find((line) => line.includes('./bin/trailguard.js check-config '));
    expect(command).toBeDefined();
    const result = spawnSync('bash', ['--norc', '--noprofile', '-c', command as string], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('configuration valid');
  });
});

describe('replay --sink failures', () => {
  let smn: SmnServer;
  const project = '0123456789abcdef0123456789abcdef';
  const topic = `urn:smn:eu-de:${project}:alerts`;

  beforeAll(async () => {
    smn = await startSmnServer({ token: 'the-right-token-0123456789' });
  });
  afterAll(async () => {
    await smn.close();
  });

  const args = () => [
    'replay',
    'login-whitelist',
    'events/huaweicloud',
    '--sink',
    'smn',
    '--endpoint',
    smn.url,
    '--topic',
    topic,
  ];
  const env = { ...ENV, SMN_AUTH_TOKEN: 'a-wrong-token-0123456789', PROJECT_ID: project };

  it('print one human line per failed delivery and a summary, no JSON log lines, exit 1', async () => {
    const run = await runCli(args(), { env });
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    const failures = lines.filter((line) => line.startsWith(`error: publish to ${topic} failed: `));
    expect(failures.length).toBeGreaterThan(0);
    expect(lines).toContain(`error: ${failures.length} of ${failures.length} alert deliveries to ${topic} failed`);
    expect(run.stderr).not.toMatch(/^\{/m);
    expect(run.stderr).not.toContain('a-wrong-token');
  });

  it('add the structured log lines when LOG_LEVEL asks for them', async () => {
    const run = await runCli(args(), { env: { ...env, LOG_LEVEL: 'error' } });
    expect(run.code).toBe(1);
    const json = run.stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(json.length).toBeGreaterThan(0);
    expect(JSON.parse(json[0])).toMatchObject({ level: 'error', msg: 'alert publish failed' });
    expect(run.stderr).not.toContain('a-wrong-token');
  });
});

describe('--version and --help of the built CLI', () => {
  it('prints the version from package.json', async () => {
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('match -h prints its usage and does not wait on stdin', async () => {
    const run = await runCli(['match', '-h']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: trailguard match/);
  });
});

describe('replay without WebAssembly (node --jitless)', () => {
  it('gives the same alerts and summary as with it: the scan falls back to testing bytes', async () => {
    // Escapes, a \u escape and non-ASCII text in the records, so the scan's string paths are all taken.
    const records = Array.from({ length: 400 }, (_, i) => ({
      ...DENIED,
      eventID: `esc-${i}`,
      userAgent: i % 3 === 0 ? `agent \\"quoted\\" \u00e9 ${i}` : `agent\u0001${'x'.repeat(i % 70)}`,
      userIdentity: { type: 'IAMUser', principalId: `AIDA${i % 40}`, arn: `arn:aws:iam::111122223333:user/u${i % 40}` },
    }));
    const file = join(dir, 'escapes.json.gz');
    writeFileSync(file, gzipSync(JSON.stringify({ Records: records })));
    // The premise: this Node has no WebAssembly under --jitless (else both runs would take the same walk).
    const premise = spawnSync(process.execPath, ['--jitless', '-p', 'typeof WebAssembly'], { encoding: 'utf8' });
    expect(premise.stdout.trim()).toBe('undefined');
    const args = ['replay', 'unauthorized-api', file, manyAlerts, '--json', '--threads', '1'];
    const withWasm = await runCli(args, { env: ENV });
    const jitless = await runCli(args, { env: { ...ENV, NODE_OPTIONS: '--jitless' } });
    expect(withWasm.code).toBe(0);
    expect(jitless.code).toBe(0);
    expect(jitless.stdout).toBe(withWasm.stdout);
    expect(withWasm.stdout.split('\n').length).toBeGreaterThan(3000);
    // V8's own warning about --jitless aside, the same summary.
    const summary = (stderr: string) => stderr.replace(/^Warning: disabling flag --expose_wasm.*\n/m, '');
    expect(summary(jitless.stderr)).toBe(summary(withWasm.stderr));
  });
});
