/**
 * The shipped bundles keep class and function names (esbuild keepNames): operators query `err.type`
 * (README, Failure semantics), and a minified bundle used to log `"type":"U"` (Lambda) or `"Je"` (CLI).
 * Each BUILT bundle (Lambda <fn>.js, FunctionGraph index.js, the CLI) publishes to a loopback endpoint that
 * refuses every publish, in a child process; its log lines must name the real class.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { EVENTS_DIR, fixture } from './support/fixtures';
import { type LoopbackServer, listenOnLoopback } from './support/loopback-server';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:security-alerts';
const PROJECT = '0123456789abcdef0123456789abcdef';
/** Every class the project defines as an error: a log line's err.type must be one of them (or a built-in). */
const ERROR_CLASSES = [...readFileSync(join(ROOT, 'shared', 'errors.ts'), 'utf8').matchAll(/export class (\w+)/g)].map(
  (match) => match[1],
);

let server: LoopbackServer;
let requests = 0;

/** Refuses every publish as SNS (XML) or SMN (JSON) does for a caller without permission: not retryable. */
async function refuse(req: IncomingMessage, res: ServerResponse): Promise<void> {
  for await (const _ of req);
  requests++;
  if (String(req.url).includes('/notifications/topics/'))
    res
      .writeHead(403, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error_code: 'SMN.0011', error_msg: 'no permission to publish' }));
  else
    res
      .writeHead(403, { 'content-type': 'text/xml' })
      .end(
        '<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>not authorized to publish</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
      );
}

beforeAll(async () => {
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  server = await listenOnLoopback(refuse, new Set());
}, 120_000);
afterAll(() => server?.close());

/** Runs node with these arguments; stdout and stderr. Asynchronous: the loopback server must answer meanwhile. */
function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Loads the bundle (ESM or CJS), invokes handler(event, context) once; prints what it threw. */
const INVOKE = `
const { pathToFileURL } = require('node:url');
const [bundle, eventFile, contextJson] = process.argv.slice(1);
(async () => {
  const { handler } = await import(pathToFileURL(bundle).href);
  const data = JSON.parse(contextJson);
  const context = {
    ...data,
    getRequestID: () => 'req-1',
    getUserData: (key) => data.userData[key],
    getProjectID: () => data.projectId,
    getToken: () => 'agency-token-0000',
  };
  try {
    await handler(JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8')), context);
    console.log('THROWN none');
  } catch (error) {
    console.log('THROWN ' + JSON.stringify({ name: error.name, constructor: error.constructor.name }));
  }
})();
`;

interface LogLine {
  msg?: string;
  err?: { type?: string; name?: string; stack?: string };
}

function logLines(text: string): LogLine[] {
  return text.split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line);
      return parsed && typeof parsed === 'object' ? [parsed as LogLine] : [];
    } catch {
      return [];
    }
  });
}

function expectRealNames(lines: LogLine[]): void {
  const failed = lines.find((line) => line.msg === 'alert publish failed');
  expect(failed?.err).toMatchObject({ type: 'SinkError', name: 'SinkError' });
  expect(failed?.err?.stack).toMatch(/^SinkError: /);
  // No log line names a minified class.
  for (const line of lines.filter((l) => l.err))
    expect({ msg: line.msg, type: line.err?.type }).toEqual({
      msg: line.msg,
      type: expect.stringMatching(new RegExp(`^(${[...ERROR_CLASSES, '\\w*Error'].join('|')})$`)),
    });
}

describe('a failed publish logs the real class name', () => {
  it('the Lambda bundle dist/aws/login-whitelist.js (SNS)', async () => {
    const before = requests;
    const result = await run(
      [
        '-e',
        INVOKE,
        join(ROOT, 'dist', 'aws', 'login-whitelist.js'),
        join(EVENTS_DIR, 'aws', 'envelope-eventbridge-console-signin.json'),
        JSON.stringify({ awsRequestId: 'r-1', userData: {} }),
      ],
      {
        IP_WHITELIST: '10.99.0.0/16',
        ALERT_TOPIC: TOPIC_ARN,
        SINK_ENDPOINT: server.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    );
    expect(requests).toBeGreaterThan(before);
    expect(result.stdout).toContain('THROWN {"name":"SinkError","constructor":"SinkError"}');
    const lines = logLines(result.stderr);
    expectRealNames(lines);
    expect(lines.find((line) => line.msg === 'invocation failed')?.err?.type).toBe('SinkError');
  });

  it('the FunctionGraph bundle dist/functiongraph/login-whitelist/index.js (SMN)', async () => {
    const before = requests;
    const result = await run(
      [
        '-e',
        INVOKE,
        join(ROOT, 'dist', 'functiongraph', 'login-whitelist', 'index.js'),
        join(EVENTS_DIR, 'huaweicloud', 'envelope-functiongraph-cts-trigger-login.json'),
        JSON.stringify({
          projectId: PROJECT,
          userData: {
            IP_WHITELIST: '203.0.113.0/24',
            SMN_TOPIC_URN: `urn:smn:eu-de:${PROJECT}:cts_test`,
            SINK_ENDPOINT: server.url,
          },
        }),
      ],
      {},
    );
    expect(requests).toBeGreaterThan(before);
    expect(result.stdout).toContain('THROWN {"name":"SinkError","constructor":"SinkError"}');
    expectRealNames(logLines(result.stderr));
  });

  it('the CLI bundle dist/cli/trailguard.js (replay --sink sns)', async () => {
    expect(fixture('aws/envelope-eventbridge-console-signin.json')).toBeTruthy();
    const before = requests;
    const result = await run(
      [
        join(ROOT, 'bin', 'trailguard.js'),
        'replay',
        'login-whitelist',
        join(EVENTS_DIR, 'aws', 'envelope-eventbridge-console-signin.json'),
        '--sink',
        'sns',
        '--topic',
        TOPIC_ARN,
        '--endpoint',
        server.url,
      ],
      {
        IP_WHITELIST: '10.99.0.0/16',
        // The CLI prints one human line per failed delivery; the structured lines come with LOG_LEVEL.
        LOG_LEVEL: 'warn',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    );
    expect(requests).toBeGreaterThan(before);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SinkError');
    expect(result.stderr).not.toMatch(/"type":"\w{1,3}"/);
  });
});
