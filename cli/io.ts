import type { Env } from '../shared/platform/env-config';

/** What the CLI talks to; tests pass their own. */
export interface CliIo {
  env: Env;
  out(line: string): void;
  err(line: string): void;
  /** A transient status line on stderr (only used when stderr is a terminal); '' clears it. */
  progress(line: string): void;
  errIsTty: boolean;
  /**
   * True once stdout's reader has gone (`… | head -1`): commands stop writing and reading input and
   * end quietly with exit 0. Absent means stdout never closes (a test capture).
   */
  outClosed?(): boolean;
  /** Where `-` and a missing file argument read from (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

function isBrokenPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * The process's own streams. A closed stdout is not an error for a command-line tool (`head` has read
 * what it wanted): the write error is caught here, recorded, and every later line is dropped. Linux
 * pipe writes are synchronous, so the stream knows it failed right after the failing write.
 */
export function processIo(): CliIo {
  let outClosed = false;
  process.stdout.on('error', (error) => {
    if (!isBrokenPipe(error)) throw error;
    outClosed = true;
  });
  // stderr piped into the same closed reader (`2>&1 | head`): nothing left to tell, and no one to tell it to.
  process.stderr.on('error', (error) => {
    if (!isBrokenPipe(error)) throw error;
  });
  const stdoutGone = () => outClosed || process.stdout.destroyed || process.stdout.errored !== null;
  return {
    env: process.env,
    out: (line) => {
      if (stdoutGone()) {
        outClosed = true;
        return;
      }
      process.stdout.write(`${line}\n`);
      if (process.stdout.errored !== null) outClosed = true;
    },
    err: (line) => {
      if (!process.stderr.destroyed) process.stderr.write(`${line}\n`);
    },
    progress: (line) => {
      if (!process.stderr.destroyed) process.stderr.write(`\r\x1b[2K${line}`);
    },
    errIsTty: Boolean(process.stderr.isTTY),
    outClosed: stdoutGone,
    stdin: process.stdin,
  };
}
