/**
 * The progress bar of `replay` on a terminal (the built CLI under `script`, which gives it a pseudo-terminal):
 * a line printed while the bar is drawn (a rejection) gets a line of its own, the bar is drawn again below
 * it, and stopping the bar does not move the cursor back over those lines.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './support/run-cli';
import { buildBundles } from './support/build-once';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
let folder: string;

beforeAll(() => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  folder = mkdtempSync(join(tmpdir(), 'trailguard-progress-'));
  // 60 files (the bar shows from 50), every 20th with a record that is rejected.
  for (let i = 1; i <= 60; i++)
    writeFileSync(
      join(folder, `f${String(i).padStart(2, '0')}.json`),
      i % 20 === 0 ? '{"Records":[{"eventVersion":"1.08","nonsense":1}]}' : '{"Records":[]}',
    );
});

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

(hasScript ? it : it.skip)(
  'a rejection printed under the bar is a line of its own, and the bar is drawn again below it',
  () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} replay login-whitelist ${JSON.stringify(folder)} --json --threads 1`;
    const run = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', IP_WHITELIST: '10.0.0.0/8', TERM: 'xterm' },
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    const screen = run.stdout;
    expect(screen).toContain('replay [');
    const rejections = screen.match(/rejected: [^\r\n]*/g) ?? [];
    expect(rejections).toHaveLength(3);
    for (const line of rejections) expect(line).not.toContain('replay [');
    // Each one: the bar's line cleared, wrapping on, the line; then the cursor saved below it, wrapping off.
    expect(screen.match(/\r\x1b\[2K\x1b\[\?7hrejected: [^\r\n]*\r?\n\x1b7\x1b\[\?7l/g)).toHaveLength(3);
    expect(screen).toMatch(/login-whitelist: 60 file\(s\), 0 record\(s\), 0 alert\(s\) .* 3 rejected/);
  },
);
