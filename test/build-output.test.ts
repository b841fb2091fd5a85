/**
 * `npm run build` (scripts/build.mjs) says what it wrote: every deployment zip, Lambda and
 * FunctionGraph, with its size; and every bundle stays within the 400 KB budget with names kept (ajv's
 * validator is generated at build time and the Lambda SDK clients sit in lazy chunks, so no bundle carries
 * ajv or the SDK: issue #16); and no bundle loads node:crypto or node:zlib at cold start (require plus the
 * FunctionGraph initializer): shared/lazy-builtins.ts loads them on first use.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
let output: string;

beforeAll(() => {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  output = build.stdout;
}, 120_000);

const functions = readdirSync(join(ROOT, 'functions')).filter((name) => {
  try {
    return statSync(join(ROOT, 'functions', name, 'aws.ts')).isFile();
  } catch {
    return false;
  }
});

describe('npm run build', () => {
  it('lists every zip it wrote with its size in KB', () => {
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const zip of functions.flatMap((fn) => [`dist/aws/${fn}.zip`, `dist/functiongraph/${fn}.zip`])) {
      const kb = (statSync(join(ROOT, zip)).size / 1024).toFixed(1);
      expect(output).toMatch(new RegExp(`^  ${zip.replace(/[.]/g, '\\.')}\\s+${kb.replace('.', '\\.')} KB$`, 'm'));
    }
  });

  it('keeps every bundle within 400 KB at cold start', () => {
    const sizes = [...output.matchAll(/^ {2}dist\/(?:aws|functiongraph)\/\S+\.(?:mjs|js)\s+([\d.]+) KB/gm)].map((m) =>
      Number(m[1]),
    );
    expect(sizes.length).toBe(functions.length * 2);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(400);
  });

  it('loads neither node:crypto nor node:zlib at cold start', () => {
    // The configuration bench/run-bench.ts gives every function; each bundle must start with it.
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      ALERT_REGION: 'eu-de',
      PROJECT_ID: '0a7c3e9b1d5f4a2c8e6b0d4f2a8c6e1b',
      LOG_LEVEL: 'silent',
      IP_WHITELIST: '203.0.113.0/24',
      RULE_SETS: 'all',
    };
    const probe = [
      'const before = new Set(process.moduleLoadList);',
      'const loaded = require(process.argv[1]);',
      'if (typeof loaded.initializer === "function") loaded.initializer({}, (e) => { if (e) throw e; });',
      'const added = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith("NativeModule "));',
      'process.stdout.write(JSON.stringify(added.map((m) => m.slice(13))));',
    ].join('\n');
    for (const fn of functions) {
      for (const [bundle, topic] of [
        [`dist/aws/${fn}.js`, 'arn:aws:sns:us-east-1:111122223333:trailguard-alerts'],
        [`dist/functiongraph/${fn}/index.js`, 'urn:smn:eu-de:0a7c3e9b1d5f4a2c8e6b0d4f2a8c6e1b:trailguard-alerts'],
      ]) {
        const run = spawnSync(process.execPath, ['-e', probe, join(ROOT, bundle)], {
          env: { ...env, ALERT_TOPIC: topic },
          encoding: 'utf8',
        });
        if (run.status !== 0) throw new Error(`${bundle}: exit ${run.status}\n${run.stderr}`);
        const builtins = JSON.parse(run.stdout) as string[];
        expect({ bundle, builtins: builtins.filter((m) => /^(?:crypto|zlib)$|^internal\/crypto\//.test(m)) }).toEqual({
          bundle,
          builtins: [],
        });
      }
    }
  });
});
