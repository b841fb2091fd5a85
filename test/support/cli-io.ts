import type { CliIo } from '../../cli/io';

/** A CliIo that records what the CLI writes; the environment is exactly `env`. */
export function captureIo(
  env: Record<string, string> = {},
  extra: Partial<CliIo> = {},
): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
    ...extra,
  };
}
