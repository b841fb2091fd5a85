import type { Env } from '../shared/platform/env-config';

/** What the CLI talks to; tests pass their own. */
export interface CliIo {
  env: Env;
  out(line: string): void;
  err(line: string): void;
  /** A transient status line on stderr (only used when stderr is a terminal); '' clears it. */
  progress(line: string): void;
  errIsTty: boolean;
}

export function processIo(): CliIo {
  return {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: (line) => process.stderr.write(`\r\x1b[2K${line}`),
    errIsTty: Boolean(process.stderr.isTTY),
  };
}
