/**
 * A local osls / Serverless Framework plugin (serverless.yml `plugins:`): fails `osls package` and
 * `osls deploy` before anything is packaged or reaches the cloud when the deploy parameters would give
 * a function a configuration it refuses at cold start, or would build a broken stack.
 *
 * 1. Every function's cold start, for real: the handler module next to its artifact
 *    (`dist/aws/<fn>.js`, the same build as `dist/aws/<fn>.zip`) is imported in a child process
 *    whose environment is what Lambda would give the function (provider + function `environment`
 *    as resolved from the parameters, AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, the memory size). Import
 *    runs `createLambdaHandler`, i.e. `loadFunctionConfig(detector, env, 'aws')` and the logger: the
 *    same check, the same message the function would give at cold start. Warnings it logs at cold
 *    start are shown too.
 * 2. The parameters only the template uses (listed under `custom.configCheck.params`): logFileSource
 *    (exactly none, s3 or sns), the trail bucket and topic it needs, ARN shapes, batchOperations (exactly
 *    true or false; true needs trailBucket), batchBucket's name, and digestNotifications (exactly none or
 *    s3; s3 needs trailBucket and trailAccountId, and not logFileSource s3).
 *
 * Environment values CloudFormation resolves at deploy time (Fn::If, Ref, …) are replaced for the
 * check by what they will hold: ALERT_TOPIC by the given alertTopicArn or the topic the stack
 * creates; anything else by its entry in `custom.configCheck.deployTimeValues`.
 */
'use strict';

const { spawn } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const LOG_FILE_SOURCES = ['none', 's3', 'sns'];
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z0-9]+){1,4}:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z0-9]+){1,4}:\d{12}:(key|alias)\/\S+$/;
const COLD_START_TIMEOUT_MS = 20_000;

/** Imports the bundle as Lambda's init phase does and reports how it went, as one JSON line on stdout. */
const COLD_START = `
const { pathToFileURL } = require('node:url');
import(pathToFileURL(process.argv[1]).href).then(
  (module) => process.stdout.write(JSON.stringify(typeof module.handler === 'function' ? { ok: true } : { ok: false, message: 'the module exports no handler function' })),
  (error) => process.stdout.write(JSON.stringify({ ok: false, type: error && error.name, message: error && error.message || String(error) })),
);
`;

/** The template-only parameters' problems. */
function parameterProblems(params) {
  const problems = [];
  const value = (name) => (params[name] === undefined || params[name] === null ? '' : String(params[name]).trim());
  const source = value('logFileSource');
  if (!LOG_FILE_SOURCES.includes(source))
    problems.push(
      `logFileSource=${JSON.stringify(source)} is not one of ${LOG_FILE_SOURCES.join(', ')} (lower case, exactly)`,
    );
  const bucket = value('trailBucket');
  if ((source === 's3' || source === 'sns') && !bucket)
    problems.push(`logFileSource=${source} reads the trail's log files: set trailBucket to the trail's S3 bucket name`);
  if (bucket && !BUCKET_NAME.test(bucket))
    problems.push(
      `trailBucket=${JSON.stringify(bucket)} is not an S3 bucket name (just the name: no s3://, no ARN, no key)`,
    );
  const prefix = value('trailKeyPrefix');
  if (prefix.startsWith('/'))
    problems.push(`trailKeyPrefix=${JSON.stringify(prefix)} must not start with "/" (S3 keys do not)`);
  const trailTopic = value('trailTopicArn');
  if (source === 'sns' && !trailTopic)
    problems.push("logFileSource=sns needs trailTopicArn: the ARN of the trail's SNS delivery topic");
  for (const name of ['trailTopicArn', 'alertTopicArn'])
    if (value(name) && !SNS_TOPIC_ARN.test(value(name)))
      problems.push(
        `${name}=${JSON.stringify(value(name))} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`,
      );
  const batch = value('batchOperations');
  if (batch !== '' && batch !== 'true' && batch !== 'false')
    problems.push(`batchOperations=${JSON.stringify(batch)} is not "true" or "false" (lower case, exactly)`);
  if (batch === 'true' && !bucket)
    problems.push(
      "batchOperations=true lets S3 Batch Operations run the functions over the trail's log files: set trailBucket to the trail's S3 bucket name",
    );
  const batchBucket = value('batchBucket');
  if (batchBucket && !BUCKET_NAME.test(batchBucket))
    problems.push(
      `batchBucket=${JSON.stringify(batchBucket)} is not an S3 bucket name (just the name: no s3://, no ARN, no key)`,
    );
  const digests = value('digestNotifications');
  const account = value('trailAccountId');
  if (digests !== '' && digests !== 'none' && digests !== 's3')
    problems.push(`digestNotifications=${JSON.stringify(digests)} is not "none" or "s3" (lower case, exactly)`);
  if (account && !/^\d{12}$/.test(account))
    problems.push(`trailAccountId=${JSON.stringify(account)} is not a 12-digit AWS account id`);
  if (digests === 's3') {
    if (!bucket)
      problems.push(
        "digestNotifications=s3 has the trail's bucket notify trail-integrity of its digest files: set trailBucket to the trail's S3 bucket name",
      );
    // Without it the notification's prefix is <trailKeyPrefix>/CloudTrail-Digest/, which no digest key has:
    // trail-integrity would never hear of a digest, and say nothing.
    if (!account)
      problems.push(
        'digestNotifications=s3 needs trailAccountId, the 12-digit account id in the digest keys (<trailKeyPrefix><account>/CloudTrail-Digest/)',
      );
    if (source === 's3')
      problems.push(
        'digestNotifications=s3 cannot be combined with logFileSource=s3: S3 refuses two notification rules of one bucket whose prefixes overlap (<trailKeyPrefix> and <trailKeyPrefix><account>/CloudTrail-Digest/) for the same suffix; use logFileSource=sns with the digest notifications',
      );
  }
  const key = value('trailKmsKeyArn');
  if (key && !KMS_KEY_ARN.test(key))
    problems.push(
      `trailKmsKeyArn=${JSON.stringify(key)} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`,
    );
  return problems;
}

/** `VAR: ${param:name}` lines of serverless.yml: which parameter sets which variable, for the messages. */
function parameterOfVariable(serviceDir, configurationFilename) {
  const out = new Map();
  try {
    const text = readFileSync(path.join(serviceDir, configurationFilename || 'serverless.yml'), 'utf8');
    for (const match of text.matchAll(/^\s*([A-Z][A-Z0-9_]*):\s*\$\{param:([A-Za-z0-9_]+)\}\s*$/gm))
      out.set(match[1], match[2]);
  } catch {
    // Only the hint is lost.
  }
  return out;
}

function runColdStart(bundle, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', COLD_START, bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), COLD_START_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let result;
      try {
        result = JSON.parse(stdout);
      } catch {
        result = {
          ok: false,
          message: `the cold start ${signal ? `was killed (${signal})` : `exited with ${code}`} without a result:\n${stderr.trim()}`,
        };
      }
      const warnings = [];
      for (const line of stderr.split('\n')) {
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry && typeof entry.level === 'number' && entry.level >= 40)
          warnings.push(
            `${entry.msg}${entry.problem ? `: ${entry.problem}` : ''}${entry.reason ? `: ${entry.reason}` : ''}`,
          );
      }
      resolve({ ...result, warnings });
    });
  });
}

class TrailguardCheckConfig {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.options = options || {};
    this.log = utils?.log || console;
    const check = () => this.check();
    this.hooks = {
      'before:package:cleanup': check,
      'before:deploy:function:initialize': check,
    };
  }

  fail(message) {
    const ServerlessError = this.serverless.classes?.Error;
    throw ServerlessError ? new ServerlessError(message, 'TRAILGUARD_CONFIG_CHECK') : new Error(message);
  }

  async check() {
    const service = this.serverless.service;
    const custom = service.custom?.configCheck || {};
    const params = custom.params || {};
    const provider = service.provider || {};
    const region = this.options.region || provider.region || 'us-east-1';
    const stage = this.options.stage || provider.stage || 'dev';
    const serviceName = typeof service.service === 'string' ? service.service : service.service.name;

    const templateProblems = parameterProblems(params);
    if (templateProblems.length)
      this.fail(
        `trailguard: ${templateProblems.length} deploy parameter problem(s):\n- ${templateProblems.join('\n- ')}`,
      );

    const deployTimeValues = {
      ALERT_TOPIC:
        String(params.alertTopicArn || '').trim() ||
        `arn:aws:sns:${region}:000000000000:${serviceName}-${stage}-alerts`,
      // '' = the table the stack creates (serverless.yml, StateTable).
      STATE_STORE: String(params.stateStore || '').trim() || `dynamodb://${serviceName}-${stage}-state`,
      ...(custom.deployTimeValues || {}),
    };
    const fromParameter = parameterOfVariable(this.serverless.serviceDir, this.serverless.configurationFilename);
    const serviceDir = this.serverless.serviceDir || process.cwd();
    const functions = service.functions || {};
    const only = this.options.function;

    const checks = Object.entries(functions)
      .filter(([name]) => !only || name === only)
      .map(async ([name, fn]) => {
        const artifact = fn.package?.artifact;
        const handlerModule = String(fn.handler || '').replace(/\.[^.]+$/, '');
        if (!artifact || !handlerModule)
          return `${name}: no package.artifact or handler, cannot run its cold-start check`;
        const bundle = path.resolve(serviceDir, path.dirname(artifact), `${handlerModule}.js`);
        if (!existsSync(bundle))
          return `${name}: ${path.relative(serviceDir, bundle)} does not exist: run \`npm run build\` first (it writes the zips and the bundles)`;
        const env = {
          AWS_REGION: region,
          AWS_DEFAULT_REGION: region,
          AWS_LAMBDA_FUNCTION_NAME: fn.name || `${serviceName}-${stage}-${name}`,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize || provider.memorySize || 1024),
        };
        const unresolved = [];
        for (const [variable, value] of Object.entries({
          ...(provider.environment || {}),
          ...(fn.environment || {}),
        })) {
          if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
            env[variable] = String(value);
          else if (deployTimeValues[variable] !== undefined) env[variable] = String(deployTimeValues[variable]);
          else unresolved.push(variable);
        }
        if (unresolved.length)
          return `${name}: ${unresolved.join(', ')} ${unresolved.length > 1 ? 'are' : 'is'} resolved by CloudFormation at deploy time; give the value ${unresolved.length > 1 ? 'they' : 'it'} will hold under custom.configCheck.deployTimeValues so the cold-start check can run`;
        const result = await runColdStart(bundle, env);
        for (const warning of result.warnings) this.log.warning(`trailguard ${name} at cold start: ${warning}`);
        if (result.ok) return undefined;
        // Which parameters set the variables the message names (else every parameter of this function).
        const text = String(result.message);
        const own = [...fromParameter].filter(([variable]) => fn.environment && variable in fn.environment);
        const named = [...fromParameter].filter(
          ([variable]) =>
            env[variable] !== undefined &&
            (text.includes(variable) || (env[variable].length >= 3 && text.includes(env[variable]))),
        );
        const hints = (named.length ? named : own).map(([variable, param]) => `${variable} from --param="${param}=…"`);
        const message = text.startsWith(`${name}:`)
          ? text
          : `${name}: cold start failed (${result.type || 'error'}): ${text}`;
        return `${message}${hints.length ? `\n  (set by the deploy parameters: ${hints.join(', ')})` : ''}`;
      });
    const failures = (await Promise.all(checks)).filter(Boolean);
    if (failures.length)
      this.fail(
        `trailguard: with these deploy parameters, ${failures.length} function(s) would refuse to start:\n${failures.join('\n')}`,
      );
  }
}

module.exports = TrailguardCheckConfig;
module.exports.parameterProblems = parameterProblems;
