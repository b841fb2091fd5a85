/**
 * The FunctionGraph code packages as they would be uploaded: each dist/functiongraph/<fn>.zip is
 * unpacked, its index.js loaded the way the runtime does for handler `index.handler`, and the
 * login-whitelist package runs a CTS trigger event against the local SMN endpoint, which verifies
 * the agency token or the AK/SK signature of the publish request.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FunctionGraphContext } from '../shared/platform/functiongraph-handler';
import { fixture } from './support/fixtures';
import { startSmnServer, type SmnServer } from './support/smn-server';
import { readZip } from './support/unzip';
import { functionGraphContext, type AgencyAuth } from './support/functiongraph-context';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const FUNCTIONS = ['login-whitelist', 'unauthorized-api', 'config-compliance', 'trail-integrity'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOKEN = 'MIIZfake-token-for-package-tests';
const KEYS = { accessKey: 'HPUAEXAMPLEAK67890', secretKey: 'example-secret-key-for-package-tests' };

interface FunctionGraphModule {
  handler: (event: unknown, context: FunctionGraphContext) => Promise<{ alerts: number; delivered: number }>;
  initializer: (context: FunctionGraphContext, callback: (error: Error | null, result?: string) => void) => void;
}

let server: SmnServer;
let unpacked: string;

function build(): void {
  const result = buildBundles();
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
}

function packagePath(fn: FunctionName): string {
  return join(ROOT, 'dist', 'functiongraph', `${fn}.zip`);
}

/**
 * Unpacks the zip into its own folder and loads index.js, as the runtime does for `index.handler`.
 * Each call is a fresh instance: a loaded package keeps its first configuration, as it does in FunctionGraph.
 */
function load(fn: FunctionName): FunctionGraphModule {
  const dir = join(unpacked, fn);
  mkdirSync(dir, { recursive: true });
  for (const entry of readZip(readFileSync(packagePath(fn)))) {
    mkdirSync(dirname(join(dir, entry.name)), { recursive: true });
    writeFileSync(join(dir, entry.name), entry.data);
  }
  let mod: FunctionGraphModule | undefined;
  jest.isolateModules(() => {
    mod = require(join(dir, 'index.js')) as FunctionGraphModule;
  });
  return mod as FunctionGraphModule;
}

/** A FunctionGraph-like context with this file's project and agency credentials. */
function context(userData: Record<string, string>, auth: AgencyAuth = 'token'): FunctionGraphContext {
  return functionGraphContext({
    userData,
    projectId: PROJECT,
    token: TOKEN,
    keys: KEYS,
    auth,
    requestId: 'req-package-1',
  });
}

/** The variables of Huawei's published CTS sample, plus the endpoint override pointing at the local SMN. */
function variables(extra: Record<string, string> = {}): Record<string, string> {
  return { SMN_Topic: 'cts_test', RegionName: 'eu-de', SINK_ENDPOINT: server.url, LOG_LEVEL: 'silent', ...extra };
}

function initialize(mod: FunctionGraphModule, ctx: FunctionGraphContext): { error: Error | null; result?: string } {
  let outcome: { error: Error | null; result?: string } | undefined;
  mod.initializer(ctx, (error, result) => (outcome = { error, result }));
  if (!outcome) throw new Error('the initializer did not call its callback');
  return outcome;
}

beforeAll(async () => {
  const missing = FUNCTIONS.flatMap((fn) =>
    ['aws.ts', 'functiongraph.ts'].map((file) => `functions/${fn}/${file}`),
  ).filter((path) => !existsSync(join(ROOT, path)));
  if (missing.length)
    throw new Error(
      `a FunctionGraph package per function is expected; these entry points do not exist yet: ${missing.join(', ')}`,
    );
  build();
  unpacked = mkdtempSync(join(tmpdir(), 'trailguard-fg-'));
  server = await startSmnServer({ token: TOKEN, credentials: KEYS });
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (unpacked) rmSync(unpacked, { recursive: true, force: true });
});

beforeEach(() => {
  if (server) server.published.length = 0;
});

describe.each(FUNCTIONS)('the %s package', (fn) => {
  it('holds index.js and its source map at the root, the geo databases in geo/, readable by the runtime user', () => {
    const entries = readZip(readFileSync(packagePath(fn)));
    expect(entries.map((entry) => entry.name)).toEqual([
      'geo/NOTICE.md',
      'geo/asn.mmdb',
      'geo/country.mmdb',
      'index.js',
      'index.js.map',
    ]);
    expect(entries.every((entry) => (entry.mode & 0o444) === 0o444)).toBe(true);
    const index = entries.find((entry) => entry.name === 'index.js');
    expect(index?.data.toString('utf8').trimEnd()).toMatch(/\/\/# sourceMappingURL=index\.js\.map$/);
  });

  it('exports handler and initializer for index.handler / index.initializer', () => {
    const mod = load(fn);
    expect(typeof mod.handler).toBe('function');
    expect(typeof mod.initializer).toBe('function');
  });

  it('initializes with a valid configuration', () => {
    const mod = load(fn);
    const extra: Record<string, string> = fn === 'login-whitelist' ? { IP: '203.0.113.0/24' } : {};
    expect(initialize(mod, context(variables(extra)))).toEqual({ error: null, result: '' });
  });
});

describe('every package refuses a bad configuration at initialization', () => {
  it.each(FUNCTIONS)('%s without a topic', (fn) => {
    const { error } = initialize(load(fn), context({ IP: '203.0.113.0/24', RegionName: 'eu-de', LOG_LEVEL: 'silent' }));
    expect(error?.message).toMatch(/ALERT_TOPIC is not set/);
  });
});

describe('the login-whitelist package on a CTS trigger', () => {
  it('publishes one alert, authenticated with the agency token, for a login from outside the whitelist', async () => {
    const result = await load('login-whitelist').handler(
      fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'),
      context(variables({ IP: '203.0.113.0/24' })),
    );
    expect(result).toMatchObject({ alerts: 1, delivered: 1 });
    expect(server.published).toHaveLength(1);
    expect(server.published[0].headers['x-auth-token']).toBe(TOKEN);
    expect(server.published[0].topicUrn).toBe(`urn:smn:eu-de:${PROJECT}:cts_test`);
    expect(server.published[0].projectId).toBe(PROJECT);
    expect(server.published[0].message.split('\n')[0]).toBe('Illegal operation[IP:10.65.56.139, Action:login]');
  });

  it('publishes with an AK/SK signature the endpoint verifies when the agency gives temporary keys', async () => {
    const result = await load('login-whitelist').handler(
      fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'),
      context(variables({ IP: '203.0.113.0/24' }), 'aksk'),
    );
    expect(result.delivered).toBe(1);
    expect(server.published).toHaveLength(1);
    expect(server.published[0].headers.authorization).toMatch(/^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK67890, /);
  });

  it('stays quiet for a whitelisted address', async () => {
    const result = await load('login-whitelist').handler(
      fixture('huaweicloud/envelope-functiongraph-cts-trigger-login.json'),
      context(variables({ IP: '10.65.56.139' })),
    );
    expect(result.alerts).toBe(0);
    expect(server.published).toHaveLength(0);
  });
});

describe('the packages are reproducible', () => {
  it.each(FUNCTIONS)('%s: every entry has the fixed timestamp 1980-01-01 00:00, never the build time', (fn) => {
    for (const entry of readZip(readFileSync(packagePath(fn))))
      expect([entry.dosDate, entry.dosTime]).toEqual([(0 << 9) | (1 << 5) | 1, 0]);
  });

  it('the zip writer gives the same bytes for the same files, whatever their order', () => {
    // scripts/zip.mjs is an ES module: run it in a child process rather than through jest's CommonJS loader.
    const script = `
      import { createZip } from ${JSON.stringify(join(ROOT, 'scripts', 'zip.mjs'))};
      const files = [{ name: 'index.js', data: 'exports.handler = async () => 1;\\n'.repeat(50) }, { name: 'index.js.map', data: Buffer.from('{"version":3}') }, { name: 'empty.txt', data: '' }];
      const first = await createZip(files);
      const second = await createZip([...files].reverse());
      process.stdout.write(JSON.stringify([first.toString('base64'), second.toString('base64')]));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const [first, second] = (JSON.parse(result.stdout) as string[]).map((base64) => Buffer.from(base64, 'base64'));
    expect(second.equals(first)).toBe(true);
    const entries = readZip(first);
    expect(entries.map((entry) => [entry.name, entry.data.length])).toEqual([
      ['empty.txt', 0],
      ['index.js', 'exports.handler = async () => 1;\n'.length * 50],
      ['index.js.map', 13],
    ]);
    // Deflate where it pays, stored where it does not.
    expect(entries.map((entry) => entry.method)).toEqual([0, 8, 0]);
  });

  it('the archive is one an ordinary unzip accepts as well', () => {
    const unzip = spawnSync('unzip', ['-tq', packagePath('login-whitelist')], { encoding: 'utf8' });
    if (unzip.error) return; // no unzip binary on this machine: the reader above is the check
    expect(unzip.status).toBe(0);
  });
});
