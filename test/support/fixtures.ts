import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const EVENTS_DIR = join(__dirname, '..', '..', 'events');

/** A sample from events/, parsed (`aws/envelope-eventbridge-console-signin.json`). */
export function fixture(path: string): unknown {
  return JSON.parse(readFileSync(join(EVENTS_DIR, path), 'utf8'));
}

export function fixtureBytes(path: string): Buffer {
  return readFileSync(join(EVENTS_DIR, path));
}
