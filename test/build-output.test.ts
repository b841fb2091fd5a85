/**
 * `npm run build` (scripts/build.mjs) says what it wrote: every deployment zip, Lambda and
 * FunctionGraph, with its size; and every bundle stays within the 400 KB budget with names kept (ajv's
 * validator is generated at build time and the Lambda SDK clients sit in lazy chunks, so no bundle carries
 * ajv or the SDK: issue #16).
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
});
