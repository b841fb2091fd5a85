import { ConfigError, errorMessage } from '../shared/errors';
import { processIo, type CliIo } from './io';
import { match, MATCH_USAGE } from './match';
import { replay, REPLAY_USAGE } from './replay';

export const USAGE = `trailguard: audit-trail alerting functions, replayed locally

usage:
  trailguard replay <function> <path...> [--json] [--rules SETS] [--sink sns|smn --endpoint URL]
  trailguard match '<filter pattern>' [file]
  trailguard help

${REPLAY_USAGE}

${MATCH_USAGE}`;

export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** Commands registered by later parts (match, demo) without touching the dispatcher. */
export const COMMANDS: Record<string, Command> = {
  replay,
  match,
  verify: (a, o) => import('./verify').then((m) => m.verify(a, o)),
};

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    io.err(`error: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return 2;
    }
    io.err(`error: ${errorMessage(error)}`);
    return 1;
  }
}
