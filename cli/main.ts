import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { ConfigError, errorMessage } from '../shared/errors';
import { checkConfigCommand } from './check-config';
import type { CliCommand } from './command';
import { processIo, type CliIo } from './io';
import { matchCommand } from './match';
import { replayCommand } from './replay';
import { verifyCommand } from './verify';

export type { CliCommand } from './command';

/** Every command, in the order `trailguard --help` lists them: adding a command is one line here. */
export const COMMANDS: readonly CliCommand[] = [replayCommand, matchCommand, checkConfigCommand, verifyCommand];

/** Exit codes (README): 0 ran fine, 1 some input could not be processed, 2 usage or configuration error. */
function exitCodeOf(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
  // `trailguard` alone prints the help as an error; `help` and `--help` print it as asked.
  if (error.code === 'commander.help') return error.exitCode === 0 ? 0 : 2;
  return 2;
}

/**
 * Commander names the unknown option; say what it probably was: `-json` where `--json` was meant, or
 * a pattern or file name that starts with `-`.
 */
function hintFor(message: string, longOptions: ReadonlySet<string>): string {
  const unknown = /unknown option '(-[^-][^']*)'/.exec(message)?.[1];
  if (!unknown) return '';
  if (longOptions.has(unknown.slice(1))) return `(options take two dashes: did you mean -${unknown}?)\n`;
  return `(an argument that starts with '-' goes after '--', e.g. trailguard match -- '${unknown}' app.log)\n`;
}

export function createProgram(io: CliIo, onExit: (code: number) => void): Command {
  const program = new Command('trailguard')
    .description('audit-trail alerting functions, replayed locally')
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .helpCommand('help [command]', 'print the help of a command')
    .addHelpText(
      'after',
      `
Every command takes -h/--help and -V/--version; '--' ends the options.
Exit codes: 0 ran fine, 2 usage or configuration error, 1 some input could not be processed (or a publish failed).`,
    )
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run 'trailguard --help' for usage)")
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, '')),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
      outputError: (text, write) => write(text + hintFor(text, longOptions)),
    });
  const longOptions = new Set<string>();
  for (const spec of COMMANDS) {
    const command = spec.define();
    command
      .copyInheritedSettings(program)
      .version(version, '-V, --version', 'print the version and exit')
      .helpOption('-h, --help', 'print this help and exit')
      .allowExcessArguments(false)
      .allowUnknownOption(false)
      .showHelpAfterError(`(run 'trailguard ${command.name()} --help' for usage)`)
      .action(async (...params: unknown[]) => {
        const self = params[params.length - 1] as Command;
        onExit(await spec.run(self.processedArgs, self.opts(), io));
      });
    for (const option of command.options) if (option.long) longOptions.add(option.long.slice(2));
    program.addCommand(command);
  }
  return program;
}

/**
 * Runs one command line (without the node and script names) and resolves to its exit code. Never
 * throws: usage and configuration errors print `error: …` and give 2, anything else gives 1.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = createProgram(io, (exit) => {
    code = exit;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeOf(error);
    if (error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return 2;
    }
    io.err(`error: ${errorMessage(error)}`);
    return 1;
  }
}
