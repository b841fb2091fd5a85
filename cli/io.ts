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
  /**
   * When stdout holds more than it can pass on (its reader is slower, or gone: socket pipes report a
   * closed reader only through a later error), a promise that settles once it drains or closes;
   * otherwise undefined. Commands that write much call it between lines.
   */
  drain?(): Promise<void> | undefined;
  /** Where `-` and a missing file argument read from (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

function isBrokenPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * The process's own streams. A closed stdout is not an error for a command-line tool (`head` has read
 * what it wanted): the write error is caught here, recorded, and every later line is dropped. A shell
 * pipe on Linux fails the write itself; a socket pair (a parent process's pipe) reports it later, so
 * writers wait for `drain` and see the close there.
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
    drain: () => {
      if (!process.stdout.writableNeedDrain || stdoutGone()) return undefined;
      return new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done).off('error', done).off('close', done);
          resolve();
        };
        process.stdout.once('drain', done).once('error', done).once('close', done);
      });
    },
    stdin: process.stdin,
  };
}
