/**
 * serverless.yml, packaged for real by the osls CLI without AWS credentials or network, and the
 * CloudFormation it generates checked as deployed: functions, EventBridge patterns (run against the
 * samples in events/), alert topic, alarm, failure path and least-privilege IAM.
 *
 * Packaging happens in a temporary folder holding serverless.yml and the dist/aws zips, with dummy
 * credentials and a preload that records and refuses every outbound connection and DNS lookup.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Detector } from '../shared/detect/detector';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { DETECTORS } from '../functions/registry';
import { fixture } from './support/fixtures';
import { thrown } from './support/thrown';
import { readZip } from './support/unzip';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const FUNCTIONS = ['login-whitelist', 'unauthorized-api', 'config-compliance', 'trail-integrity'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const STAGE = 'test';
const REGION = 'us-east-1';
const OSLS = join(dirname(require.resolve('osls/package.json')), 'bin', 'serverless.js');
const PLUGIN = 'scripts/serverless-check-config.cjs';

const TRAIL_TOPIC = 'arn:aws:sns:us-east-1:111122223333:cloudtrail-delivery';
const EXISTING_TOPIC = 'arn:aws:sns:us-east-1:111122223333:security-alerts';
const ONCALL_TOPIC = 'arn:aws:sns:us-east-1:111122223333:oncall';
const ROUTES = JSON.stringify([{ match: { severity: 'critical' }, topics: [ONCALL_TOPIC] }]);
const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

type Json = Record<string, any>;
interface Template {
  Resources: Record<string, { Type: string; Condition?: string; Properties: Json; DependsOn?: string | string[] }>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, Json>;
}

/** Refuses and records every connection and lookup, so "offline" is checked, not assumed. */
const OFFLINE_PRELOAD = `
const fs = require('node:fs'), net = require('node:net'), dns = require('node:dns');
const record = (what) => { fs.appendFileSync(process.env.TRAILGUARD_NETWORK_LOG, what + '\\n'); return new Error('network disabled: ' + what); };
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const target = typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]) ? args[0] : { port: args[0], host: args[1] };
  if (target.path) return connect.apply(this, args); // local IPC sockets
  throw record('connect ' + JSON.stringify({ host: target.host, port: target.port }));
};
dns.lookup = (host, ...rest) => { const cb = rest[rest.length - 1]; process.nextTick(cb, record('dns.lookup ' + host)); };
dns.promises.lookup = async (host) => { throw record('dns.promises.lookup ' + host); };
`;

interface Packaged {
  template: Template;
  networkAttempts: string[];
  seconds: number;
}

function missingEntryPoints(): string[] {
  return FUNCTIONS.flatMap((fn) => ['aws.ts', 'functiongraph.ts'].map((file) => `functions/${fn}/${file}`)).filter(
    (path) => !existsSync(join(ROOT, path)),
  );
}

function offlineEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Nothing from the developer's AWS setup leaks in: no profile, no real keys, no SSO cache.
  for (const [name, value] of Object.entries(process.env))
    if (!/^(AWS_|SLS_|SERVERLESS_)/.test(name)) env[name] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    HOME: dir,
    NODE_OPTIONS: `--require ${join(dir, 'offline.js')}`,
    TRAILGUARD_NETWORK_LOG: join(dir, 'network.log'),
    FORCE_COLOR: '0',
  };
}

/**
 * A fresh folder as a clone has it after `npm ci` (which builds dist/): serverless.yml, the
 * config-check plugin it loads and dist/aws (the zips and the bundles the plugin cold-starts).
 */
function serviceFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trailguard-osls-'));
  copyFileSync(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, PLUGIN), join(dir, PLUGIN));
  cpSync(join(ROOT, 'dist', 'aws'), join(dir, 'dist', 'aws'), {
    recursive: true,
    filter: (path) => !path.endsWith('.tmp'),
  });
  writeFileSync(join(dir, 'offline.js'), OFFLINE_PRELOAD);
  return dir;
}

interface Run {
  code: number | null;
  output: string;
  template?: Template;
  networkAttempts: string[];
  seconds: number;
}

/** `osls package --stage test --region us-east-1 --param=…` in a fresh folder. */
function runPackage(params: Record<string, string>): Promise<Run> {
  const dir = serviceFolder();
  const args = [
    OSLS,
    'package',
    '--stage',
    STAGE,
    '--region',
    REGION,
    ...Object.entries(params).map(([key, value]) => `--param=${key}=${value}`),
  ];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: dir, env: offlineEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const templateFile = join(dir, '.serverless', 'cloudformation-template-update-stack.json');
        const template =
          code === 0 && existsSync(templateFile)
            ? (JSON.parse(readFileSync(templateFile, 'utf8')) as Template)
            : undefined;
        const log = join(dir, 'network.log');
        const networkAttempts = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
        resolve({ code, output, template, networkAttempts, seconds: (Date.now() - started) / 1000 });
      } catch (error) {
        reject(error);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** Packages and resolves to the update-stack template; packaging must succeed. */
async function packageService(params: Record<string, string>): Promise<Packaged> {
  const run = await runPackage(params);
  if (run.code !== 0 || !run.template) throw new Error(`osls package exited with ${run.code}:\n${run.output}`);
  return { template: run.template, networkAttempts: run.networkAttempts, seconds: run.seconds };
}

// --- reading the template -------------------------------------------------------------------------

/** Evaluates a condition of the template (Fn::Equals/Not/And/Or and Condition references). */
function conditionHolds(template: Template, name: string): boolean {
  const evaluate = (node: any): boolean => {
    if (node['Fn::Equals']) {
      const [a, b] = node['Fn::Equals'];
      if (typeof a !== 'string' && typeof a !== 'number')
        throw new Error(`condition ${name}: cannot evaluate ${JSON.stringify(a)}`);
      return String(a) === String(b);
    }
    if (node['Fn::Not']) return !evaluate(node['Fn::Not'][0]);
    if (node['Fn::And']) return node['Fn::And'].every(evaluate);
    if (node['Fn::Or']) return node['Fn::Or'].some(evaluate);
    if (typeof node.Condition === 'string') return conditionHolds(template, node.Condition);
    throw new Error(`condition ${name}: cannot evaluate ${JSON.stringify(node)}`);
  };
  const definition = template.Conditions?.[name];
  if (definition === undefined) throw new Error(`no condition ${name}`);
  return evaluate(definition);
}

const NO_VALUE = Symbol('AWS::NoValue');

/** The value as CloudFormation would deploy it: Fn::If chosen, AWS::NoValue dropped; other functions kept. */
function resolve(template: Template, value: unknown): any {
  if (Array.isArray(value)) return value.map((item) => resolve(template, item)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const node = value as Json;
  if (node.Ref === 'AWS::NoValue') return NO_VALUE;
  if (Array.isArray(node['Fn::If'])) {
    const [condition, whenTrue, whenFalse] = node['Fn::If'];
    return resolve(template, conditionHolds(template, condition) ? whenTrue : whenFalse);
  }
  const out: Json = {};
  for (const [key, item] of Object.entries(node)) {
    const resolved = resolve(template, item);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/** Resources CloudFormation would create with these parameters, their properties resolved. */
function deployed(template: Template): Template['Resources'] {
  const out: Template['Resources'] = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition && !conditionHolds(template, resource.Condition)) continue;
    out[id] = { ...resource, Properties: resolve(template, resource.Properties ?? {}) };
  }
  return out;
}

function ofType(resources: Template['Resources'], type: string): Array<[string, Json]> {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties]);
}

function lambdaOf(resources: Template['Resources'], fn: FunctionName): [string, Json] {
  const found = ofType(resources, 'AWS::Lambda::Function').find(
    ([, props]) => props.FunctionName === `trailguard-${STAGE}-${fn}`,
  );
  if (!found) throw new Error(`no Lambda function for ${fn}`);
  return found;
}

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

function ruleFor(resources: Template['Resources'], fn: FunctionName): [string, Json] {
  const [lambdaId] = lambdaOf(resources, fn);
  // With eventBatching the rule delivers to the queue the function reads from.
  const targets = [
    getAtt(lambdaId),
    ...ofType(resources, 'AWS::Lambda::EventSourceMapping')
      .filter(([, props]) => JSON.stringify(props.FunctionName) === JSON.stringify(getAtt(lambdaId)))
      .map(([, props]) => props.EventSourceArn),
  ].map((arn) => JSON.stringify(arn));
  // The flush schedules (no EventPattern) target every function too; this is the function's event rule.
  const rules = ofType(resources, 'AWS::Events::Rule').filter(
    ([, props]) =>
      props.EventPattern !== undefined &&
      props.Targets.some((target: Json) => targets.includes(JSON.stringify(target.Arn))),
  );
  if (rules.length !== 1) throw new Error(`expected one EventBridge rule for ${fn}, found ${rules.length}`);
  return rules[0];
}

/** The every-minute schedule that sends the function its flush invocations. */
function flushScheduleFor(resources: Template['Resources'], fn: FunctionName): [string, Json] {
  const [lambdaId] = lambdaOf(resources, fn);
  const rules = ofType(resources, 'AWS::Events::Rule').filter(
    ([, props]) =>
      props.ScheduleExpression !== undefined &&
      props.Targets.some((target: Json) => JSON.stringify(target.Arn) === JSON.stringify(getAtt(lambdaId))),
  );
  if (rules.length !== 1) throw new Error(`expected one flush schedule for ${fn}, found ${rules.length}`);
  return rules[0];
}

function roleOf(resources: Template['Resources'], fn: FunctionName): Json {
  const [, lambda] = lambdaOf(resources, fn);
  const roleId = lambda.Role?.['Fn::GetAtt']?.[0];
  const role = resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${fn} has no role of its own in the template`);
  return role.Properties;
}

function roleStatements(role: Json): Json[] {
  return role.Policies.flatMap((policy: Json) => [policy.PolicyDocument.Statement].flat());
}

function statementWith(role: Json, action: string): Json | undefined {
  return roleStatements(role).find((statement) => [statement.Action].flat().includes(action));
}

/**
 * Every policy statement the template can produce, both branches of every Fn::If, from roles,
 * managed and inline policies, and resource policies.
 */
function everyStatement(template: Template): Array<{ where: string; statement: Json }> {
  const out: Array<{ where: string; statement: Json }> = [];
  const expand = (value: any): any[] => {
    if (value?.Ref === 'AWS::NoValue') return [];
    if (Array.isArray(value?.['Fn::If'])) return [...expand(value['Fn::If'][1]), ...expand(value['Fn::If'][2])];
    return [value];
  };
  const walk = (value: any, where: string): void => {
    if (Array.isArray(value)) return value.forEach((item, i) => walk(item, `${where}[${i}]`));
    if (value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if ((key === 'PolicyDocument' || key === 'AssumeRolePolicyDocument') && item && typeof item === 'object') {
        for (const statement of [(item as Json).Statement].flat().flatMap(expand))
          out.push({ where: `${where}.${key}`, statement });
      } else walk(item, `${where}.${key}`);
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) walk(resource.Properties, id);
  return out;
}

// --- a small EventBridge pattern matcher, to run the samples in events/ through the rules -----------

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (matcher !== null && typeof matcher === 'object') {
    const m = matcher as Json;
    if (typeof value !== 'string') return false;
    if ('prefix' in m) return value.startsWith(m.prefix);
    if ('suffix' in m) return value.endsWith(m.suffix);
    if ('wildcard' in m)
      return new RegExp(
        `^${String(m.wildcard)
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(value);
    throw new Error(`matcher not supported here: ${JSON.stringify(m)}`);
  }
  return matcher === value;
}

function matchesPattern(pattern: Json, event: Json): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const value = event?.[key];
    if (Array.isArray(expected))
      return (
        value !== undefined && [value].flat().some((item) => expected.some((matcher) => matchesValue(matcher, item)))
      );
    return value !== null && typeof value === 'object' && matchesPattern(expected, value);
  });
}

/** A CloudTrail record as EventBridge would deliver it. */
function asApiCallEvent(record: Json): Json {
  return {
    version: '0',
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${String(record.eventSource).split('.')[0]}`,
    detail: record,
  };
}

// --------------------------------------------------------------------------------------------------

let defaults: Packaged;
let everything: Packaged;
let s3Path: Packaged;
let backfill: Packaged;
let digests: Packaged;

beforeAll(async () => {
  const missing = missingEntryPoints();
  if (missing.length)
    throw new Error(
      `serverless.yml deploys three functions; these entry points do not exist yet: ${missing.join(', ')}`,
    );
  const build = buildBundles();
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);

  [defaults, everything, s3Path, backfill, digests] = await Promise.all([
    packageService({ ipWhitelist: '203.0.113.0/24 2001:db8:1::/48' }),
    packageService({
      ipWhitelist: '203.0.113.0/24',
      alertTopicArn: EXISTING_TOPIC,
      alertEmail: 'secops@example.com',
      logFileSource: 'sns',
      trailTopicArn: TRAIL_TOPIC,
      trailBucket: 'org-trail-logs',
      trailKeyPrefix: 'audit/AWSLogs/',
      trailKmsKeyArn: KMS_KEY,
      trailLogGroup: 'aws-cloudtrail-logs-111122223333',
      metricMode: 'emf',
      alarmThreshold: '5',
      alarmPeriod: '60',
      notifyOn: 'NON_COMPLIANT,COMPLIANT',
      stateStore: 'redis://cache.internal:6379',
      eventBatching: 'true',
      alertFormat: 'structured',
      routes: ROUTES,
      routeTopicArns: ONCALL_TOPIC,
      accountNamesFromOrganizations: 'true',
      accountNames: '{"111122223333":"prod-payments"}',
    }),
    packageService({ ipWhitelist: '203.0.113.0/24', logFileSource: 's3', trailBucket: 'org-trail-logs' }),
    packageService({
      ipWhitelist: '203.0.113.0/24',
      trailBucket: 'org-trail-logs',
      trailKmsKeyArn: KMS_KEY,
      batchOperations: 'true',
      batchBucket: 'backfill-manifests',
    }),
    packageService({
      ipWhitelist: '203.0.113.0/24',
      logFileSource: 'sns',
      trailTopicArn: TRAIL_TOPIC,
      trailBucket: 'org-trail-logs',
      trailKmsKeyArn: KMS_KEY,
      digestNotifications: 's3',
      trailAccountId: '111122223333',
    }),
  ]);
}, 240_000);

describe('osls package', () => {
  it('runs with dummy credentials and never touches the network', () => {
    for (const run of [defaults, everything, s3Path]) expect(run.networkAttempts).toEqual([]);
  });

  it('refuses to package without an IP whitelist instead of deploying one that allows nothing or everything', () => {
    const dir = serviceFolder();
    try {
      const result = spawnSync(process.execPath, [OSLS, 'package', '--stage', STAGE, '--region', REGION], {
        cwd: dir,
        env: offlineEnv(dir),
        encoding: 'utf8',
      });
      expect(result.status).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(/IP_WHITELIST[\s\S]*param/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Runs `jobs` with at most `limit` at a time (each is an osls process). */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

/** What the function's cold start (createLambdaHandler, from the sources) throws with this environment. */
function coldStartMessage(fn: FunctionName, variables: Record<string, string>): string {
  const error = thrown(() =>
    createLambdaHandler(DETECTORS[fn] as Detector<unknown>, {
      AWS_REGION: REGION,
      ALERT_TOPIC: `arn:aws:sns:${REGION}:000000000000:trailguard-${STAGE}-alerts`,
      IP_WHITELIST: WHITELIST,
      ...variables,
    }),
  );
  return (error as Error).message;
}

const WHITELIST = '203.0.113.0/24';

describe('a bad deploy parameter fails packaging, before anything reaches the cloud', () => {
  // Parameters the functions read: the message is the cold start's own, for every function it breaks.
  const functionCases: Array<{
    params: Record<string, string>;
    variables: Record<string, string>;
    fns: FunctionName[];
  }> = [
    {
      params: { ipWhitelist: '10.0.0.1/24, foo' },
      variables: { IP_WHITELIST: '10.0.0.1/24, foo' },
      fns: ['login-whitelist'],
    },
    { params: { logLevel: 'verbose' }, variables: { LOG_LEVEL: 'verbose' }, fns: [...FUNCTIONS] },
    { params: { ruleSets: 'cis,nope' }, variables: { RULE_SETS: 'cis,nope' }, fns: ['unauthorized-api'] },
    {
      params: { customRules: '[{"name":"no-pattern"}]' },
      variables: { CUSTOM_RULES: '[{"name":"no-pattern"}]' },
      fns: ['unauthorized-api'],
    },
    {
      params: { filterPattern: '{ $.errorCode = ' },
      variables: { FILTER_PATTERN: '{ $.errorCode = ' },
      fns: ['unauthorized-api'],
    },
  ];
  // Parameters only the template uses: the plugin's own check, with a clear message.
  const templateCases: Array<{ params: Record<string, string>; message: RegExp }> = [
    { params: { logFileSource: 'S3' }, message: /logFileSource="S3" is not one of none, s3, sns/ },
    { params: { logFileSource: 's3' }, message: /logFileSource=s3 .*set trailBucket/ },
    {
      params: { logFileSource: 'sns', trailBucket: 'org-trail-logs' },
      message: /logFileSource=sns needs trailTopicArn/,
    },
    { params: { batchOperations: 'true' }, message: /batchOperations=true .*set trailBucket/ },
    {
      params: { digestNotifications: 's3', trailBucket: 'org-trail-logs' },
      message: /digestNotifications=s3 needs trailAccountId/,
    },
  ];
  let runs: Run[];

  beforeAll(async () => {
    runs = await pool(
      [...functionCases, ...templateCases].map(
        ({ params }) =>
          () =>
            runPackage({ ipWhitelist: WHITELIST, ...params }),
      ),
      3,
    );
  }, 300_000);

  it.each(functionCases.map((c, i) => [Object.keys(c.params)[0], Object.values(c.params)[0], i] as const))(
    '%s=%s: fails with the message the function gives at cold start',
    (_name, _value, i) => {
      const { variables, fns } = functionCases[i];
      const run = runs[i];
      expect(run.code).not.toBe(0);
      expect(run.template).toBeUndefined();
      expect(run.networkAttempts).toEqual([]);
      for (const fn of fns) expect(run.output).toContain(coldStartMessage(fn, variables));
      // Functions the parameter does not break are not reported.
      for (const fn of FUNCTIONS.filter((other) => !fns.includes(other)))
        expect(run.output).not.toMatch(new RegExp(`^${fn}:`, 'm'));
    },
  );

  it.each(templateCases.map((c, i) => [JSON.stringify(c.params), i] as const))(
    '%s: fails with a clear message',
    (_params, i) => {
      const run = runs[functionCases.length + i];
      expect(run.code).not.toBe(0);
      expect(run.template).toBeUndefined();
      expect(run.networkAttempts).toEqual([]);
      expect(run.output).toMatch(templateCases[i].message);
      expect(run.output).not.toMatch(/Value not found/);
    },
  );

  it('the template-only checks, table-driven', () => {
    const { parameterProblems } = require(join(ROOT, PLUGIN)) as {
      parameterProblems: (params: Record<string, string>) => string[];
    };
    const base = {
      logFileSource: 'none',
      trailBucket: '',
      trailKeyPrefix: 'AWSLogs/',
      trailTopicArn: '',
      batchOperations: 'false',
      batchBucket: '',
    };
    const cases: Array<[Record<string, string>, RegExp | null]> = [
      [{}, null],
      [{ logFileSource: 's3', trailBucket: 'org-trail-logs' }, null],
      [{ logFileSource: 'sns', trailBucket: 'org-trail-logs', trailTopicArn: TRAIL_TOPIC }, null],
      [{ alertTopicArn: EXISTING_TOPIC, trailKmsKeyArn: KMS_KEY }, null],
      [{ logFileSource: 'S3' }, /not one of none, s3, sns/],
      [{ logFileSource: '' }, /logFileSource="" is not one of/],
      [{ logFileSource: 'sns', trailTopicArn: TRAIL_TOPIC }, /set trailBucket/],
      [{ logFileSource: 's3', trailBucket: 's3://org-trail-logs' }, /not an S3 bucket name/],
      [{ logFileSource: 's3', trailBucket: 'arn:aws:s3:::org-trail-logs' }, /not an S3 bucket name/],
      [{ logFileSource: 's3', trailBucket: 'b', trailKeyPrefix: '/AWSLogs/' }, /not an S3 bucket name|must not start/],
      [{ trailKeyPrefix: '/AWSLogs/' }, /must not start with "\/"/],
      [{ alertTopicArn: 'security-alerts' }, /alertTopicArn="security-alerts" is not an SNS topic ARN/],
      [
        { logFileSource: 'sns', trailBucket: 'b-logs', trailTopicArn: 'arn:aws:sqs:us-east-1:111122223333:q' },
        /trailTopicArn=.* is not an SNS topic ARN/,
      ],
      [{ trailKmsKeyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' }, /not a KMS key ARN/],
      [{ batchOperations: 'true', trailBucket: 'org-trail-logs' }, null],
      [{ batchOperations: 'true', trailBucket: 'org-trail-logs', batchBucket: 'org-batch-reports' }, null],
      [{ batchOperations: 'true' }, /batchOperations=true .*set trailBucket/],
      [{ batchOperations: 'yes', trailBucket: 'org-trail-logs' }, /batchOperations="yes" is not "true" or "false"/],
      [
        { batchOperations: 'true', trailBucket: 'b-logs', batchBucket: 's3://reports' },
        /batchBucket=.* is not an S3 bucket name/,
      ],
      [
        {
          logFileSource: 'sns',
          trailBucket: 'org-trail-logs',
          trailTopicArn: TRAIL_TOPIC,
          digestNotifications: 's3',
          trailAccountId: '111122223333',
        },
        null,
      ],
      [{ digestNotifications: 'none' }, null],
      [
        { digestNotifications: 'S3', trailBucket: 'b-logs', trailAccountId: '111122223333' },
        /"S3" is not "none" or "s3"/,
      ],
      [{ digestNotifications: 's3', trailAccountId: '111122223333' }, /digestNotifications=s3 .*set trailBucket/],
      [{ digestNotifications: 's3', trailBucket: 'org-trail-logs' }, /digestNotifications=s3 needs trailAccountId/],
      [
        { digestNotifications: 's3', trailBucket: 'org-trail-logs', trailAccountId: '1111-2222-3333' },
        /trailAccountId="1111-2222-3333" is not a 12-digit AWS account id/,
      ],
      [
        {
          logFileSource: 's3',
          trailBucket: 'org-trail-logs',
          digestNotifications: 's3',
          trailAccountId: '111122223333',
        },
        /cannot be combined with logFileSource=s3/,
      ],
    ];
    for (const [params, expected] of cases) {
      const problems = parameterProblems({ ...base, ...params });
      if (expected === null) expect({ params, problems }).toEqual({ params, problems: [] });
      else
        expect({ params, problems: problems.join('\n') }).toEqual({
          params,
          problems: expect.stringMatching(expected),
        });
    }
  });
});

describe('the functions', () => {
  it.each(FUNCTIONS)(
    '%s runs the prebuilt zip on nodejs22.x / arm64 with handler <fn>.handler and source maps',
    (fn) => {
      const resources = deployed(defaults.template);
      const [, lambda] = lambdaOf(resources, fn);
      expect(lambda).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: `${fn}.handler` });
      expect(lambda.Code.S3Key).toMatch(new RegExp(`/${fn}\\.zip$`));
      expect(lambda.MemorySize).toBeLessThanOrEqual(512);
      expect(lambda.Timeout).toBeLessThanOrEqual(60);
      expect(lambda.Environment.Variables.NODE_OPTIONS).toContain('--enable-source-maps');
      expect(lambda.Environment.Variables.ALERT_TOPIC).toEqual({ Ref: 'AlertTopic' });
      const logGroup = ofType(resources, 'AWS::Logs::LogGroup').find(
        ([, props]) => props.LogGroupName === `/aws/lambda/trailguard-${STAGE}-${fn}`,
      );
      expect(logGroup?.[1].RetentionInDays).toBe(30);
    },
  );

  it.each(FUNCTIONS)('the zip of %s holds <fn>.js at the root, every chunk it loads, and their maps', (fn) => {
    const entries = readZip(readFileSync(join(ROOT, 'dist', 'aws', `${fn}.zip`)));
    const names = entries.map((entry) => entry.name);
    expect(names).toContain(`${fn}.js`);
    // Beside the code: the geo databases and their notice (docs/enrichment.md).
    expect(names.filter((name) => !name.startsWith('chunks/')).sort()).toEqual(
      ['geo/NOTICE.md', 'geo/asn.mmdb', 'geo/country.mmdb', `${fn}.js`, `${fn}.js.map`].sort(),
    );
    expect(entries.every((entry) => (entry.mode & 0o444) === 0o444)).toBe(true);
    const code = new Map(entries.map((entry) => [entry.name, entry.data.toString('utf8')]));
    expect(code.get(`${fn}.js`)?.trimEnd()).toMatch(new RegExp(`//# sourceMappingURL=${fn}\\.js\\.map$`));
    // Every module a file imports (statically or on first use) is in the zip, with its map.
    const imported = new Set<string>();
    for (const [name, text] of code) {
      if (!name.endsWith('.js') && !name.endsWith('.mjs')) continue;
      expect(names).toContain(`${name}.map`);
      for (const [, target] of text.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+\.mjs)"/g)) {
        const path = join(dirname(name), target).replace(/\\/g, '/');
        expect(names).toContain(path);
        imported.add(path);
      }
    }
    // The SDK clients are among them, loaded on first use: the entry imports them, never bundles them.
    expect([...imported]).toEqual(expect.arrayContaining(['chunks/aws-sdk-client-sns.mjs']));
  });

  it('passes the parameters on as environment variables', () => {
    const resources = deployed(everything.template);
    expect(lambdaOf(resources, 'login-whitelist')[1].Environment.Variables).toMatchObject({
      IP_WHITELIST: '203.0.113.0/24',
      ALERT_TOPIC: EXISTING_TOPIC,
    });
    expect(lambdaOf(resources, 'unauthorized-api')[1].Environment.Variables).toMatchObject({
      METRIC_MODE: 'emf',
      METRIC_NAMESPACE: 'CloudTrailMetrics',
      METRIC_NAME: 'AuthorizationFailureCount',
      RULE_SETS: 'unauthorized',
    });
    expect(lambdaOf(resources, 'config-compliance')[1].Environment.Variables).toMatchObject({
      NOTIFY_ON: 'NON_COMPLIANT,COMPLIANT',
      ALERT_FORMAT: 'structured',
      ROUTES,
    });
  });

  it('may publish to the topics ROUTES names (routeTopicArns) besides the alert topic, and only to the alert topic by default', () => {
    for (const fn of ['login-whitelist', 'unauthorized-api', 'config-compliance'] as const) {
      const routed = statementWith(roleOf(deployed(everything.template), fn), 'sns:Publish');
      expect(routed?.Resource).toEqual({ 'Fn::Split': [',', { 'Fn::Join': [',', [EXISTING_TOPIC, ONCALL_TOPIC]] }] });
      const plain = statementWith(roleOf(deployed(defaults.template), fn), 'sns:Publish');
      expect(plain?.Resource).toEqual({ Ref: 'AlertTopic' });
    }
  });
});

describe('EventBridge rules filter at the rule', () => {
  it('login-whitelist gets console sign-ins in both detail-type spellings, and nothing else', () => {
    const [, rule] = ruleFor(deployed(defaults.template), 'login-whitelist');
    expect(rule.State).toBe('ENABLED');
    expect(rule.EventPattern['detail-type']).toEqual(
      expect.arrayContaining(['AWS Console Sign In via CloudTrail', 'AWS Console Signin via CloudTrail']),
    );
    expect(rule.EventPattern.source).toEqual(['aws.signin']);
    expect(matchesPattern(rule.EventPattern, fixture('aws/envelope-eventbridge-console-signin.json') as Json)).toBe(
      true,
    );
    expect(
      matchesPattern(rule.EventPattern, fixture('aws/envelope-eventbridge-console-signin-alt-spelling.json') as Json),
    ).toBe(true);
    expect(
      matchesPattern(rule.EventPattern, fixture('aws/envelope-eventbridge-api-call-access-denied.json') as Json),
    ).toBe(false);
  });

  it('unauthorized-api gets API calls whose errorCode matches *UnauthorizedOperation or AccessDenied*, read-only calls included', () => {
    const [, rule] = ruleFor(deployed(defaults.template), 'unauthorized-api');
    expect(rule.EventPattern['detail-type']).toEqual(['AWS API Call via CloudTrail']);
    expect(rule.EventPattern.detail.errorCode).toEqual(
      expect.arrayContaining([{ wildcard: '*UnauthorizedOperation' }, { prefix: 'AccessDenied' }]),
    );
    // Read-only management events (a refused Describe*/List*) reach only rules in this state.
    expect(rule.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(
      matchesPattern(rule.EventPattern, fixture('aws/envelope-eventbridge-api-call-access-denied.json') as Json),
    ).toBe(true);
    expect(
      matchesPattern(
        rule.EventPattern,
        asApiCallEvent(fixture('aws/cloudtrail-ec2-unauthorized-operation.json') as Json),
      ),
    ).toBe(true);
    expect(
      matchesPattern(rule.EventPattern, asApiCallEvent(fixture('aws/cloudtrail-access-denied.json') as Json)),
    ).toBe(true);
    expect(
      matchesPattern(rule.EventPattern, asApiCallEvent(fixture('aws/cloudtrail-api-call-success.json') as Json)),
    ).toBe(false);
    expect(matchesPattern(rule.EventPattern, fixture('aws/envelope-eventbridge-console-signin.json') as Json)).toBe(
      false,
    );
  });

  it('config-compliance gets Config Rules Compliance Change events: new NON_COMPLIANT results by default, every change with another NOTIFY_ON', () => {
    const [, rule] = ruleFor(deployed(defaults.template), 'config-compliance');
    expect(rule.EventPattern).toMatchObject({
      source: ['aws.config'],
      'detail-type': ['Config Rules Compliance Change'],
    });
    expect(
      matchesPattern(rule.EventPattern, fixture('aws/envelope-config-compliance-change-eventbridge.json') as Json),
    ).toBe(true);
    expect(matchesPattern(rule.EventPattern, fixture('aws/config-compliance-change-noncompliant.json') as Json)).toBe(
      true,
    );
    expect(matchesPattern(rule.EventPattern, fixture('aws/config-compliance-change-fixed.json') as Json)).toBe(false);

    const [, everyChange] = ruleFor(deployed(everything.template), 'config-compliance');
    expect(matchesPattern(everyChange.EventPattern, fixture('aws/config-compliance-change-fixed.json') as Json)).toBe(
      true,
    );
    expect(
      matchesPattern(everyChange.EventPattern, fixture('aws/envelope-eventbridge-console-signin.json') as Json),
    ).toBe(false);
  });

  it('every rule accepts aws.* sources only, so a PutEvents from another source cannot forge an alert', () => {
    const samples = [
      'aws/envelope-eventbridge-api-call-access-denied.json',
      'aws/envelope-eventbridge-console-signin.json',
      'aws/envelope-eventbridge-console-signin-alt-spelling.json',
      'aws/envelope-config-compliance-change-eventbridge.json',
    ].map((path) => fixture(path) as Json);
    for (const run of [defaults, everything, s3Path]) {
      // Schedules (the flushes) match no events at all: only rules with an event pattern can be forged into.
      const rules = ofType(deployed(run.template), 'AWS::Events::Rule').filter(([, rule]) => !rule.ScheduleExpression);
      expect(rules.length).toBeGreaterThanOrEqual(3);
      for (const [id, rule] of rules) {
        const sources: unknown[] = rule.EventPattern.source ?? [];
        expect({ id, sources: sources.length }).not.toEqual({ id, sources: 0 });
        for (const matcher of sources)
          expect({ id, matcher, aws: typeof matcher === 'string' ? matcher.startsWith('aws.') : matcher }).toEqual({
            id,
            matcher,
            aws: typeof matcher === 'string' ? true : { prefix: 'aws.' },
          });
      }
      // Each genuine sample reaches its rule; the same event from another source reaches none.
      for (const sample of samples) {
        expect(rules.some(([, rule]) => matchesPattern(rule.EventPattern, sample))).toBe(true);
        for (const source of ['com.attacker.app', 'aws', 'awsx.ec2', 'AWS.ec2'])
          expect({
            source,
            matched: rules
              .filter(([, rule]) => matchesPattern(rule.EventPattern, { ...sample, source }))
              .map(([id]) => id),
          }).toEqual({ source, matched: [] });
      }
    }
  });

  it.each(FUNCTIONS)('EventBridge may invoke %s from its rule only', (fn) => {
    const resources = deployed(defaults.template);
    const [lambdaId] = lambdaOf(resources, fn);
    const [ruleId] = ruleFor(resources, fn);
    const permissions = ofType(resources, 'AWS::Lambda::Permission').filter(
      ([, props]) => JSON.stringify(props.FunctionName) === JSON.stringify(getAtt(lambdaId)),
    );
    const [flushId] = flushScheduleFor(resources, fn);
    expect(permissions.map(([, props]) => [props.Principal, props.SourceArn])).toEqual([
      ['events.amazonaws.com', getAtt(ruleId)],
      ['events.amazonaws.com', getAtt(flushId)],
    ]);
  });
});

describe('alerts and the alarm', () => {
  it('creates the alert topic unless an existing topic ARN is given', () => {
    expect(ofType(deployed(defaults.template), 'AWS::SNS::Topic').map(([id]) => id)).toEqual(['AlertTopic']);
    expect(ofType(deployed(everything.template), 'AWS::SNS::Topic')).toEqual([]);
  });

  it('subscribes the alert e-mail address only when one is given', () => {
    expect(ofType(deployed(defaults.template), 'AWS::SNS::Subscription')).toEqual([]);
    const email = ofType(deployed(everything.template), 'AWS::SNS::Subscription').filter(
      ([, props]) => props.Protocol === 'email',
    );
    expect(email.map(([, props]) => [props.Endpoint, props.TopicArn])).toEqual([
      ['secops@example.com', EXISTING_TOPIC],
    ]);
  });

  it('alarms on AuthorizationFailureCount: Sum >= 1 over 5 minutes, to the alert topic', () => {
    const alarm = ofType(deployed(defaults.template), 'AWS::CloudWatch::Alarm').find(
      ([, props]) => props.MetricName === 'AuthorizationFailureCount',
    )?.[1];
    expect(alarm).toMatchObject({
      Namespace: 'CloudTrailMetrics',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: 'AlertTopic' }],
    });
    // The function publishes the metric without dimensions; an alarm with dimensions would never fire.
    expect(alarm?.Dimensions).toBeUndefined();
  });

  it('takes the alarm threshold and period from parameters, and alarms to an existing topic', () => {
    const alarm = ofType(deployed(everything.template), 'AWS::CloudWatch::Alarm').find(
      ([, props]) => props.MetricName === 'AuthorizationFailureCount',
    )?.[1];
    expect(alarm).toMatchObject({ Threshold: '5', Period: '60', AlarmActions: [EXISTING_TOPIC] });
  });
});

describe('failed events', () => {
  it.each(FUNCTIONS)(
    '%s sends asynchronous invocations that failed after 2 retries to the failed-events queue',
    (fn) => {
      const resources = deployed(defaults.template);
      const [lambdaId] = lambdaOf(resources, fn);
      const config = ofType(resources, 'AWS::Lambda::EventInvokeConfig').find(
        ([, props]) => props.FunctionName?.Ref === lambdaId,
      )?.[1];
      const queueId = config?.DestinationConfig?.OnFailure?.Destination?.['Fn::GetAtt']?.[0];
      expect(resources[queueId]?.Type).toBe('AWS::SQS::Queue');
      expect(config?.MaximumRetryAttempts).toBe(2);
      // EventBridge's own dead letters (it could not invoke the function at all) go to the same queue.
      expect(ruleFor(resources, fn)[1].Targets[0].DeadLetterConfig).toEqual({ Arn: getAtt(queueId) });
    },
  );

  it("lets EventBridge send to the queue from trailguard's rules only", () => {
    const resources = deployed(defaults.template);
    const [, policy] = ofType(resources, 'AWS::SQS::QueuePolicy')[0];
    const rules = ofType(resources, 'AWS::Events::Rule')
      .filter(([, props]) => props.EventPattern !== undefined)
      .map(([id]) => getAtt(id));
    expect(policy.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': expect.arrayContaining(rules) } },
      }),
    ]);
  });
});

describe('optional trail inputs', () => {
  it('by default there is no SNS, S3 or CloudWatch Logs trigger and no S3 read', () => {
    const resources = deployed(defaults.template);
    expect(ofType(resources, 'AWS::Logs::SubscriptionFilter')).toEqual([]);
    expect(Object.values(resources).filter((resource) => resource.Type === 'Custom::S3')).toEqual([]);
    for (const fn of FUNCTIONS) expect(statementWith(roleOf(resources, fn), 's3:GetObject')).toBeUndefined();
  });

  it("subscribes login-whitelist and unauthorized-api to CloudTrail's SNS delivery topic, with S3 and KMS reads limited to the trail", () => {
    const resources = deployed(everything.template);
    const subscriptions = ofType(resources, 'AWS::SNS::Subscription').filter(
      ([, props]) => props.Protocol === 'lambda',
    );
    expect(subscriptions.map(([, props]) => props.Endpoint['Fn::GetAtt'][0]).sort()).toEqual(
      ['login-whitelist', 'unauthorized-api', 'trail-integrity']
        .map((fn) => lambdaOf(resources, fn as FunctionName)[0])
        .sort(),
    );
    expect(subscriptions.every(([, props]) => props.TopicArn === TRAIL_TOPIC)).toBe(true);
    for (const fn of ['login-whitelist', 'unauthorized-api'] as const) {
      const role = roleOf(resources, fn);
      expect(statementWith(role, 's3:GetObject')?.Resource).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:s3:::org-trail-logs/audit/AWSLogs/*',
      });
      expect(statementWith(role, 'kms:Decrypt')?.Resource).toBe(KMS_KEY);
    }
    expect(statementWith(roleOf(resources, 'config-compliance'), 's3:GetObject')).toBeUndefined();
  });

  it("subscribes unauthorized-api to the trail's log group with the unauthorized-calls filter", () => {
    const resources = deployed(everything.template);
    const filters = ofType(resources, 'AWS::Logs::SubscriptionFilter');
    expect(filters).toHaveLength(1);
    expect(filters[0][1]).toMatchObject({
      LogGroupName: 'aws-cloudtrail-logs-111122223333',
      FilterPattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
      DestinationArn: getAtt(lambdaOf(resources, 'unauthorized-api')[0]),
    });
  });

  it('with logFileSource=s3, notifies login-whitelist of new log files in the existing bucket, and the custom resource may only touch that bucket and function', () => {
    const resources = deployed(s3Path.template);
    const [custom] = Object.values(resources).filter((resource) => resource.Type === 'Custom::S3');
    expect(custom.Properties).toMatchObject({
      FunctionName: `trailguard-${STAGE}-login-whitelist`,
      BucketName: 'org-trail-logs',
      BucketConfigs: [{ Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'AWSLogs/' }, { Suffix: '.json.gz' }] }],
    });
    expect(statementWith(roleOf(resources, 'login-whitelist'), 's3:GetObject')?.Resource).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:s3:::org-trail-logs/AWSLogs/*',
    });
    expect(statementWith(roleOf(resources, 'unauthorized-api'), 's3:GetObject')).toBeUndefined();
    const customRole = resources.IamRoleCustomResourcesLambdaExecution.Properties;
    expect(statementWith(customRole, 'lambda:AddPermission')?.Resource).toEqual({
      'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:trailguard-${STAGE}-login-whitelist`,
    });
    expect(statementWith(customRole, 's3:PutBucketNotification')?.Resource).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:s3:::org-trail-logs',
    });
  });
});

describe('least privilege', () => {
  it('gives every function a role of its own, and none the shared default role', () => {
    for (const run of [defaults, everything, s3Path]) {
      const resources = deployed(run.template);
      expect(resources.IamRoleLambdaExecution).toBeUndefined();
      const roles = FUNCTIONS.map((fn) => lambdaOf(resources, fn)[1].Role['Fn::GetAtt'][0]);
      expect(new Set(roles).size).toBe(FUNCTIONS.length);
    }
  });

  it.each(FUNCTIONS)(
    '%s may publish to the alert topic only, send to the failed-events queue only, and write its own log group only',
    (fn) => {
      const resources = deployed(defaults.template);
      const role = roleOf(resources, fn);
      expect(statementWith(role, 'sns:Publish')?.Resource).toEqual({ Ref: 'AlertTopic' });
      expect(statementWith(role, 'sqs:SendMessage')?.Resource).toEqual(getAtt('FailedEventsQueue'));
      const logGroupId = ofType(resources, 'AWS::Logs::LogGroup').find(
        ([, props]) => props.LogGroupName === `/aws/lambda/trailguard-${STAGE}-${fn}`,
      )?.[0];
      expect(statementWith(role, 'logs:PutLogEvents')?.Resource).toEqual(getAtt(logGroupId as string));
      expect(
        statementWith(
          deployed(everything.template)[lambdaOf(resources, fn)[1].Role['Fn::GetAtt'][0]].Properties,
          'sns:Publish',
        )?.Resource,
        // `everything` names a ROUTES topic too (routeTopicArns): the alert topic and that one, no other.
      ).toEqual({ 'Fn::Split': [',', { 'Fn::Join': [',', [EXISTING_TOPIC, ONCALL_TOPIC]] }] });
    },
  );

  it('only unauthorized-api may put metrics, into its namespace only, and only when it uses the API', () => {
    const resources = deployed(defaults.template);
    expect(statementWith(roleOf(resources, 'unauthorized-api'), 'cloudwatch:PutMetricData')).toMatchObject({
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'CloudTrailMetrics' } },
    });
    expect(statementWith(roleOf(resources, 'login-whitelist'), 'cloudwatch:PutMetricData')).toBeUndefined();
    expect(statementWith(roleOf(resources, 'config-compliance'), 'cloudwatch:PutMetricData')).toBeUndefined();
    // METRIC_MODE=emf writes log lines instead: no PutMetricData at all.
    expect(
      statementWith(roleOf(deployed(everything.template), 'unauthorized-api'), 'cloudwatch:PutMetricData'),
    ).toBeUndefined();
  });

  it('no statement allows a wildcard action, and Resource "*" only for PutMetricData held to one namespace', () => {
    for (const run of [defaults, everything, s3Path, backfill]) {
      const statements = everyStatement(run.template).filter(({ statement }) => statement.Effect === 'Allow');
      expect(statements.length).toBeGreaterThan(10);
      for (const { where, statement } of statements) {
        const actions = [statement.Action].flat();
        expect({
          where,
          actions: actions.filter((action) => typeof action !== 'string' || action.includes('*')),
        }).toEqual({ where, actions: [] });
        expect(statement.NotAction).toBeUndefined();
        const resources = [statement.Resource].flat();
        // ListPublicKeys has no resource type: '*' is the only resource it takes, and it only reads public keys.
        if (resources.includes('*') && actions.join() === 'cloudtrail:ListPublicKeys') continue;
        // ListAccounts has none either; it is granted only with accountNamesFromOrganizations=true.
        if (resources.includes('*') && actions.join() === 'organizations:ListAccounts') continue;
        if (resources.includes('*')) {
          expect({ where, actions }).toEqual({ where, actions: ['cloudwatch:PutMetricData'] });
          expect(Object.keys(statement.Condition?.StringEquals ?? {})).toEqual(['cloudwatch:namespace']);
        }
      }
    }
  });
});

describe('account names (docs/enrichment.md)', () => {
  it('grants organizations:ListAccounts to every function only with accountNamesFromOrganizations=true', () => {
    for (const fn of FUNCTIONS) {
      expect(statementWith(roleOf(deployed(defaults.template), fn), 'organizations:ListAccounts')).toBeUndefined();
      expect(statementWith(roleOf(deployed(everything.template), fn), 'organizations:ListAccounts')).toEqual({
        Sid: 'ReadAccountNames',
        Effect: 'Allow',
        Action: 'organizations:ListAccounts',
        Resource: '*',
      });
      const [, lambda] = lambdaOf(deployed(everything.template), fn);
      expect(lambda.Environment.Variables).toMatchObject({
        ACCOUNT_NAMES_FROM_ORGANIZATIONS: 'true',
        ACCOUNT_NAMES: '{"111122223333":"prod-payments"}',
      });
    }
  });
});

describe('alert memory', () => {
  it('creates the state table: on-demand, TTL on expiresAt, the flush index; every function gets STATE_STORE', () => {
    const resources = deployed(defaults.template);
    const [[id, table]] = ofType(resources, 'AWS::DynamoDB::Table');
    expect(table).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [expect.objectContaining({ IndexName: 'idx-pk' })],
    });
    for (const fn of FUNCTIONS) {
      const [, lambda] = lambdaOf(resources, fn);
      expect(lambda.Environment.Variables.STATE_STORE).toEqual({ 'Fn::Sub': `dynamodb://\${${id}}` });
      expect(lambda.Environment.Variables.DEDUP_WINDOW).toBe('15m');
    }
  });

  it.each(FUNCTIONS)(
    '%s may read and write the state table and its index only, with the five actions it uses',
    (fn) => {
      const resources = deployed(defaults.template);
      const [[id]] = ofType(resources, 'AWS::DynamoDB::Table');
      const statement = statementWith(roleOf(resources, fn), 'dynamodb:UpdateItem');
      expect(statement?.Action).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ]);
      expect(statement?.Resource).toEqual([getAtt(id), { 'Fn::Sub': `\${${id}.Arn}/index/idx-pk` }]);
    },
  );

  // trail-integrity's flush is its liveness check, on its own schedule (integritySchedule).
  it.each(FUNCTIONS.filter((fn) => fn !== 'trail-integrity'))('%s is sent a flush invocation every minute', (fn) => {
    const [, schedule] = flushScheduleFor(deployed(defaults.template), fn);
    expect(schedule.ScheduleExpression).toBe('rate(1 minute)');
    expect(schedule.State).toBe('ENABLED');
  });

  it('with another STATE_STORE there is no table and no DynamoDB access', () => {
    const resources = deployed(everything.template);
    expect(ofType(resources, 'AWS::DynamoDB::Table')).toEqual([]);
    for (const fn of FUNCTIONS) {
      expect(statementWith(roleOf(resources, fn), 'dynamodb:UpdateItem')).toBeUndefined();
      expect(lambdaOf(resources, fn)[1].Environment.Variables.STATE_STORE).toBe('redis://cache.internal:6379');
    }
  });

  it('eventBatching=true: each rule feeds a queue read in batches with partial batch responses', () => {
    const resources = deployed(everything.template);
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping');
    // trail-integrity's tamper rule is not batched: each event is one invocation.
    expect(mappings).toHaveLength(FUNCTIONS.length - 1);
    for (const [, mapping] of mappings)
      expect(mapping).toMatchObject({
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 60,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    expect(ofType(deployed(defaults.template), 'AWS::Lambda::EventSourceMapping')).toEqual([]);
  });
});

describe('backfills with S3 Batch Operations', () => {
  it('by default there is no batch operations role and no backfill read', () => {
    const resources = deployed(defaults.template);
    expect(resources.BatchOperationsRole).toBeUndefined();
    expect(defaults.template.Outputs?.BatchOperationsRoleArn?.Condition).toBe('AllowsBatchOperations');
    expect(conditionHolds(defaults.template, 'AllowsBatchOperations')).toBe(false);
  });

  it('batchOperations=true: a role S3 Batch Operations assumes, that invokes the four functions, reads manifests and writes reports in batchBucket; every function reads the trail', () => {
    const resources = deployed(backfill.template);
    const role = resources.BatchOperationsRole;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'batchoperations.s3.amazonaws.com' },
        Action: 'sts:AssumeRole',
      }),
    ]);
    const invoke = statementWith(role.Properties, 'lambda:InvokeFunction');
    expect(invoke?.Resource).toEqual(
      (['login-whitelist', 'unauthorized-api', 'config-compliance', 'trail-integrity'] as const).map((fn) =>
        getAtt(lambdaOf(resources, fn)[0]),
      ),
    );
    expect(JSON.stringify(statementWith(role.Properties, 's3:GetObject')?.Resource)).toContain('backfill-manifests');
    expect(statementWith(role.Properties, 's3:PutObject')?.Resource).toEqual({
      'Fn::Sub': [
        'arn:${AWS::Partition}:s3:::${Bucket}/trailguard-backfill-reports/*',
        { Bucket: 'backfill-manifests' },
      ],
    });
    for (const fn of ['login-whitelist', 'unauthorized-api', 'config-compliance'] as const) {
      const statements = roleStatements(roleOf(resources, fn));
      expect(statements.find((statement) => statement.Sid === 'BackfillReadTrailLogFiles')).toMatchObject({
        Action: 's3:GetObject',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::org-trail-logs/AWSLogs/*' },
      });
      expect(statements.find((statement) => statement.Sid === 'BackfillDecryptTrailLogFiles')).toMatchObject({
        Action: 'kms:Decrypt',
        Resource: KMS_KEY,
      });
    }
    // trail-integrity reads the archive's log and digest files under its own statements.
    const integrity = roleStatements(roleOf(resources, 'trail-integrity'));
    expect(integrity.find((statement) => statement.Sid === 'ReadTrailFiles')).toMatchObject({
      Action: 's3:GetObject',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::org-trail-logs/AWSLogs/*' },
    });
    expect(integrity.find((statement) => statement.Sid === 'DecryptTrailLogFiles')).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: KMS_KEY,
    });
    // Without ListBucket, S3 answers a GET of a deleted file with 403, which reads as unverifiable, not missing.
    expect(integrity.find((statement) => statement.Sid === 'TellMissingTrailFiles')).toEqual({
      Sid: 'TellMissingTrailFiles',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::org-trail-logs' },
    });
  });
});

describe('outputs', () => {
  it('names the alert topic and the failed-events queue', () => {
    expect(resolve(defaults.template, defaults.template.Outputs?.AlertTopicArn.Value)).toEqual({ Ref: 'AlertTopic' });
    expect(resolve(everything.template, everything.template.Outputs?.AlertTopicArn.Value)).toBe(EXISTING_TOPIC);
    expect(defaults.template.Outputs?.FailedEventsQueueUrl.Value).toEqual({ Ref: 'FailedEventsQueue' });
  });

  it('packages without hanging (a guard, not a benchmark: osls alone takes 5–15 s on a busy machine)', () => {
    expect(Math.max(defaults.seconds, everything.seconds, s3Path.seconds)).toBeLessThan(150);
  });
});

describe('digestNotifications=s3', () => {
  it('notifies trail-integrity of new digest files in the existing bucket, KMS-encrypted log files readable', () => {
    expect(digests.networkAttempts).toEqual([]);
    const resources = deployed(digests.template);
    const [custom, ...more] = Object.values(resources).filter((resource) => resource.Type === 'Custom::S3');
    expect(more).toEqual([]);
    expect(custom.Properties).toMatchObject({
      FunctionName: `trailguard-${STAGE}-trail-integrity`,
      BucketName: 'org-trail-logs',
      BucketConfigs: [
        {
          Event: 's3:ObjectCreated:*',
          Rules: [{ Prefix: 'AWSLogs/111122223333/CloudTrail-Digest/' }, { Suffix: '.json.gz' }],
        },
      ],
    });
    // The custom resource may only let the bucket invoke trail-integrity, not any function of the account.
    const customRole = resources.IamRoleCustomResourcesLambdaExecution.Properties;
    expect(statementWith(customRole, 'lambda:AddPermission')?.Resource).toEqual({
      'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:trailguard-${STAGE}-trail-integrity`,
    });
    expect(statementWith(customRole, 's3:PutBucketNotification')?.Resource).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:s3:::org-trail-logs',
    });
    // The digests come to trail-integrity; the log files they name are read, and decrypted with the trail's key.
    const integrity = roleOf(resources, 'trail-integrity');
    expect(statementWith(integrity, 'kms:Decrypt')?.Resource).toBe(KMS_KEY);
    expect(statementWith(integrity, 's3:GetObject')?.Resource).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:s3:::org-trail-logs/AWSLogs/*',
    });
  });
});
