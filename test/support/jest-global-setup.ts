import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Before any suite: a folder for this jest run, named in TRAILGUARD_TEST_RUN, which the workers inherit;
 * test/support/build-once.ts keeps the run's one build result there. Removed by jest-global-teardown.ts.
 */
export default function globalSetup(): void {
  process.env.TRAILGUARD_TEST_RUN = mkdtempSync(join(tmpdir(), 'trailguard-jest-run-'));
}
