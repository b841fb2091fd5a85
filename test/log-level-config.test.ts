/**
 * LOG_LEVEL is part of the one cold-start configuration check: a level pino does not know is listed with
 * every other problem, in the sources and in the built bundles, never pino's own crash.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FUNCTION_NAMES, type FunctionName } from '../shared/detect/detector';
import { DETECTORS } from '../functions/registry';
import { createFunctionGraphHandler } from '../shared/platform/functiongraph-handler';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { loadFunctionConfig } from '../shared/platform/load-function-config';
import { createLogger } from '../shared/platform/logger';
import { ConfigError } from '../shared/errors';
import { thrown } from './support/thrown';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const AWS_ENV: Record<string, string> = {
  IP_WHITELIST: '203.0.113.0/24',
  ALERT_TOPIC: 'arn:aws:sns:us-east-1:111122223333:alerts',
  METRIC_MODE: 'off',
};
const FG_ENV: Record<string, string> = { IP: '203.0.113.0/24', SMN_Topic: 'cts_test', RegionName: 'eu-de' };
const PINO_LEVELS = 'fatal, error, warn, info, debug, trace, silent';

function expected(fn: FunctionName, ...more: string[]): string {
  const problems = [`LOG_LEVEL="verbose" is not one of ${PINO_LEVELS}`, ...more];
  return `${fn}: ${problems.length} configuration problem(s):\n- ${problems.join('\n- ')}`;
}

describe('LOG_LEVEL in the cold-start check (sources)', () => {
  it.each(FUNCTION_NAMES)('%s: verbose is a configuration problem, listed with the others', (fn) => {
    const detector = DETECTORS[fn];
    if (!detector) throw new Error(fn);
    const error = thrown(() => loadFunctionConfig(detector, { ...AWS_ENV, LOG_LEVEL: 'verbose' }, 'aws'));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(expected(fn));
    const both = thrown(() =>
      loadFunctionConfig(detector, { ...AWS_ENV, LOG_LEVEL: 'verbose', MAX_DECOMPRESSED_MB: '0' }, 'aws'),
    );
    expect((both as ConfigError).problems).toHaveLength(2);
  });

  it.each([
    ['DEBUG', 'debug'],
    [' warn ', 'warn'],
    ['silent', 'silent'],
  ])('accepts %j as %s', (given, level) => {
    const detector = DETECTORS['login-whitelist'];
    if (!detector) throw new Error('login-whitelist');
    expect(loadFunctionConfig(detector, { ...AWS_ENV, LOG_LEVEL: given }, 'aws').logLevel).toBe(level);
  });

  it('the Lambda handler refuses to start with it', () => {
    const detector = DETECTORS['login-whitelist'];
    if (!detector) throw new Error('login-whitelist');
    expect((thrown(() => createLambdaHandler(detector, { ...AWS_ENV, LOG_LEVEL: 'verbose' })) as Error).message).toBe(
      expected('login-whitelist'),
    );
  });

  it('the FunctionGraph initializer and handler fail with it', async () => {
    const detector = DETECTORS['login-whitelist'];
    if (!detector) throw new Error('login-whitelist');
    const { handler, initializer } = createFunctionGraphHandler(detector, { ...FG_ENV, LOG_LEVEL: 'verbose' });
    const errors: (Error | null)[] = [];
    initializer({}, (error) => errors.push(error));
    expect(errors[0]?.message).toBe(expected('login-whitelist'));
    await expect(handler({}, {})).rejects.toThrow(expected('login-whitelist'));
  });

  it('the logger itself refuses an unknown level with a ConfigError, not pino’s message', () => {
    expect(thrown(() => createLogger({ level: 'verbose' }))).toBeInstanceOf(ConfigError);
  });
});

describe('LOG_LEVEL in the built bundles', () => {
  beforeAll(() => {
    const build = buildBundles();
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  }, 120_000);

  /** Runs a script in a fresh Node process (a cold start) and returns what it printed as JSON. */
  function inChild(script: string, env: Record<string, string>, type: 'module' | 'commonjs'): Record<string, unknown> {
    const result = spawnSync(process.execPath, [`--input-type=${type}`, '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      timeout: 60_000,
    });
    const last = result.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as Record<string, unknown>;
    } catch {
      throw new Error(`no result from the child:\n${result.stdout}\n${result.stderr}`);
    }
  }

  const lambdaScript = (fn: string) => `
    try {
      const { handler } = await import('./dist/aws/${fn}.js');
      const result = await handler({ source: 'aws.config', 'detail-type': 'Scheduled Event', detail: {} }, { awsRequestId: 'r-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:${fn}' });
      console.log(JSON.stringify({ started: true, result }));
    } catch (error) {
      console.log(JSON.stringify({ started: false, name: error.name, message: error.message }));
    }`;

  const functionGraphScript = (fn: string) => `
    const { handler, initializer } = require('./dist/functiongraph/${fn}/index.js');
    initializer({}, async (error) => {
      let invoked;
      try {
        invoked = { result: await handler({ traces: [] }, {}) };
      } catch (e) {
        invoked = { name: e.name, message: e.message };
      }
      console.log(JSON.stringify({ initializer: error ? { name: error.name, message: error.message } : null, invoked }));
    });`;

  it.each(FUNCTION_NAMES)('dist/aws/%s.js: LOG_LEVEL=verbose fails the cold start with the listed problem', (fn) => {
    expect(inChild(lambdaScript(fn), { ...AWS_ENV, LOG_LEVEL: 'verbose' }, 'module')).toEqual({
      started: false,
      name: 'ConfigError',
      message: expected(fn),
    });
  });

  it.each(FUNCTION_NAMES)('dist/aws/%s.js: LOG_LEVEL=WARN starts and answers an invocation', (fn) => {
    expect(inChild(lambdaScript(fn), { ...AWS_ENV, LOG_LEVEL: 'WARN' }, 'module')).toMatchObject({ started: true });
  });

  it.each(FUNCTION_NAMES)('dist/functiongraph/%s: LOG_LEVEL=verbose fails initializer and handler alike', (fn) => {
    const outcome = inChild(functionGraphScript(fn), { ...FG_ENV, LOG_LEVEL: 'verbose' }, 'commonjs');
    expect(outcome).toEqual({
      initializer: { name: 'ConfigError', message: expected(fn) },
      invoked: { name: 'ConfigError', message: expected(fn) },
    });
  });

  it.each(FUNCTION_NAMES)('dist/functiongraph/%s: LOG_LEVEL=debug starts', (fn) => {
    const outcome = inChild(functionGraphScript(fn), { ...FG_ENV, LOG_LEVEL: 'debug' }, 'commonjs');
    expect(outcome).toMatchObject({ initializer: null, invoked: { result: expect.any(Object) } });
  });
});
