import type { Command } from 'commander';
import type { CliIo } from './io';

/**
 * One `trailguard` command. `define` declares its arguments, options and help text with commander (no
 * action: main.ts attaches it, with the conventions every command shares: `-h`/`--help`, `--version`,
 * unknown options and excess arguments rejected with exit 2, `--` ends options). `run` gets what
 * commander parsed and resolves to the exit code. To add a command, list it in COMMANDS in main.ts.
 */
export interface CliCommand {
  define(): Command;
  /**
   * @param args the declared arguments in order (a variadic one as an array)
   * @param options commander's `opts()`: camel-cased option names
   */
  run(args: readonly unknown[], options: Readonly<Record<string, unknown>>, io: CliIo): Promise<number>;
}
