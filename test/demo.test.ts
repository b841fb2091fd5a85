/**
 * `npm run demo` (the built dist/demo.js): what it set up and the settings first, each distinct alert
 * once (other envelopes as "also delivered as"), the summary last, no setting turned on behind the
 * user's back, and counts equal to `trailguard replay` of the same folder with the same settings.
 * The demo runs offline: fauxqs and the CloudWatch endpoint on 127.0.0.1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const WHITELIST = '203.0.113.0/24, 2001:db8:1::/48';
const FUNCTIONS = ['config-compliance', 'login-whitelist', 'unauthorized-api'];

/** A clean environment: nothing from the developer's settings or AWS setup. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'demo.js')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function replayLine(fn: string, env: NodeJS.ProcessEnv): string {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'trailguard.js'), 'replay', fn, 'events/'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = result.stderr
    .split('\n')
    .reverse()
    .find((text) => text.startsWith(`${fn}: `));
  if (!line) throw new Error(`no replay summary for ${fn}:\n${result.stderr}`);
  return line;
}

let demo: { code: number | null; stdout: string; stderr: string };
let lines: string[];

beforeAll(async () => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  demo = await runDemo(cleanEnv());
  lines = demo.stdout.split('\n');
}, 200_000);

describe('npm run demo', () => {
  it('runs to the end', () => {
    expect({ code: demo.code, stderr: demo.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('prints what it set up and the settings first', () => {
    const firstAlert = lines.findIndex((line) => line.startsWith('--- '));
    const head = lines.slice(0, firstAlert).join('\n');
    expect(head).toMatch(/SNS\/SQS\/S3 emulator \(fauxqs\)\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(head).toMatch(/alert topic\s+arn:aws:sns:/);
    expect(head).toMatch(/trail bucket\s+trailguard-demo-trail/);
    expect(head).toContain('Settings');
    expect(head).toContain(`IP_WHITELIST=${WHITELIST}`);
    // Nothing switched on behind the user's back: only the whitelist, which has no default.
    expect(head).toContain('ALERT_ON_FAILED_LOGIN unset');
  });

  it('prints each distinct alert once, and the other envelopes that delivered it', () => {
    const blocks = demo.stdout.split('\n--- ').slice(1);
    const bodies = blocks.map((block) => block.split('\n    delivered from:')[0]);
    expect(bodies.length).toBeGreaterThan(5);
    expect(new Set(bodies).size).toBe(bodies.length);
    const eventIds = bodies.map((body) => `${body.split('\n')[0].split(' ')[0]} ${/Event id: (\S+)/.exec(body)?.[1]}`);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(demo.stdout).toMatch(
      /also delivered as: .*events\/aws\/envelope-cloudtrail-log-file\.json\.gz.*envelope-s3-object-created\.json/,
    );
  });

  it('ends with the summary, whose counts are those of `trailguard replay` with the same settings', () => {
    const summary = lines.indexOf('Summary');
    const lastAlert = lines.map((line) => line.startsWith('--- ')).lastIndexOf(true);
    expect(summary).toBeGreaterThan(lastAlert);
    const tail = lines.slice(summary).join('\n');
    for (const fn of FUNCTIONS) {
      const replay = replayLine(fn, cleanEnv({ IP_WHITELIST: WHITELIST }));
      expect(tail).toContain(`  ${replay}\n`);
      const alerts = /(\d+) alert\(s\)/.exec(replay)?.[1];
      expect(tail).toMatch(
        new RegExp(
          `${fn}: [^\\n]*\\n\\s+Lambda bundle: .* ${alerts} distinct alert\\(s\\).*\\(the same alerts as replay\\)`,
        ),
      );
    }
    expect(demo.stdout.trimEnd().split('\n').length - summary).toBeLessThan(12);
  });

  it('uses a setting given in the environment, and still agrees with replay', async () => {
    const run = await runDemo(cleanEnv({ ALERT_ON_FAILED_LOGIN: 'true' }));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ALERT_ON_FAILED_LOGIN=true');
    const replay = replayLine('login-whitelist', cleanEnv({ IP_WHITELIST: WHITELIST, ALERT_ON_FAILED_LOGIN: 'true' }));
    expect(run.stdout).toContain(`  ${replay}\n`);
    expect(run.stdout).toMatch(/login-whitelist: [^\n]*\n\s+Lambda bundle: .*\(the same alerts as replay\)/);
  }, 200_000);
});
