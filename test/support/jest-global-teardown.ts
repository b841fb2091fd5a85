import { rmSync } from 'node:fs';

/** After every suite: the run's folder (test/support/jest-global-setup.ts) goes. */
export default function globalTeardown(): void {
  const folder = process.env.TRAILGUARD_TEST_RUN;
  if (folder) rmSync(folder, { recursive: true, force: true });
}
