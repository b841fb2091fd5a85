// `npm run bench [-- --write]`: the throughput, cold-start and whole-process bench, then the memory-stage
// bench, each given the arguments npm passes (npm appends them to the script's last command only).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bench');
for (const script of ['run-bench.js', 'memory-bench.js']) {
  // The memory bench collects garbage between its timed runs (replayThroughput).
  const flags = script === 'memory-bench.js' ? ['--expose-gc'] : [];
  const run = spawnSync(process.execPath, [...flags, join(dist, script), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
