/**
 * Geo and network enrichment, account names and the country rule (docs/enrichment.md), from the
 * sources: the lookup against the databases the build ships (dist/geo), the cold-start checks of
 * GEOIP_DB / GEOIP_ASN_DB / ACCOUNT_NAMES / COUNTRY_ALLOWLIST, the alert text and fields, and AWS
 * Organizations ListAccounts against a local JSON 1.1 endpoint with pagination.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginWhitelist } from '../functions/login-whitelist/login-whitelist';
import { createEnricher } from '../shared/enrich/enricher';
import { loadEnrichConfig } from '../shared/enrich/enrich-config';
import { countryOfRecord, formatGeo, type Geo, type GeoLookup, geoOf, isPublicIp } from '../shared/enrich/geo';
import { checkMaxMindFile, nodeGeoFiles, openGeoDatabases } from '../shared/enrich/geo-database';
import { listOrganizationAccounts } from '../shared/enrich/organizations-accounts';
import { ConfigError } from '../shared/errors';
import type { TraceEvent } from '../shared/normalize/trace-event';
import { buildAlert } from '../shared/pipeline';
import { ConfigProblems } from '../shared/platform/env-config';
import { checkDetectorConfig } from '../shared/platform/load-function-config';
import { alertJsonLine } from '../shared/sinks/stdout-sink';
import { listenOnLoopback, type LoopbackServer } from './support/loopback-server';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const GEO_DIR = join(ROOT, 'dist', 'geo');
let dir: string;

beforeAll(() => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'trailguard-enrich-'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function login(overrides: Partial<TraceEvent> = {}): TraceEvent {
  return {
    id: 'evt-1',
    time: '2026-11-24T08:15:02.000Z',
    cloud: 'aws',
    source: 'cloudtrail',
    service: 'signin.amazonaws.com',
    action: 'ConsoleLogin',
    category: 'login',
    outcome: 'success',
    actor: { type: 'IAMUser', name: 'alice', account: '111122223333' },
    sourceAddress: '8.8.8.8',
    sourceAddressKind: 'ipv4',
    sourceIp: '8.8.8.8',
    region: 'us-east-1',
    account: '111122223333',
    raw: {},
    ...overrides,
  };
}

describe('which addresses get geo', () => {
  it.each([
    ['8.8.8.8', true],
    ['1.1.1.1', true],
    ['2001:4860:4860::8888', true],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['192.168.1.1', false],
    ['100.64.0.1', false],
    ['127.0.0.1', false],
    ['169.254.169.254', false],
    ['203.0.113.7', false],
    ['198.51.100.23', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['2001:db8::1', false],
    ['AWS Internal', false],
    ['signin.amazonaws.com', false],
    ['', false],
  ])('%s: public %s', (ip, expected) => {
    expect(isPublicIp(ip)).toBe(expected);
  });
});

describe('database records', () => {
  it.each([
    ['DB-IP lite (ip-location-db)', { country_code: 'US' }, 'US'],
    ['GeoLite2-Country', { country: { iso_code: 'DE' }, registered_country: { iso_code: 'DE' } }, 'DE'],
    ['GeoLite2 registered country only', { registered_country: { iso_code: 'fr' } }, 'FR'],
    ['nothing', {}, undefined],
    ['a code that is not one', { country_code: 'USA' }, undefined],
    ['prototype keys are not read', Object.create({ country_code: 'US' }), undefined],
  ])('%s', (_name, record, country) => {
    expect(countryOfRecord(record)).toBe(country);
  });

  it('combines the country and the AS database; a combined record answers both', () => {
    expect(
      geoOf({ country_code: 'US' }, { autonomous_system_number: 15169, autonomous_system_organization: 'Google LLC' }),
    ).toEqual({ country: 'US', asn: 15169, org: 'Google LLC' });
    expect(geoOf({ country: { iso_code: 'US' }, autonomous_system_number: 13335 }, null)).toEqual({
      country: 'US',
      asn: 13335,
    });
    expect(geoOf(null, null)).toBeUndefined();
    expect(geoOf(null, { autonomous_system_number: -1, autonomous_system_organization: '  ' })).toBeUndefined();
  });

  it.each<[Geo | undefined, string | undefined]>([
    [{ country: 'US', asn: 15169, org: 'Google LLC' }, 'US, AS15169 Google LLC'],
    [{ country: 'US' }, 'US'],
    [{ asn: 13335 }, 'AS13335'],
    [{ org: 'Example' }, 'Example'],
    [undefined, undefined],
  ])('formats %j as %s', (geo, text) => {
    expect(formatGeo(geo)).toBe(text);
  });
});

describe('the embedded databases (dist/geo, shipped in every zip)', () => {
  let lookup: GeoLookup;
  beforeAll(async () => {
    lookup = await openGeoDatabases({ country: join(GEO_DIR, 'country.mmdb'), asn: join(GEO_DIR, 'asn.mmdb') });
  });

  it.each([
    ['8.8.8.8', { country: 'US', asn: 15169, org: 'Google LLC' }],
    ['2001:4860:4860::8888', { asn: 15169, org: 'Google LLC' }],
    ['1.1.1.1', { asn: 13335, org: 'Cloudflare, Inc.' }],
    ['2606:4700:4700::1111', { asn: 13335, org: 'Cloudflare, Inc.' }],
    ['9.9.9.9', { asn: 19281 }],
  ])('%s belongs to its known owner', (ip, expected) => {
    expect(lookup(ip)).toMatchObject(expected);
  });

  it.each(['10.1.2.3', '192.168.0.1', '203.0.113.7', 'fe80::1', 'AWS Internal'])('%s gets no geo', (ip) => {
    expect(lookup(ip)).toBeUndefined();
  });

  it('are found next to the code and pass the cold-start check', () => {
    expect(nodeGeoFiles.embeddedDir()).toBe(GEO_DIR);
    expect(checkMaxMindFile(join(GEO_DIR, 'country.mmdb'))).toBeUndefined();
    expect(checkMaxMindFile(join(GEO_DIR, 'asn.mmdb'))).toBeUndefined();
  });
});

describe('configuration (cold start)', () => {
  const problemsOf = (env: Record<string, string>, platform: 'aws' | 'functiongraph' = 'aws') => {
    const check = checkDetectorConfig(loginWhitelist, { IP_WHITELIST: '203.0.113.0/24', ...env }, platform, {
      sink: false,
      geoFiles: nodeGeoFiles,
      readFile: (path) => require('node:fs').readFileSync(path, 'utf8'),
    });
    return check.problems;
  };

  it('uses the embedded databases by default', () => {
    const config = loadEnrichConfig({}, new ConfigProblems(), { geoFiles: nodeGeoFiles });
    expect(config.geo).toEqual({
      country: join(GEO_DIR, 'country.mmdb'),
      asn: join(GEO_DIR, 'asn.mmdb'),
      source: { country: 'embedded', asn: 'embedded' },
    });
  });

  it('GEOIP_DB and GEOIP_ASN_DB name a user’s own files; off turns geo (or the AS part) off', () => {
    const own = join(dir, 'GeoLite2-Country.mmdb');
    writeFileSync(own, require('node:fs').readFileSync(join(GEO_DIR, 'country.mmdb')));
    const problems = new ConfigProblems();
    expect(loadEnrichConfig({ GEOIP_DB: own }, problems, { geoFiles: nodeGeoFiles }).geo).toMatchObject({
      country: own,
      source: { country: 'GEOIP_DB', asn: 'embedded' },
    });
    expect(loadEnrichConfig({ GEOIP_DB: 'off' }, problems, { geoFiles: nodeGeoFiles }).geo).toBeUndefined();
    expect(loadEnrichConfig({ GEOIP_ASN_DB: 'off' }, problems, { geoFiles: nodeGeoFiles }).geo).toEqual({
      country: join(GEO_DIR, 'country.mmdb'),
      source: { country: 'embedded' },
    });
    expect(problems.problems).toEqual([]);
  });

  it('a missing or wrong GEOIP_DB file is a clear cold-start error', () => {
    const notMmdb = join(dir, 'GeoLite2-Country.tar.gz');
    writeFileSync(notMmdb, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
    expect(problemsOf({ GEOIP_DB: join(dir, 'missing.mmdb') })).toEqual([
      `GEOIP_DB=${JSON.stringify(join(dir, 'missing.mmdb'))}: the file does not exist`,
    ]);
    expect(problemsOf({ GEOIP_ASN_DB: notMmdb })).toEqual([
      `GEOIP_ASN_DB=${JSON.stringify(notMmdb)}: the file is not a MaxMind DB (.mmdb) file: no metadata section (a gzip or tar.gz download must be unpacked first)`,
    ]);
    expect(problemsOf({ GEOIP_DB: dir })).toEqual([`GEOIP_DB=${JSON.stringify(dir)}: the file is not a file`]);
  });

  it('ACCOUNT_NAMES: a JSON map or a file, every entry checked', () => {
    const file = join(dir, 'accounts.json');
    writeFileSync(file, '{"444455556666": "prod-payments"}');
    expect(
      loadEnrichConfig({ ACCOUNT_NAMES: file }, new ConfigProblems(), {
        readFile: (p) => require('node:fs').readFileSync(p, 'utf8'),
      }).accountNames,
    ).toEqual(new Map([['444455556666', 'prod-payments']]));
    expect(
      problemsOf({
        ACCOUNT_NAMES: '{"111122223333": "prod", "not an id!": "x", "444455556666": "", "777788889999": "a\\nb"}',
      }),
    ).toEqual([
      'ACCOUNT_NAMES: "not an id!" is not an account id (AWS: 12 digits; Huawei: the domain id)',
      'ACCOUNT_NAMES: the name of account 444455556666 must be a non-empty string',
      'ACCOUNT_NAMES: the name of account 777788889999 holds a line break or control character',
    ]);
    expect(problemsOf({ ACCOUNT_NAMES: '["prod"]' })).toEqual([
      'ACCOUNT_NAMES: must be a JSON object of account id → name, such as {"111122223333": "prod-payments"}',
    ]);
    expect(problemsOf({ ACCOUNT_NAMES: '{"111122223333": ' })[0]).toMatch(/^ACCOUNT_NAMES: not valid JSON/);
    expect(problemsOf({ ACCOUNT_NAMES: join(dir, 'nope.json') })[0]).toMatch(
      /^ACCOUNT_NAMES ".*nope\.json": not a JSON object and not a readable file/,
    );
  });

  it('ACCOUNT_NAMES_FROM_ORGANIZATIONS is AWS only, and its endpoint must be a URL', () => {
    expect(problemsOf({ ACCOUNT_NAMES_FROM_ORGANIZATIONS: 'true' })).toEqual([]);
    expect(problemsOf({ ACCOUNT_NAMES_FROM_ORGANIZATIONS: 'true' }, 'functiongraph')).toEqual([
      'ACCOUNT_NAMES_FROM_ORGANIZATIONS is for AWS; on FunctionGraph the domain name comes from the trace (or use ACCOUNT_NAMES)',
    ]);
    expect(problemsOf({ ACCOUNT_NAMES_FROM_ORGANIZATIONS: 'true', ORGANIZATIONS_ENDPOINT: 'localhost' })).toEqual([
      'ORGANIZATIONS_ENDPOINT="localhost" is not an http(s) URL',
    ]);
  });

  it('COUNTRY_ALLOWLIST: ISO 3166-1 alpha-2 codes, any case, every bad one listed', () => {
    expect(loginWhitelist.loadConfig({ IP_WHITELIST: '203.0.113.0/24', COUNTRY_ALLOWLIST: 'de, fr us' })).toMatchObject(
      {
        countryAllowlist: ['DE', 'FR', 'US'],
      },
    );
    expect(problemsOf({ COUNTRY_ALLOWLIST: 'DE,UK,XX,germany,EU' })).toEqual([
      'COUNTRY_ALLOWLIST: UK: the ISO code of the United Kingdom is GB',
      'COUNTRY_ALLOWLIST: XX is not an assigned ISO 3166-1 alpha-2 code',
      'COUNTRY_ALLOWLIST: "germany" is not a two-letter code',
      'COUNTRY_ALLOWLIST: EU: EU is a union, not a country: list its members',
    ]);
    expect(() => loginWhitelist.loadConfig({ IP_WHITELIST: '203.0.113.0/24', COUNTRY_ALLOWLIST: 'UK' })).toThrow(
      ConfigError,
    );
  });

  it('COUNTRY_ALLOWLIST passes the deploy-time check, which has no file system', () => {
    const check = checkDetectorConfig(
      loginWhitelist,
      { IP_WHITELIST: '203.0.113.0/24', COUNTRY_ALLOWLIST: 'DE' },
      'aws',
      { sink: false },
    );
    expect(check.problems).toEqual([]);
  });

  it('COUNTRY_ALLOWLIST without any country database refuses to start', () => {
    expect(problemsOf({ COUNTRY_ALLOWLIST: 'DE', GEOIP_DB: 'off' })).toEqual([
      'COUNTRY_ALLOWLIST needs a country database: none is embedded in this installation and GEOIP_DB names none (or is off)',
    ]);
  });
});

describe('rule country-not-allowed', () => {
  const geo: Record<string, Geo> = { '8.8.8.8': { country: 'US' }, '5.9.0.1': { country: 'DE' } };
  const lookup: GeoLookup = (ip) => geo[ip];
  const base = loginWhitelist.loadConfig({ IP_WHITELIST: '203.0.113.0/24 9.9.9.9', COUNTRY_ALLOWLIST: 'DE' });
  const config = loginWhitelist.geoRule?.bind(base, lookup) ?? base;

  it.each([
    ['a login from an allowed country, outside the whitelist', '5.9.0.1', ['ip-not-whitelisted']],
    ['a login from another country', '8.8.8.8', ['country-not-allowed']],
    ['a whitelisted address from another country (unknown here)', '9.9.9.9', ['country-not-allowed']],
    ['a public address the database does not know', '4.4.4.4', ['country-not-allowed']],
    ['a private address: the whitelist alone decides', '10.1.2.3', ['ip-not-whitelisted']],
    ['a whitelisted private-range address', '203.0.113.7', []],
  ])('%s (%s)', (_name, ip, rules) => {
    const findings = loginWhitelist.detect(login({ sourceAddress: ip, sourceIp: ip }), config);
    expect(findings.map((finding) => finding.rule)).toEqual(rules);
  });

  it('is off without COUNTRY_ALLOWLIST, and does not need the database then', () => {
    const plain = loginWhitelist.loadConfig({ IP_WHITELIST: '203.0.113.0/24' });
    expect(loginWhitelist.geoRule?.needed(plain)).toBe(false);
    expect(loginWhitelist.geoRule?.needed(base)).toBe(true);
    expect(loginWhitelist.detect(login(), plain).map((f) => f.rule)).toEqual(['ip-not-whitelisted']);
  });

  it('says which country, what is allowed and whether the address is whitelisted', () => {
    const event = login();
    event.geo = { country: 'US', asn: 15169, org: 'Google LLC' };
    const [finding] = loginWhitelist.detect(event, config);
    const alert = buildAlert(loginWhitelist, config, {
      rule: finding.rule,
      severity: finding.severity,
      groupKey: finding.groupKey,
      first: event,
      eventIds: [event.id],
      count: 1,
    });
    expect(alert.subject).toBe('trailguard: login from 8.8.8.8 (US) outside country allowlist');
    expect(alert.message).toContain(
      'A login came from United States (US), outside the country allowlist; the address is outside the IP whitelist.',
    );
    expect(alert.message).toContain('Source: 8.8.8.8 (US, AS15169 Google LLC)\nCountry: US\nAllowed countries: DE');
    expect(alert.severity).toBe('high');
  });
});

describe('alerts show the enrichment', () => {
  const config = loginWhitelist.loadConfig({ IP_WHITELIST: '203.0.113.0/24' });
  const alertFor = (event: TraceEvent) => {
    const [finding] = loginWhitelist.detect(event, config);
    return buildAlert(loginWhitelist, config, {
      rule: finding.rule,
      severity: finding.severity,
      groupKey: finding.groupKey,
      first: event,
      eventIds: [event.id],
      count: 1,
    });
  };

  it('Source: 8.8.8.8 (US, AS15169 Google LLC), account 111122223333 (prod-payments), and the fields', async () => {
    const enricher = createEnricher(
      loadEnrichConfig({ ACCOUNT_NAMES: '{"111122223333":"prod-payments"}' }, new ConfigProblems(), {
        geoFiles: nodeGeoFiles,
      }),
    );
    const event = login();
    await enricher.enrich([event]);
    const alert = alertFor(event);
    expect(alert.message).toContain('Source: 8.8.8.8 (US, AS15169 Google LLC)\n');
    expect(alert.message).toContain('Where: aws / us-east-1 / account 111122223333 (prod-payments)\n');
    expect(alert.geo).toEqual({ country: 'US', asn: 15169, org: 'Google LLC' });
    expect(alert.accountName).toBe('prod-payments');
    // The alert's event stays the normalized event; the JSON line carries geo and accountName once.
    expect(alert.event).not.toHaveProperty('geo');
    const line = JSON.parse(alertJsonLine(alert));
    expect(line.geo).toEqual({ country: 'US', asn: 15169, org: 'Google LLC' });
    expect(line.accountName).toBe('prod-payments');
  });

  it('the provider’s own spelling stays beside the geo', async () => {
    const enricher = createEnricher(loadEnrichConfig({}, new ConfigProblems(), { geoFiles: nodeGeoFiles }));
    const event = login({ sourceAddress: '008.008.008.008' });
    await enricher.enrich([event]);
    expect(alertFor(event).message).toContain(
      'Source: 8.8.8.8 (US, AS15169 Google LLC; written by the provider as 008.008.008.008)',
    );
  });

  it('private and non-IP sources get no geo, and the alert no geo field', async () => {
    const enricher = createEnricher(loadEnrichConfig({}, new ConfigProblems(), { geoFiles: nodeGeoFiles }));
    const events = [
      login({ sourceAddress: '10.1.2.3', sourceIp: '10.1.2.3' }),
      login({ id: 'evt-2', sourceAddress: 'AWS Internal', sourceAddressKind: 'internal', sourceIp: undefined }),
    ];
    await enricher.enrich(events);
    for (const event of events) {
      expect(event.geo).toBeUndefined();
      const alert = alertFor(event);
      expect(alert.geo).toBeUndefined();
      expect(JSON.parse(alertJsonLine(alert))).not.toHaveProperty('geo');
    }
    expect(alertFor(events[0]).message).toContain('Source: 10.1.2.3\n');
  });

  it('Huawei: the domain name from the trace; ACCOUNT_NAMES wins over it', async () => {
    const huawei = (): TraceEvent =>
      login({
        cloud: 'huaweicloud',
        source: 'cts',
        account: '7c4e1a9f3b2d48e6a05f9c1d2e3b4a58',
        actor: {
          type: 'user',
          name: 'wang.lei',
          account: '7c4e1a9f3b2d48e6a05f9c1d2e3b4a58',
          accountName: 'tg-demo-account',
        },
      });
    const plain = huawei();
    await createEnricher(loadEnrichConfig({}, new ConfigProblems())).enrich([plain]);
    expect(plain.accountName).toBe('tg-demo-account');
    expect(alertFor(plain).message).toContain('account 7c4e1a9f3b2d48e6a05f9c1d2e3b4a58 (tg-demo-account)');
    const named = huawei();
    await createEnricher(
      loadEnrichConfig({ ACCOUNT_NAMES: '{"7c4e1a9f3b2d48e6a05f9c1d2e3b4a58":"huawei-prod"}' }, new ConfigProblems()),
    ).enrich([named]);
    expect(named.accountName).toBe('huawei-prod');
  });

  it('a database that cannot be opened costs the alert its geo, never the alert; reported once', async () => {
    const errors: string[] = [];
    const enricher = createEnricher(
      { geo: { country: join(dir, 'vanished.mmdb'), source: {} }, accountNames: new Map() },
      { onError: (what) => errors.push(what) },
    );
    const events = [login(), login({ id: 'evt-2' })];
    await enricher.enrich(events);
    await enricher.enrich(events);
    expect(events[0].geo).toBeUndefined();
    expect(errors).toEqual(['geo']);
  });
});

/** A local AWS Organizations endpoint: JSON 1.1 `ListAccounts`, 2 accounts a page. */
function organizationsEndpoint(accounts: Array<{ Id: string; Name: string }>) {
  const requests: Array<{ target?: string; body: any; authorization?: string }> = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = listenOnLoopback(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : {};
    requests.push({
      target: req.headers['x-amz-target'] as string,
      body,
      authorization: req.headers.authorization as string,
    });
    if (req.headers['x-amz-target'] !== 'AWSOrganizationsV20161128.ListAccounts') {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InvalidInputException', message: 'unknown operation' }));
      return;
    }
    const start = body.NextToken ? Number(body.NextToken) : 0;
    const page = accounts.slice(start, start + 2).map((account) => ({
      ...account,
      Arn: `arn:aws:organizations::111122223333:account/o-abc/${account.Id}`,
      Email: `${account.Name}@example.com`,
      Status: 'ACTIVE',
      JoinedMethod: 'CREATED',
      JoinedTimestamp: 1_700_000_000,
    }));
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(
      JSON.stringify({ Accounts: page, ...(start + 2 < accounts.length ? { NextToken: String(start + 2) } : {}) }),
    );
  }, timers);
  return { server, requests };
}

describe('AWS Organizations ListAccounts (local JSON 1.1 endpoint)', () => {
  const accounts = [
    { Id: '111122223333', Name: 'management' },
    { Id: '444455556666', Name: 'prod-payments' },
    { Id: '777788889999', Name: 'sandbox' },
    { Id: '000011112222', Name: 'log-archive' },
    { Id: '333344445555', Name: 'security' },
  ];
  let peer: ReturnType<typeof organizationsEndpoint>;
  let server: LoopbackServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
    peer = organizationsEndpoint(accounts);
    server = await peer.server;
  });
  afterAll(async () => {
    process.env = saved;
    await server.close();
  });

  it('reads every page, signed, with the JSON 1.1 target', async () => {
    peer.requests.length = 0;
    const names = await listOrganizationAccounts({ endpoint: server.url });
    expect(names).toEqual(new Map(accounts.map((a) => [a.Id, a.Name])));
    expect(peer.requests.map((r) => r.body)).toEqual([{}, { NextToken: '2' }, { NextToken: '4' }]);
    for (const request of peer.requests) {
      expect(request.target).toBe('AWSOrganizationsV20161128.ListAccounts');
      expect(request.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/organizations\//,
      );
    }
  });

  it('names accounts in alerts, asked once per instance (cached), ACCOUNT_NAMES first', async () => {
    peer.requests.length = 0;
    const { listAccountsWithSdk } = await import('../shared/enrich/enricher');
    const enricher = createEnricher(
      loadEnrichConfig(
        {
          ACCOUNT_NAMES: '{"777788889999":"named-here"}',
          ACCOUNT_NAMES_FROM_ORGANIZATIONS: 'true',
          ORGANIZATIONS_ENDPOINT: server.url,
        },
        new ConfigProblems(),
      ),
      { listAccounts: listAccountsWithSdk },
    );
    const first = login({ account: '444455556666' });
    const second = login({ account: '777788889999' });
    const unknown = login({ account: '999999999999' });
    await enricher.enrich([first, second, unknown]);
    await enricher.enrich([login({ account: '333344445555' })]);
    expect([first.accountName, second.accountName, unknown.accountName]).toEqual([
      'prod-payments',
      'named-here',
      undefined,
    ]);
    expect(peer.requests).toHaveLength(3);
  });

  it('an endpoint that fails leaves the names out and is asked again only later', async () => {
    const errors: unknown[] = [];
    let now = 0;
    const enricher = createEnricher(
      { accountNames: new Map(), organizations: { endpoint: 'http://127.0.0.1:9' } },
      {
        listAccounts: (options) => listOrganizationAccounts({ ...options, timeoutMs: 500 }),
        onError: (_what, error) => errors.push(error),
        now: () => now,
      },
    );
    const event = login({ account: '444455556666' });
    await enricher.enrich([event]);
    await enricher.enrich([event]);
    expect(event.accountName).toBeUndefined();
    expect(errors).toHaveLength(1);
    now += 6 * 60 * 1000;
    await enricher.enrich([event]);
    expect(errors).toHaveLength(2);
  }, 30_000);
});
