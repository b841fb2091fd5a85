#!/usr/bin/env node
/**
 * `npm run screenshot:report`: builds the CLI, replays a week of generated CloudTrail refusals through
 * `trailguard replay unauthorized-api --report`, and screenshots the page in headless Chromium
 * (Debian: `apt-get install chromium`; another binary with CHROMIUM=/path) into docs/report.png.
 * Not part of `npm test`. The data is made up here (documentation ranges 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24 and example accounts), so the picture never shows a real trail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'report.png');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  return result;
}

function findChromium() {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return candidate;
  }
  return undefined;
}

/** A deterministic pseudo-random sequence, so the picture is the same on every run. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function sampleRecords() {
  const denied = JSON.parse(readFileSync(join(ROOT, 'events', 'aws', 'cloudtrail-access-denied.json'), 'utf8'));
  const ec2 = JSON.parse(
    readFileSync(join(ROOT, 'events', 'aws', 'cloudtrail-ec2-unauthorized-operation.json'), 'utf8'),
  );
  const next = random(14);
  const people = [
    { user: 'build-bot', account: '444455556666', ip: '198.51.100.77', template: denied, weight: 0.45 },
    { user: 'scanner', account: '444455556666', ip: '192.0.2.10', template: ec2, weight: 0.2 },
    { user: 'mira.okafor', account: '111122223333', ip: '203.0.113.45', template: denied, weight: 0.1 },
    { user: 'tomas.reyes', account: '111122223333', ip: '198.51.100.23', template: ec2, weight: 0.1 },
    { user: 'priya.nair', account: '444455556666', ip: '203.0.113.99', template: denied, weight: 0.1 },
    { user: 'old-deployer', account: '555566667777', ip: '192.0.2.200', template: ec2, weight: 0.05 },
  ];
  const start = Date.parse('2026-11-16T00:00:00Z');
  const records = [];
  for (let i = 0; i < 1500; i += 1) {
    let pick = next();
    const who = people.find((person) => (pick -= person.weight) < 0) ?? people[0];
    // build-bot storms on two days; everyone else is spread over the week, office hours mostly.
    const day = who.user === 'build-bot' ? (next() < 0.7 ? 2 : 5) : Math.floor(next() * 7);
    const time = start + day * 86_400_000 + Math.floor((7 + next() * 11) * 3_600_000);
    records.push({
      ...who.template,
      eventID: `sample-${String(i).padStart(5, '0')}`,
      eventTime: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      sourceIPAddress: who.ip,
      recipientAccountId: who.account,
      userIdentity: {
        type: 'IAMUser',
        principalId: `AIDA${who.user.replace(/[^a-z]/g, '').toUpperCase()}`,
        arn: `arn:aws:iam::${who.account}:user/${who.user}`,
        accountId: who.account,
        userName: who.user,
      },
    });
  }
  records.sort((a, b) => (a.eventTime < b.eventTime ? -1 : 1));
  return records;
}

const built = run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

const dir = mkdtempSync(join(tmpdir(), 'trailguard-report-'));
const input = join(dir, '444455556666_CloudTrail_us-east-1_sample.json.gz');
writeFileSync(input, gzipSync(JSON.stringify({ Records: sampleRecords() })));
const html = join(dir, 'report.html');
const replay = run(
  process.execPath,
  [join(ROOT, 'bin', 'trailguard.js'), 'replay', 'unauthorized-api', input, '--report', html, '--quiet'],
  {
    env: {
      PATH: process.env.PATH ?? '',
      DEDUP_WINDOW: '1h',
      SUPPRESS: JSON.stringify([
        { pattern: '{ $.userIdentity.userName = "scanner" }', reason: 'weekly inventory scanner (TICKET-1234)' },
      ]),
      ACCOUNT_NAMES: JSON.stringify({ 111122223333: 'prod-payments', 444455556666: 'ci-tools' }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (replay.status !== 0) {
  console.error(`replay exited ${replay.status}`);
  process.exit(1);
}

const chromium = findChromium();
if (!chromium) {
  console.error(
    `no Chromium found (install Debian's chromium: apt-get install chromium, or set CHROMIUM=/path/to/chrome); the report is at ${html}`,
  );
  process.exit(1);
}
const shot = run(
  chromium,
  [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--no-first-run',
    '--disable-extensions',
    '--force-device-scale-factor=1',
    '--window-size=1280,2400',
    `--screenshot=${OUT}`,
    pathToFileURL(html).href,
  ],
  { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 },
);
if (shot.status !== 0) {
  console.error(shot.stderr);
  process.exit(1);
}
console.log(`wrote ${OUT} (${statSync(OUT).size} bytes) from ${html}`);
