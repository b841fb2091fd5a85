/**
 * `trailguard check-config <function>`: the deployed function's cold-start check, run on this
 * environment. Prints the effective configuration with secrets masked, and warnings; exit 0 when the
 * function would start, 2 (with the cold start's own message) when it would refuse to.
 */
import { Command, Option } from 'commander';
import { DETECTORS, detectorNames } from '../functions/registry';
import type { Env } from '../shared/platform/env-config';
import { functionGraphEnv } from '../shared/platform/functiongraph-handler';
import { checkDetectorConfig, type FunctionConfig } from '../shared/platform/load-function-config';
import { redactText } from '../shared/platform/logger';
import type { CliCommand } from './command';
import type { CliIo } from './io';

export type CheckedPlatform = 'aws' | 'functiongraph';

export interface FunctionConfigCheckResult {
  /** Whether the function would start with this environment. */
  ok: boolean;
  /** The effective configuration (unmasked: mask it with `maskConfig` before showing it); when ok. */
  config?: FunctionConfig<unknown>;
  /** Every problem, as the cold start lists them. */
  problems: string[];
  warnings: string[];
  /** When not ok: the cold start's error message, word for word. */
  message?: string;
}

/**
 * Exactly the check a deployed function makes at cold start (Lambda at module load, FunctionGraph in
 * its initializer), on `env`, without throwing. Pure. For FunctionGraph, `env` is read as the runtime
 * would read it with no context: RUNTIME_USERDATA first, then the variables themselves.
 */
export function checkFunctionConfig(
  fn: string,
  env: Env,
  platform: CheckedPlatform = 'aws',
): FunctionConfigCheckResult {
  const detector = Object.hasOwn(DETECTORS, fn) ? DETECTORS[fn as keyof typeof DETECTORS] : undefined;
  if (!detector) {
    const message = `unknown function ${JSON.stringify(fn)}: use one of ${detectorNames().join(', ')}`;
    return { ok: false, problems: [message], warnings: [], message };
  }
  const effective = platform === 'functiongraph' ? functionGraphEnv({}, env) : env;
  const check = checkDetectorConfig(detector, effective, platform);
  return {
    ok: check.ok,
    config: check.config,
    problems: check.problems,
    warnings: check.warnings,
    message: check.error?.message,
  };
}

/** Variables whose whole value is a secret. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|_SK$|AUTHORIZATION|CREDENTIAL/i;
/** Variables (and config keys) holding a URL whose path or query is the secret (a webhook's). */
const SECRET_URL_NAME = /WEBHOOK/i;
const MASK = '****';

/** `redis://user:pass@host` → `redis://user:****@host`, anywhere in a text. */
function maskUrlPasswords(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, `$1${MASK}@`);
}

/** A webhook URL keeps its scheme and host, so it can be recognised; the rest is the secret. */
function maskUrlPath(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}/${MASK}`;
  } catch {
    return MASK;
  }
}

export function maskValue(name: string, value: string): string {
  if (SECRET_URL_NAME.test(name)) return maskUrlPath(value);
  if (SECRET_NAME.test(name)) return MASK;
  return redactText(maskUrlPasswords(value));
}

/**
 * The configuration as JSON-friendly data with secrets masked: Sets and Maps become arrays and
 * objects, functions (compiled matchers) are left out, and strings under secret-looking keys masked.
 */
export function maskConfig(value: unknown, key = '', depth = 0): unknown {
  if (depth > 12) return '…';
  if (typeof value === 'string') return maskValue(key, value);
  if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) return undefined;
  if (typeof value === 'bigint') return String(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof RegExp) return String(value);
  if (value instanceof Set) return [...value].map((item) => maskConfig(item, key, depth + 1));
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([k, v]) => [String(k), maskConfig(v, String(k), depth + 1)]));
  if (Array.isArray(value)) return value.map((item) => maskConfig(item, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const masked = maskConfig(v, k, depth + 1);
    if (masked !== undefined) out[k] = masked;
  }
  return out;
}

/** An environment that remembers which variables were looked up, so check-config shows what was read. */
function recordingEnv(env: Env): { env: Env; read: Set<string> } {
  const read = new Set<string>();
  const proxy = new Proxy(env as Record<string, string | undefined>, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      read.add(key);
      return Object.hasOwn(target, key) ? target[key] : undefined;
    },
  });
  return { env: proxy, read };
}

interface CheckConfigOptions {
  json?: boolean;
  platform: CheckedPlatform;
}

async function runCheckConfig(args: readonly unknown[], options: CheckConfigOptions, io: CliIo): Promise<number> {
  const [fn] = args as [string];
  if (!Object.hasOwn(DETECTORS, fn)) {
    io.err(`error: unknown function ${JSON.stringify(fn)}: use one of ${detectorNames().join(', ')}`);
    return 2;
  }
  const { env, read } = recordingEnv(io.env);
  const result = checkFunctionConfig(fn, env, options.platform);
  // Every variable the check looked at that is set, as the function would see it, masked.
  const lookup = options.platform === 'functiongraph' ? functionGraphEnv({}, io.env) : io.env;
  const environment: Record<string, string> = {};
  for (const name of [...read].sort()) {
    const value = lookup[name];
    if (typeof value === 'string' && value.trim() !== '') environment[name] = maskValue(name, value);
  }
  // Warnings are listed on their own; the rest is the configuration the function would run with.
  const { warnings: _shown, ...effective } = result.config ?? { warnings: [] };
  const config = result.config ? (maskConfig(effective) as Record<string, unknown>) : undefined;
  if (options.json) {
    io.out(
      JSON.stringify(
        {
          function: fn,
          platform: options.platform,
          ok: result.ok,
          problems: result.problems,
          warnings: result.warnings,
          ...(result.message !== undefined ? { message: result.message } : {}),
          environment,
          ...(config ? { config } : {}),
        },
        null,
        2,
      ),
    );
    return result.ok ? 0 : 2;
  }
  for (const warning of result.warnings) io.err(`warning: ${warning}`);
  if (!result.ok) {
    io.err(`error: ${result.message}`);
    return 2;
  }
  io.out(`${fn}: configuration valid (${options.platform} cold-start check)`);
  io.out('');
  io.out('variables read:');
  const names = Object.keys(environment);
  if (names.length === 0) io.out('  (none set)');
  for (const name of names) io.out(`  ${name}=${environment[name]}`);
  io.out('');
  io.out('effective configuration (secrets masked):');
  io.out(JSON.stringify(config, null, 2));
  return 0;
}

export const checkConfigCommand: CliCommand = {
  define: () =>
    new Command('check-config')
      .description("run a function's cold-start configuration check on this environment")
      .argument('<function>', detectorNames().join(' | '))
      .addOption(
        new Option('--platform <platform>', 'which cold start to check')
          .choices(['aws', 'functiongraph'])
          .default('aws'),
      )
      .option('--json', 'machine-readable output on stdout: ok, problems, warnings, message, environment, config')
      .addHelpText(
        'after',
        `
Reads the same variables as the deployed function (README: "Variables every function reads" and each
function's table) from this environment. Secrets are masked: tokens, secret keys, passwords (also
inside URLs) and webhook URLs.

Exit codes: 0 the function would start, 2 it would refuse to (the message is the cold start's).`,
      ),
  run: (args, options, io) => runCheckConfig(args, options as unknown as CheckConfigOptions, io),
};
