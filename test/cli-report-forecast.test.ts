/**
 * The noise forecast (the memory stage run in 5-minute batches of event time) and the report's
 * enrichment columns, in process: exact numbers for known storms, countries and account names.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { main } from '../cli/main';
import { forecastNoise } from '../cli/report/noise-forecast';
import { createReportCollector } from '../cli/report/report-collector';
import { buildReport } from '../cli/report/report-model';
import { renderHtml } from '../cli/report/render-html';
import { renderStats } from '../cli/report/render-stats';
import type { Alert } from '../shared/alert/alert';
import { loadMemoryConfig } from '../shared/memory/memory-config';
import { ConfigProblems } from '../shared/platform/env-config';
import type { RunStats } from '../shared/pipeline';
import { captureIo } from './support/cli-io';
import { EVENTS_DIR } from './support/fixtures';
import { byId, elements, parseHtml, textOf } from './support/html-tree';

const DENIED: Record<string, unknown> = JSON.parse(
  readFileSync(join(EVENTS_DIR, 'aws', 'cloudtrail-access-denied.json'), 'utf8'),
);
const START = Date.parse('2024-06-03T00:00:00Z');

function logFile(records: Array<Record<string, unknown>>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trailguard-forecast-')), 'trail.json');
  writeFileSync(path, JSON.stringify({ Records: records }));
  return path;
}

/** build-bot refused once a minute from 00:00 for `minutes` minutes. */
function storm(minutes: number, from = START): Array<Record<string, unknown>> {
  return Array.from({ length: minutes }, (_, i) => ({
    ...DENIED,
    eventID: `bot-${from}-${i}`,
    eventTime: new Date(from + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  }));
}

async function stats(path: string, env: Record<string, string>): Promise<string[]> {
  const io = captureIo(env);
  expect(await main(['replay', 'unauthorized-api', path, '--quiet', '--stats'], io)).toBe(0);
  return io.stderr;
}

function forecastLine(lines: string[]): string {
  return lines.find((line) => line.startsWith('noise forecast')) ?? '';
}

describe('the noise forecast', () => {
  const twoHours = logFile(storm(120));

  it.each<[Record<string, string>, number, string]>([
    // [settings, alerts it would have sent, why]
    [{ DEDUP_WINDOW: '0' }, 24, 'no window: one alert per 5-minute batch'],
    [{ DEDUP_WINDOW: '15m' }, 16, 'an alert and a roll-up per 15-minute window'],
    [{ DEDUP_WINDOW: '1h' }, 4, 'an alert and a roll-up per hour'],
    [{ THRESHOLDS: 'unauthorized-api-calls=200/1d' }, 0, 'a threshold never reached'],
    [{ THRESHOLDS: 'unauthorized-api-calls=20/1h' }, 4, 'the 20th refusal of each hour, and its roll-up'],
  ])('%j: %d alert(s) (%s)', async (env, alerts) => {
    const line = forecastLine(await stats(twoHours, env));
    expect(line).toMatch(
      new RegExp(`^noise forecast \\(5-minute batches\\): ${alerts} alert\\(s\\) over 1 day\\(s\\)`),
    );
    expect(line).toContain('without the memory stage 24');
  });

  it('counts per UTC day, and only the days that alert are listed', async () => {
    const lines = await stats(logFile([...storm(30), ...storm(10, START + 2 * 86_400_000)]), { DEDUP_WINDOW: '1h' });
    expect(forecastLine(lines)).toContain('4 alert(s) over 3 day(s), 1.3/day, peak 2 on 2024-06-03');
    const days = lines.slice(lines.indexOf('forecast per day (days with alerts):') + 1, -1);
    expect(days.filter((line) => /^ {2}\d{4}-/.test(line))).toEqual([
      '  2024-06-03 2: unauthorized-api-calls 2',
      '  2024-06-05 2: unauthorized-api-calls 2',
    ]);
  });

  it('counts a roll-up on the day its window ends', async () => {
    const lines = await stats(logFile(storm(20, START + 23.5 * 3_600_000)), { DEDUP_WINDOW: '1h' });
    expect(lines).toContain('  2024-06-03 1: unauthorized-api-calls 1');
    expect(lines).toContain('  2024-06-04 1: unauthorized-api-calls 1');
  });

  it('keeps every count when event times span ten thousand years, and says the chart stops', async () => {
    const path = logFile(
      ['0001-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '9999-12-31T23:59:59Z'].map((eventTime, i) => ({
        ...DENIED,
        eventID: `far-${i}`,
        eventTime,
      })),
    );
    const report = join(mkdtempSync(join(tmpdir(), 'trailguard-forecast-')), 'far.html');
    const io = captureIo({});
    expect(await main(['replay', 'unauthorized-api', path, '--quiet', '--stats', '--report', report], io)).toBe(0);
    expect(forecastLine(io.stderr)).toMatch(
      /^noise forecast \(5-minute batches\): 3 alert\(s\) over 3,652,059 day\(s\)/,
    );
    const html = readFileSync(report, 'utf8');
    expect(html.length).toBeLessThan(200_000);
    const page = parseHtml(html);
    expect(textOf(byId(page, 'forecast'))).toContain('The chart stops after 20,000 days; the totals count every day.');
    expect(elements(byId(page, 'forecast'), 'rect').length).toBeLessThanOrEqual(120);
  });

  it('says how many alerts went out without memory when the replay store is unreachable; the forecast does not use it', async () => {
    const io = captureIo({});
    const args = ['replay', 'unauthorized-api', twoHours, '--state', 'redis://127.0.0.1:1', '--quiet', '--stats'];
    expect(await main(args, io)).toBe(0);
    expect(io.stderr.find((line) => line.startsWith('memory (redis)'))).toContain(
      ', 1 without memory (state unavailable)',
    );
    expect(forecastLine(io.stderr)).toMatch(/: 16 alert\(s\)/);
  });

  it('leaves suppressed findings out, and says which suppression muted them', async () => {
    const suppress = JSON.stringify([
      { pattern: '{ $.userIdentity.userName = "build-bot" }', reason: 'known CI', rules: ['unauthorized-api-calls'] },
    ]);
    const lines = await stats(twoHours, { SUPPRESS: suppress });
    expect(forecastLine(lines)).toMatch(/: 0 alert\(s\) over 1 day\(s\), 0\/day; without the memory stage 0$/);
    expect(lines).toContain('  suppressed by #1: 120 (known CI)');
    expect(lines.find((line) => line.startsWith('memory'))).toContain('120 suppressed');
  });
});

describe('the report columns of enrichment', () => {
  function alertOf(overrides: Partial<Alert>, account?: string): Alert {
    return {
      function: 'login-whitelist',
      rule: 'ip-not-whitelisted',
      severity: 'high',
      subject: 'trailguard: login',
      message: 'm',
      event: {
        id: `e-${Math.random()}`,
        time: '2024-06-03T07:00:00.000Z',
        cloud: 'aws',
        source: 'cloudtrail',
        service: 'signin.amazonaws.com',
        action: 'ConsoleLogin',
        category: 'login',
        outcome: 'success',
        actor: { type: 'IAMUser', name: 'alice' },
        sourceAddress: '8.8.8.8',
        sourceAddressKind: 'ipv4',
        sourceIp: '8.8.8.8',
        ...(account ? { account } : {}),
      },
      eventIds: ['e-1'],
      count: 1,
      dedupId: 'd',
      ...overrides,
    };
  }

  it('shows the country, network and account name when enrichment gave them, and "unknown" otherwise', async () => {
    const alerts = [
      alertOf({ geo: { country: 'US', asn: 15169, org: 'Google LLC' }, accountName: 'prod-payments' }, '111122223333'),
      alertOf({ geo: { country: 'US', asn: 15169, org: 'Google LLC' } }, '111122223333'),
      alertOf({}),
    ];
    const memoryConfig = loadMemoryConfig({}, new ConfigProblems());
    const collector = createReportCollector(memoryConfig, 0);
    const stats = { records: 3, findings: 3, rejected: 0, skipped: 0, duplicates: 0, suppressed: 0 } as RunStats;
    const report = buildReport({
      function: 'login-whitelist',
      files: 1,
      stats,
      alerts,
      memoryConfig,
      memorySummary: { sent: 3, held: 0, rolledUp: 0, suppressed: 0, belowThreshold: 0, duplicates: 0, unavailable: 0 },
      collected: collector.collected,
      forecast: await forecastNoise({ name: 'login-whitelist' } as never, {}, memoryConfig, collector.collected),
    });
    expect(report.top.countries.rows.map((row) => [row.value, row.events])).toEqual([
      ['US', 2],
      ['unknown', 1],
    ]);
    expect(report.top.accounts.rows.map((row) => row.value)).toEqual([
      '111122223333',
      '111122223333 (prod-payments)',
      'unknown',
    ]);
    expect(report.top.sources.rows[0]).toMatchObject({ value: '8.8.8.8', detail: 'US, AS15169 Google LLC', events: 3 });
    const page = parseHtml(renderHtml(report));
    expect(textOf(byId(page, 'top-countries'))).toMatch(/US.*unknown/);
    expect(textOf(byId(page, 'top-sources'))).toContain('8.8.8.8 (US, AS15169 Google LLC)');
    const cells = elements(byId(page, 'alerts'), 'tr')
      .slice(1)
      .map((row) => elements(row, 'td').map(textOf));
    expect(cells.map((row) => [row[6], row[7]])).toEqual([
      ['US', '111122223333 (prod-payments)'],
      ['US', '111122223333'],
      ['unknown', 'unknown'],
    ]);
    expect(renderStats(report)).toContain('         2 event(s)      2 alert(s)  US');

    // The page's own filter script, run against the rows as parsed: typing hides what does not match.
    const rows = elements(byId(page, 'alerts'), 'tr')
      .slice(1)
      .map((row) => ({ textContent: textOf(row), hidden: false }));
    const filter = {
      value: '',
      onInput: (): void => undefined,
      addEventListener(_type: string, fn: () => void) {
        this.onInput = fn;
      },
    };
    const shown = { textContent: '' };
    const document = {
      getElementById: (id: string) => (id === 'filter' ? filter : id === 'shown' ? shown : null),
      querySelectorAll: (selector: string) => (selector === '#alerts tbody tr' ? rows : []),
    };
    runInNewContext(textOf(elements(page, 'script')[0]), { document });
    filter.value = 'PROD-payments';
    filter.onInput();
    expect(rows.map((row) => row.hidden)).toEqual([false, true, true]);
    expect(shown.textContent).toBe('1');
    filter.value = '';
    filter.onInput();
    expect(rows.map((row) => row.hidden)).toEqual([false, false, false]);
    expect(shown.textContent).toBe('3');
  });
});
