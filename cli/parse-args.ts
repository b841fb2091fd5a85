import { ConfigError } from '../shared/errors';

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/**
 * Minimal, strict flag parsing: `--name value`, `--name=value`, boolean `--name`. Unknown flags are a
 * usage error (exit 2), never silently ignored.
 */
export function parseArgs(argv: readonly string[], spec: Record<string, 'boolean' | 'string'>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) throw new ConfigError(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (eq !== -1) throw new ConfigError(`--${name} takes no value`);
      flags.set(name, true);
    } else {
      const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new ConfigError(`--${name} needs a value`);
      flags.set(name, value);
    }
  }
  return { positionals, flags };
}
