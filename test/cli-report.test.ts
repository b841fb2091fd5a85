/**
 * `trailguard replay --report / --stats` through the shipped CLI (bin/trailguard.js after the build):
 * the page parsed as a browser parses it (parse5): its structure, its counts against the replay's own
 * summary, no reference to anything outside the file, hostile trail values escaped, and a bounded size.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { attr, byId, countOf, elements, type HtmlNode, parseHtml, textOf } from './support/html-tree';
import { ROOT, runCli } from './support/run-cli';
import { buildBundles } from './support/build-once';

jest.setTimeout(120_000);

const DENIED: Record<string, unknown> = JSON.parse(
  readFileSync(join(ROOT, 'events', 'aws', 'cloudtrail-access-denied.json'), 'utf8'),
);
const START = Date.parse('2024-06-03T00:00:00Z');
const SUPPRESS = JSON.stringify([
  { pattern: '{ $.userIdentity.userName = "scanner" }', reason: 'inventory <scan> "ok"' },
]);

function refused(id: string, at: number, user: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...DENIED,
    eventID: id,
    eventTime: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    userIdentity: {
      type: 'IAMUser',
      principalId: `AIDA${user.length}`,
      arn: `arn:aws:iam::444455556666:user/${user}`,
      accountId: '444455556666',
      userName: user,
    },
    ...extra,
  };
}

let dir: string;
let week: string;
let hostile: string;
let many: string;

beforeAll(() => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'trailguard-report-'));
  // build-bot refused once a minute for two hours on day 1; alice a few times over three days; the
  // scanner is suppressed; one record delivered twice.
  const records = [
    ...Array.from({ length: 120 }, (_, i) => refused(`bot-${i}`, START + i * 60_000, 'build-bot')),
    ...Array.from({ length: 6 }, (_, i) => refused(`alice-${i}`, START + i * 12 * 3_600_000, 'alice')),
    ...Array.from({ length: 4 }, (_, i) => refused(`scan-${i}`, START + i * 3_600_000, 'scanner')),
    refused('alice-0', START, 'alice'),
  ];
  week = join(dir, 'week.json.gz');
  writeFileSync(week, gzipSync(JSON.stringify({ Records: records })));
  const huge = 'A'.repeat(1024 * 1024);
  const hostileRecords = [
    refused('<script>alert("id")</script>', START, '<script>alert(1)</script>'),
    refused('quote-1', START + 1000, `x" onmouseover="alert(2)' autofocus onfocus='alert(3)`),
    refused('img-1', START + 2000, 'img', { sourceIPAddress: '<img src=x onerror=alert(4)>' }),
    refused('lone-1', START + 3000, 'lone\ud800surrogate'),
    refused('huge-1', START + 4000, `huge${huge}`),
    refused('style-1', START + 5000, '</td><style>body{background:url(https://evil.example/x)}</style>'),
  ];
  hostile = join(dir, 'hostile.json');
  // JSON.stringify writes a lone surrogate as the escape \ud800: the file is valid UTF-8.
  writeFileSync(hostile, JSON.stringify({ Records: hostileRecords }));
  many = join(dir, 'many.json.gz');
  writeFileSync(
    many,
    gzipSync(
      JSON.stringify({ Records: Array.from({ length: 2500 }, (_, i) => refused(`m-${i}`, START + i * 1000, `u${i}`)) }),
    ),
  );
});

function summaryOf(stderr: string) {
  const run =
    /(\d+) file\(s\), (\d+) record\(s\), (\d+) alert\(s\) \((\d+) finding\(s\)\), (\d+) rejected, (\d+) skipped.*, (\d+) duplicate\(s\)/.exec(
      stderr,
    );
  const memory =
    /(\d+) alert\(s\) sent, (\d+) held for roll-up, (\d+) rolled up, (\d+) suppressed, (\d+) below threshold/.exec(
      stderr,
    );
  if (!run || !memory) throw new Error(`no summary in:\n${stderr}`);
  const [files, records, alerts, findings, rejected, skipped, duplicates] = run.slice(1).map(Number);
  const [sent, held, rolledUp, suppressed, belowThreshold] = memory.slice(1).map(Number);
  return {
    files,
    records,
    alerts,
    findings,
    rejected,
    skipped,
    duplicates,
    sent,
    held,
    rolledUp,
    suppressed,
    belowThreshold,
  };
}

/** Attributes that make a browser load something. */
const LOADING_ATTRIBUTES = new Set([
  'src',
  'href',
  'xlink:href',
  'srcset',
  'action',
  'formaction',
  'poster',
  'background',
  'data',
  'ping',
  'manifest',
  'cite',
  'longdesc',
  'usemap',
  'codebase',
]);
const LOADING_ELEMENTS = [
  'img',
  'iframe',
  'frame',
  'object',
  'embed',
  'link',
  'base',
  'video',
  'audio',
  'source',
  'form',
];

function expectSelfContained(html: string, page: HtmlNode): void {
  for (const node of elements(page)) {
    expect(LOADING_ELEMENTS).not.toContain(node.tagName);
    for (const { name, value } of node.attrs ?? []) {
      if (LOADING_ATTRIBUTES.has(name)) expect(value).toMatch(/^(#|data:)/);
      expect(name.startsWith('on')).toBe(false);
      if (name === 'style') expect(value).not.toMatch(/url\s*\(|@import|expression\s*\(/i);
    }
  }
  for (const style of elements(page, 'style')) expect(textOf(style)).not.toMatch(/url\s*\(|@import/i);
  const scripts = elements(page, 'script');
  expect(scripts).toHaveLength(1);
  expect(attr(scripts[0], 'src')).toBeUndefined();
  const csp = elements(page, 'meta').find((meta) => attr(meta, 'http-equiv') === 'Content-Security-Policy');
  const policy = attr(csp as HtmlNode, 'content') ?? '';
  expect(policy).toContain("default-src 'none'");
  const hash = createHash('sha256').update(textOf(scripts[0])).digest('base64');
  expect(policy).toContain(`script-src 'sha256-${hash}'`);
  expect(html).not.toMatch(/https?:\/\//);
}

function rowsOf(page: HtmlNode, id: string): HtmlNode[] {
  const table = byId(page, id);
  const body = elements(table, 'tbody')[0];
  return (body.childNodes ?? []).filter((node) => node.tagName === 'tr');
}

describe('replay --report', () => {
  it('writes one page whose counts match the replay summary, with charts, tables and every alert', async () => {
    const report = join(dir, 'week.html');
    const env = { SUPPRESS, DEDUP_WINDOW: '15m' };
    const run = await runCli(['replay', 'unauthorized-api', week, '--report', report], { env });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`report written to ${report}`);
    const summary = summaryOf(run.stderr);
    const page = parseHtml(readFileSync(report, 'utf8'));
    for (const key of ['files', 'records', 'findings', 'alerts', 'rejected', 'skipped', 'duplicates'] as const)
      expect([key, countOf(page, key)]).toEqual([key, summary[key]]);
    for (const key of ['sent', 'held', 'rolledUp', 'suppressed', 'belowThreshold'] as const)
      expect([key, countOf(page, key)]).toEqual([key, summary[key]]);
    expect(summary).toMatchObject({ records: 131, duplicates: 1, suppressed: 4, findings: 126, alerts: 2 });

    for (const id of ['summary', 'memory', 'forecast', 'findings-over-time', 'top', 'alert-list'])
      expect(byId(page, id).tagName).toBe('section');
    expect(elements(page, 'svg')).toHaveLength(2);
    expect(elements(byId(page, 'forecast'), 'rect').length).toBeGreaterThan(0);
    expect(textOf(byId(page, 'suppressed-by'))).toContain('inventory <scan> "ok"');
    // A 15-minute window over two hours of one principal: an alert and a roll-up per window (8 windows),
    // plus alice's six lone refusals; without the memory stage, one alert per 5-minute batch (24 + 6).
    expect(countOf(page, 'forecast')).toBe(22);
    expect(countOf(page, 'forecast-without-memory')).toBe(30);
    const ruleRow = rowsOf(page, 'rules')[0];
    expect(textOf(ruleRow)).toContain('unauthorized-api-calls');

    const principals = rowsOf(page, 'top-principals').map(textOf);
    expect(principals[0]).toContain('arn:aws:iam::444455556666:user/build-bot');
    expect(principals[0]).toMatch(/120$/);
    expect(rowsOf(page, 'top-countries').map(textOf)).toEqual(['unknown2126']);
    expect(byId(page, 'filter').tagName).toBe('input');

    const json = await runCli(['replay', 'unauthorized-api', week, '--json', '--quiet'], { env });
    const alerts = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const rows = rowsOf(page, 'alerts');
    expect(rows).toHaveLength(alerts.length);
    alerts.forEach((alert, index) => {
      const cells = (rows[index].childNodes ?? []).filter((node) => node.tagName === 'td').map(textOf);
      expect(cells[1]).toBe(alert.rule);
      expect(cells[3]).toBe(String(alert.count));
      expect(cells[9]).toContain(alert.eventIds[0]);
    });
  });

  it('loads nothing from anywhere: no src, href or url() but # and data:, one inline script allowed by its hash', async () => {
    const report = join(dir, 'self-contained.html');
    expect((await runCli(['replay', 'unauthorized-api', week, '--report', report, '--quiet'])).code).toBe(0);
    const html = readFileSync(report, 'utf8');
    expectSelfContained(html, parseHtml(html));
  });

  it('escapes every trail value: markup, quotes, lone surrogates and huge values stay text', async () => {
    const report = join(dir, 'hostile.html');
    const run = await runCli(['replay', 'unauthorized-api', hostile, '--report', report, '--quiet']);
    expect(run.code).toBe(0);
    const bytes = readFileSync(report);
    const html = bytes.toString('utf8');
    const page = parseHtml(html);
    expectSelfContained(html.replace(/https:\/\/evil\.example/g, ''), page);
    expect(elements(page, 'style')).toHaveLength(1);
    const table = textOf(byId(page, 'alerts'));
    expect(table).toContain('arn:aws:iam::444455556666:user/<script>alert(1)</script>');
    expect(table).toContain(`x" onmouseover="alert(2)' autofocus onfocus='alert(3)`);
    expect(table).toContain('<img src=x onerror=alert(4)>');
    expect(table).toContain('<script>alert("id")</script>');
    expect(table).toContain('</td><style>');
    // A lone surrogate is written as visible \ud800, never as a replacement character or invalid UTF-8.
    expect(table).toContain('lone\\ud800surrogate');
    expect(bytes.includes(Buffer.from('\ufffd'))).toBe(false);
    expect(Buffer.from(html, 'utf8').equals(bytes)).toBe(true);
    // The megabyte user name is cut in every cell.
    expect(bytes.length).toBeLessThan(100_000);
    expect(table).not.toContain('A'.repeat(1000));
    expect(rowsOf(page, 'alerts')).toHaveLength(6);
  });

  it('caps the table of a huge replay with a note, and keeps every count', async () => {
    const report = join(dir, 'many.html');
    const run = await runCli(['replay', 'unauthorized-api', many, '--report', report]);
    expect(run.code).toBe(0);
    const page = parseHtml(readFileSync(report, 'utf8'));
    expect(countOf(page, 'alerts')).toBe(2500);
    expect(summaryOf(run.stderr).alerts).toBe(2500);
    expect(rowsOf(page, 'alerts')).toHaveLength(2000);
    expect(textOf(byId(page, 'alerts-capped'))).toContain('first 2,000 of 2,500 alerts');
    expect(rowsOf(page, 'top-principals')).toHaveLength(11); // ten and "… and 2,490 more"
    expect(statSync(report).size).toBeLessThan(3 * 1024 * 1024);
  });

  it('stays within a small heap on 5,000 alerts with 4 KB principals, and writes a bounded page', async () => {
    const big = join(dir, 'big-names.json.gz');
    const name = (i: number) => `${'n'.repeat(4096)}${i}`;
    writeFileSync(
      big,
      gzipSync(
        JSON.stringify({
          Records: Array.from({ length: 5000 }, (_, i) => refused(`b-${i}`, START + i * 1000, name(i))),
        }),
      ),
    );
    const report = join(dir, 'big-names.html');
    const run = await runCli(['replay', 'unauthorized-api', big, '--report', report, '--stats', '--quiet'], {
      env: { NODE_OPTIONS: '--max-old-space-size=256' },
      timeoutMs: 90_000,
    });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/noise forecast \(5-minute batches\): 5,000 alert\(s\)/);
    expect(statSync(report).size).toBeLessThan(4 * 1024 * 1024);
  });

  it('exits 1 when the report cannot be written, and still prints every alert', async () => {
    const run = await runCli([
      'replay',
      'unauthorized-api',
      week,
      '--json',
      '--report',
      join(dir, 'no', 'such', 'r.html'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: cannot write the report .*no\/such\/r\.html: .*ENOENT/);
    expect(run.stdout.trim().split('\n')).toHaveLength(3);
  });
});

describe('replay --stats', () => {
  it('prints the report numbers on stderr and leaves the --json lines on stdout untouched', async () => {
    const env = { SUPPRESS, DEDUP_WINDOW: '15m' };
    const plain = await runCli(['replay', 'unauthorized-api', week, '--json'], { env });
    const report = join(dir, 'stats.html');
    const withStats = await runCli(['replay', 'unauthorized-api', week, '--json', '--stats', '--report', report], {
      env,
    });
    expect(withStats.code).toBe(0);
    expect(withStats.stdout).toBe(plain.stdout);
    const page = parseHtml(readFileSync(report, 'utf8'));
    const { stderr } = withStats;
    expect(stderr).toContain(
      'stats: unauthorized-api, 2024-06-03T00:00:00.000Z to 2024-06-05T12:00:00.000Z (3 day(s))',
    );
    expect(stderr).toContain(
      `noise forecast (5-minute batches): ${countOf(page, 'forecast')} alert(s) over 3 day(s), ${textOf(byId(page, 'forecast')).match(/: ([\d.]+) per day/)?.[1]}/day`,
    );
    expect(stderr).toContain(`without the memory stage ${countOf(page, 'forecast-without-memory')}`);
    expect(stderr).toContain(`memory (memory): ${countOf(page, 'sent')} sent`);
    expect(stderr).toMatch(/suppressed by #1: 4 \(inventory <scan> "ok"\)/);
    expect(stderr).toMatch(/unauthorized-api-calls: 126, 4, 2 \(126\), 30, 22, \d+ on 2024-06-03/);
    expect(stderr).toMatch(
      /top principals \(2 distinct, by events\):\n +120 event\(s\) +1 alert\(s\) {2}arn:aws:iam::444455556666:user\/build-bot/,
    );
    expect(stderr).toMatch(/countries \(1 distinct, by events\):\n +126 event\(s\) +2 alert\(s\) {2}unknown/);
  });

  it('prints with --quiet too (asked for), without the summary', async () => {
    const run = await runCli(['replay', 'unauthorized-api', week, '--quiet', '--stats']);
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^stats: unauthorized-api, /);
    expect(run.stderr).not.toMatch(/alert\(s\) sent/);
    expect(run.stderr).not.toMatch(/report written/);
  });

  it('writes trail values as one escaped line each', async () => {
    const run = await runCli(['replay', 'unauthorized-api', hostile, '--quiet', '--stats']);
    expect(run.stderr).toContain('lone\\ud800surrogate');
    expect(run.stderr).not.toContain('A'.repeat(200));
    for (const line of run.stderr.split('\n')) expect(line.length).toBeLessThan(400);
  });
});

describe('replay --help', () => {
  it('lists --report and --stats', async () => {
    const run = await runCli(['replay', '--help']);
    expect(run.stdout).toMatch(/--report <file>/);
    expect(run.stdout).toMatch(/--stats/);
  });
});
