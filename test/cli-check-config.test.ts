/** checkFunctionConfig (reused at deploy time) and `trailguard check-config`: the cold start's verdict, secrets masked. */
import { checkFunctionConfig, maskConfig, maskValue } from '../cli/check-config';
import { main } from '../cli/main';
import { FUNCTION_NAMES, type FunctionName } from '../shared/detect/detector';
import { DETECTORS } from '../functions/registry';
import { loadFunctionConfig } from '../shared/platform/load-function-config';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { captureIo } from './support/cli-io';
import { captureLog } from './support/capture-log';
import { thrown } from './support/thrown';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:alerts';
const VALID: Record<FunctionName, Record<string, string>> = {
  'login-whitelist': { IP_WHITELIST: '203.0.113.0/24', ALERT_TOPIC: TOPIC },
  'unauthorized-api': { ALERT_TOPIC: TOPIC, RULE_SETS: 'cis' },
  'config-compliance': { ALERT_TOPIC: TOPIC, NOTIFY_ON: 'NON_COMPLIANT,COMPLIANT' },
  'trail-integrity': { ALERT_TOPIC: TOPIC },
};

describe('checkFunctionConfig', () => {
  it.each(FUNCTION_NAMES)('%s: ok with the effective configuration for a valid environment', (fn) => {
    const result = checkFunctionConfig(fn, VALID[fn]);
    expect(result).toMatchObject({ ok: true, problems: [], warnings: [] });
    expect(result.config?.sinkConfig).toMatchObject({ kind: 'sns', topic: TOPIC });
    expect(result.message).toBeUndefined();
  });

  it.each(FUNCTION_NAMES)('%s: the same problems and message as the cold start', (fn) => {
    const env = {
      LOG_LEVEL: 'verbose',
      MAX_DECOMPRESSED_MB: '-1',
      ALERT_SINK: 'sqs',
      RULE_SETS: 'nope',
      NOTIFY_ON: 'SOMETIMES',
    };
    const detector = DETECTORS[fn];
    if (!detector) throw new Error(fn);
    const coldStart = thrown(() => loadFunctionConfig(detector, env, 'aws')) as Error & { problems: string[] };
    const result = checkFunctionConfig(fn, env);
    expect(result.ok).toBe(false);
    expect(result.message).toBe(coldStart.message);
    expect(result.problems).toEqual(coldStart.problems);
    expect(result.problems.length).toBeGreaterThanOrEqual(3);
  });

  it('reads FunctionGraph variables the way the runtime does: RUNTIME_USERDATA, then the variables', () => {
    const result = checkFunctionConfig(
      'login-whitelist',
      { RUNTIME_USERDATA: JSON.stringify({ IP: '198.51.100.7', SMN_Topic: 'cts_test' }), RegionName: 'eu-de' },
      'functiongraph',
    );
    expect(result.ok).toBe(true);
    expect(result.config?.sinkConfig).toMatchObject({ kind: 'smn', topic: 'cts_test', region: 'eu-de' });
  });

  it('warns when a documented variable and its alias disagree', () => {
    const result = checkFunctionConfig('login-whitelist', {
      ...VALID['login-whitelist'],
      SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:other',
    });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([expect.stringMatching(/ALERT_TOPIC and SNS_TOPIC_ARN .* ALERT_TOPIC is used/)]);
  });

  it('the Lambda cold start logs the same warnings once', () => {
    const log = captureLog();
    const detector = DETECTORS['login-whitelist'];
    if (!detector) throw new Error('login-whitelist');
    createLambdaHandler(
      detector,
      { ...VALID['login-whitelist'], SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:other' },
      { logDestination: log.destination },
    );
    expect(log.find('configuration warning')).toEqual([
      expect.objectContaining({ level: 'warn', warning: expect.stringContaining('ALERT_TOPIC is used') }),
    ]);
  });

  it('answers an unknown function with a problem, not a throw', () => {
    expect(checkFunctionConfig('nope', {})).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('unknown function')],
    });
  });
});

describe('masking', () => {
  it.each([
    ['SMN_AUTH_TOKEN', 'abcdefghijklmnop', '****'],
    ['HUAWEICLOUD_SDK_SK', 'secret', '****'],
    ['HUAWEICLOUD_SDK_SECURITY_TOKEN', 'token', '****'],
    ['STATE_PASSWORD', 'hunter2', '****'],
    ['WEBHOOK_URL', 'https://hooks.example.com/services/T000/B000/XXXX', 'https://hooks.example.com/****'],
    ['STATE_URL', 'redis://default:hunter2@cache.internal:6379/0', 'redis://default:****@cache.internal:6379/0'],
    ['SINK_ENDPOINT', 'http://127.0.0.1:4566', 'http://127.0.0.1:4566'],
    ['NOTE', 'key AKIAIOSFODNN7EXAMPLE', 'key AKIA…REDACTED'],
  ])('%s=%s is shown as %s', (name, value, shown) => {
    expect(maskValue(name, value)).toBe(shown);
  });

  it('masks secret-looking keys inside the configuration and drops functions', () => {
    expect(
      maskConfig({
        auth: { token: 't', secretKey: 's' },
        webhookUrl: 'https://h.example/x',
        match: () => true,
        set: new Set(['a']),
      }),
    ).toEqual({ auth: { token: '****', secretKey: '****' }, webhookUrl: 'https://h.example/****', set: ['a'] });
  });
});

describe('trailguard check-config', () => {
  it('prints what it read, masked, and exits 0', async () => {
    const io = captureIo({
      ...VALID['login-whitelist'],
      SINK_ENDPOINT: 'https://u:pass-word-1@sns.example.com',
      HOME: '/root',
    });
    expect(await main(['check-config', 'login-whitelist'], io)).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toContain('login-whitelist: configuration valid (aws cold-start check)');
    expect(out).toContain(`ALERT_TOPIC=${TOPIC}`);
    expect(out).toContain('SINK_ENDPOINT=https://u:****@sns.example.com');
    expect(out).not.toContain('pass-word-1');
    expect(out).not.toContain('HOME');
  });

  it('prints warnings on stderr, exit 0', async () => {
    const io = captureIo({ ...VALID['login-whitelist'], LOG_LEVEL: 'silent' });
    expect(await main(['check-config', 'login-whitelist'], io)).toBe(0);
    expect(io.stderr).toEqual([expect.stringMatching(/^warning: LOG_LEVEL=silent/)]);
  });

  it('exits 2 with the cold-start message', async () => {
    const io = captureIo({ LOG_LEVEL: 'verbose' });
    expect(await main(['check-config', 'unauthorized-api'], io)).toBe(2);
    expect(io.stderr).toEqual([`error: ${checkFunctionConfig('unauthorized-api', { LOG_LEVEL: 'verbose' }).message}`]);
  });

  it('exits 2 on an unknown function or platform', async () => {
    expect(await main(['check-config', 'nope'], captureIo())).toBe(2);
    expect(await main(['check-config', 'login-whitelist', '--platform', 'azure'], captureIo())).toBe(2);
  });
});
