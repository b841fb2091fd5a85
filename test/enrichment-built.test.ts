/**
 * Enrichment in the shipped artifacts: the Lambda and FunctionGraph zips unpacked as the platforms
 * unpack them (the geo databases in geo/ beside the bundle, never inside it), run in child processes
 * with alerts on stdout; the Organizations names through the Lambda bundle against a local endpoint;
 * bad GEOIP_DB files at cold start; and the CLI (bin/trailguard.js).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fixture } from './support/fixtures';
import { listenOnLoopback, type LoopbackServer } from './support/loopback-server';
import { runCli } from './support/run-cli';
import { readZip } from './support/unzip';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
let dir: string;

beforeAll(() => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'trailguard-enrich-built-'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Unpacks a deployment zip into a fresh folder, as Lambda (/var/task) and FunctionGraph do. */
function unpack(zip: string, name: string): string {
  const target = join(dir, name);
  for (const entry of readZip(readFileSync(join(ROOT, zip)))) {
    const file = join(target, entry.name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, entry.data);
  }
  return target;
}

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The alert lines (stdout sink) a run printed. */
function alertLines(stdout: string): any[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{"function"'))
    .map((line) => JSON.parse(line));
}

function signIn(ip: string, account = '111122223333'): unknown {
  const event = structuredClone(fixture('aws/envelope-eventbridge-console-signin.json')) as any;
  event.detail.sourceIPAddress = ip;
  event.detail.recipientAccountId = account;
  event.detail.eventID = `evt-${ip}`;
  return event;
}

const LAMBDA_ENV = {
  IP_WHITELIST: '203.0.113.0/24',
  ALERT_SINK: 'stdout',
  AWS_REGION: 'us-east-1',
  LOG_LEVEL: 'warn',
};

describe('the Lambda zip', () => {
  let task: string;
  beforeAll(() => {
    task = unpack('dist/aws/login-whitelist.zip', 'lambda');
  });

  it('ships the databases in geo/ with their notice, and keeps them out of the bundle', () => {
    for (const file of ['geo/country.mmdb', 'geo/asn.mmdb', 'geo/NOTICE.md'])
      expect(statSync(join(task, file)).size).toBeGreaterThan(500);
    expect(readFileSync(join(task, 'geo', 'NOTICE.md'), 'utf8')).toMatch(
      /DB-IP[\s\S]*Creative Commons\s+Attribution 4\.0/,
    );
    expect(statSync(join(ROOT, 'dist', 'aws', 'login-whitelist.js')).size).toBeLessThan(400 * 1024);
  });

  it('alerts Source: 8.8.8.8 (US, AS15169 Google LLC) with geo in the alert; none for a private address', async () => {
    const events = [signIn('8.8.8.8'), signIn('1.1.1.1'), signIn('10.1.2.3')];
    const result = await run(
      [join(ROOT, 'test', 'support', 'invoke-bundle.mjs'), join(task, 'login-whitelist.js'), JSON.stringify(events)],
      { ...LAMBDA_ENV, ACCOUNT_NAMES: '{"111122223333":"prod-payments"}' },
    );
    expect(result.stderr).not.toContain('enrichment unavailable');
    const alerts = alertLines(result.stdout);
    expect(alerts.map((a) => a.geo)).toEqual([
      { country: 'US', asn: 15169, org: 'Google LLC' },
      expect.objectContaining({ asn: 13335, org: 'Cloudflare, Inc.' }),
      undefined,
    ]);
    expect(alerts[0].message).toContain('Source: 8.8.8.8 (US, AS15169 Google LLC)\n');
    expect(alerts[0].message).toContain('account 111122223333 (prod-payments)');
    expect(alerts[0].accountName).toBe('prod-payments');
    expect(alerts[2].message).toContain('Source: 10.1.2.3\n');
  });

  it('COUNTRY_ALLOWLIST: country-not-allowed for 8.8.8.8 when only DE is allowed', async () => {
    const result = await run(
      [
        join(ROOT, 'test', 'support', 'invoke-bundle.mjs'),
        join(task, 'login-whitelist.js'),
        JSON.stringify([signIn('8.8.8.8')]),
      ],
      { ...LAMBDA_ENV, COUNTRY_ALLOWLIST: 'DE' },
    );
    const [alert] = alertLines(result.stdout);
    expect(alert).toMatchObject({ rule: 'country-not-allowed', geo: { country: 'US' } });
  });

  it.each([
    ['a missing file', 'missing.mmdb', /GEOIP_DB=".*missing\.mmdb": the file does not exist/],
    ['a file that is not a MaxMind DB', 'not.mmdb', /GEOIP_DB=".*not\.mmdb": the file is not a MaxMind DB/],
  ])('GEOIP_DB naming %s refuses the cold start', async (_name, file, message) => {
    writeFileSync(join(dir, 'not.mmdb'), 'hello');
    const result = await run(
      [join(ROOT, 'test', 'support', 'invoke-bundle.mjs'), join(task, 'login-whitelist.js'), '[]'],
      { ...LAMBDA_ENV, GEOIP_DB: join(dir, file) },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('Slack webhook: the facts name the account and the source network, the roll-up of a dedup window too', async () => {
    const posts: any[] = [];
    const server = await listenOnLoopback(async (req, res) => {
      let text = '';
      for await (const chunk of req) text += chunk;
      posts.push(JSON.parse(text));
      res.writeHead(200).end('ok');
    }, new Set());
    try {
      const second = signIn('8.8.8.8') as any;
      second.detail.eventID = 'evt-8.8.8.8-again';
      // Two logins of one group: one alert now, one held; the window ends, the scheduled flush sends the roll-up.
      const script = `
        const { handler } = await import(${JSON.stringify(pathToFileURL(join(task, 'login-whitelist.js')).href)});
        await handler(${JSON.stringify(signIn('8.8.8.8'))}, { awsRequestId: 'r1' });
        await handler(${JSON.stringify(second)}, { awsRequestId: 'r2' });
        await new Promise((resolve) => setTimeout(resolve, 3_200));
        await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, { awsRequestId: 'r3' });`;
      const result = await run(['--input-type=module', '-e', script], {
        ...LAMBDA_ENV,
        ALERT_SINK: 'webhook',
        WEBHOOK_URL: `${server.url}/services/T0/B0/secret`,
        WEBHOOK_FORMAT: 'slack',
        STATE_STORE: 'memory',
        // Long enough that the second login lands in the first one's window on a loaded 2-core machine.
        DEDUP_WINDOW: '3s',
        ACCOUNT_NAMES: '{"111122223333":"prod-payments"}',
      });
      expect(result.stderr).not.toMatch(/"level":"error"|enrichment unavailable/);
      expect(posts).toHaveLength(2);
      const facts = (post: any) => post.blocks[1].fields.map((field: { text: string }) => field.text);
      for (const post of posts)
        expect(facts(post)).toEqual(
          expect.arrayContaining([
            '*Account*\n`111122223333 (prod-payments)`',
            '*Source*\n`8.8.8.8 (US, AS15169 Google LLC)`',
          ]),
        );
      expect(posts[1].text).toMatch(/^trailguard: 1 more: /);
    } finally {
      await server.close();
    }
  });

  describe('with AWS Organizations (local JSON 1.1 endpoint)', () => {
    let server: LoopbackServer;
    const targets: string[] = [];
    beforeAll(async () => {
      server = await listenOnLoopback(async (req, res) => {
        let text = '';
        for await (const chunk of req) text += chunk;
        targets.push(`${req.headers['x-amz-target']} ${text}`);
        const token = text ? JSON.parse(text).NextToken : undefined;
        const page = token
          ? { Accounts: [{ Id: '444455556666', Name: 'prod-payments' }] }
          : { Accounts: [{ Id: '111122223333', Name: 'management' }], NextToken: 'p2' };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(page));
      }, new Set());
    });
    afterAll(() => server.close());

    it('names the account from ListAccounts (every page), asked once for two invocations', async () => {
      const result = await run(
        [
          join(ROOT, 'test', 'support', 'invoke-bundle.mjs'),
          join(task, 'login-whitelist.js'),
          JSON.stringify([signIn('8.8.8.8', '444455556666'), signIn('9.9.9.9', '111122223333')]),
        ],
        {
          ...LAMBDA_ENV,
          ACCOUNT_NAMES_FROM_ORGANIZATIONS: 'true',
          ORGANIZATIONS_ENDPOINT: server.url,
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
        },
      );
      const alerts = alertLines(result.stdout);
      expect(alerts.map((a) => a.accountName)).toEqual(['prod-payments', 'management']);
      expect(alerts[0].message).toContain('account 444455556666 (prod-payments)');
      expect(targets).toEqual([
        'AWSOrganizationsV20161128.ListAccounts {}',
        'AWSOrganizationsV20161128.ListAccounts {"NextToken":"p2"}',
      ]);
    });
  });
});

describe('the FunctionGraph zip', () => {
  it('finds geo/ beside index.js; the alert has the geo and the domain name from the trace', async () => {
    const code = unpack('dist/functiongraph/login-whitelist.zip', 'functiongraph');
    expect(statSync(join(code, 'geo', 'country.mmdb')).size).toBeGreaterThan(1_000_000);
    const event = structuredClone(fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json')) as any;
    event.cts.source_ip = '8.8.8.8';
    const script = `
      const { handler } = require(${JSON.stringify(join(code, 'index.js'))});
      handler(${JSON.stringify(event)}, { getRequestID: () => 'req-1' }).then(
        (r) => console.error(JSON.stringify(r)),
        (e) => { console.error(e.message); process.exit(1); });`;
    const result = await run(['-e', script], {
      IP: '10.0.0.0/8',
      ALERT_SINK: 'stdout',
      RegionName: 'eu-de',
      LOG_LEVEL: 'warn',
    });
    const [alert] = alertLines(result.stdout);
    expect(alert).toMatchObject({
      rule: 'ip-not-whitelisted',
      geo: { country: 'US', asn: 15169, org: 'Google LLC' },
      accountName: 'tg-demo-account',
    });
    expect(alert.message).toContain('Source: 8.8.8.8 (US, AS15169 Google LLC)');
    expect(alert.message).toContain('account 7c4e1a9f3b2d48e6a05f9c1d2e3b4a58 (tg-demo-account)');
  });
});

describe('the CLI', () => {
  const logins = () => {
    const records = ['8.8.8.8', '10.1.2.3'].map((ip) => (signIn(ip) as { detail: Record<string, unknown> }).detail);
    const file = join(dir, 'logins.json');
    writeFileSync(file, JSON.stringify({ Records: records }));
    return file;
  };

  it('replay --json carries geo (absent for the private address) and the text shows it', async () => {
    const file = logins();
    const json = await runCli(['replay', 'login-whitelist', file, '--json', '--quiet'], {
      env: { IP_WHITELIST: '203.0.113.0/24' },
    });
    expect(json.code).toBe(0);
    const alerts = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(alerts.map((a) => a.geo)).toEqual([{ country: 'US', asn: 15169, org: 'Google LLC' }, undefined]);
    const text = await runCli(['replay', 'login-whitelist', file, '--quiet'], {
      env: { IP_WHITELIST: '203.0.113.0/24', ACCOUNT_NAMES: '{"111122223333":"prod-payments"}' },
    });
    expect(text.stdout).toContain('Source: 8.8.8.8 (US, AS15169 Google LLC)\n');
    expect(text.stdout).toContain('Where: aws / us-east-1 / account 111122223333 (prod-payments)\n');
  });

  it('a bad GEOIP_DB, ACCOUNT_NAMES or COUNTRY_ALLOWLIST is exit 2 with the cold start’s message', async () => {
    const result = await runCli(['replay', 'login-whitelist', logins()], {
      env: {
        IP_WHITELIST: '203.0.113.0/24',
        GEOIP_DB: join(dir, 'nope.mmdb'),
        ACCOUNT_NAMES: '{"x y": "prod"}',
        COUNTRY_ALLOWLIST: 'UK',
      },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`GEOIP_DB=${JSON.stringify(join(dir, 'nope.mmdb'))}: the file does not exist`);
    expect(result.stderr).toContain('ACCOUNT_NAMES: "x y" is not an account id');
    expect(result.stderr).toContain('COUNTRY_ALLOWLIST: UK: the ISO code of the United Kingdom is GB');
  });
});
