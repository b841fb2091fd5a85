/**
 * config-compliance end to end: the Lambda handler, fed with events/ samples, publishes through a real
 * SNS emulator (fauxqs on loopback) to an SQS subscriber; the FunctionGraph handler publishes to a
 * local SMN endpoint; the replay CLI prints the same alerts with --json.
 */
import { join } from 'node:path';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { configCompliance } from '../functions/config-compliance/config-compliance';
import { DETECTORS } from '../functions/registry';
import { createFunctionGraphHandler, type FunctionGraphContext } from '../shared/platform/functiongraph-handler';
import { createLambdaHandler } from '../shared/platform/lambda-handler';
import { EVENTS_DIR, fixture } from './support/fixtures';
import { startSmnServer } from './support/smn-server';
import { drainQueue } from './support/sqs-inbox';
import { useAlertTopicEmulator } from './support/alert-topic-emulator';

const CONTEXT = {
  awsRequestId: 'test-request',
  invokedFunctionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:config-compliance',
};

const emulator = useAlertTopicEmulator('compliance', 'compliance-inbox');

function handlerFor(topic: string, extra: Record<string, string> = {}) {
  return createLambdaHandler(configCompliance, {
    ALERT_TOPIC: topic,
    ALERT_REGION: 'us-east-1',
    SINK_ENDPOINT: emulator.address,
    LOG_LEVEL: 'silent',
    ALERT_ON_PUT_EVALUATIONS: 'true',
    ...extra,
  });
}

/** The PutEvaluations sample with two NON_COMPLIANT evaluations. */
function twoNonCompliantEvaluations(): unknown {
  const record = fixture('aws/config-cloudtrail-put-evaluations.json') as {
    requestParameters: { evaluations: Record<string, unknown>[] };
  };
  for (const evaluation of record.requestParameters.evaluations) evaluation.complianceType = 'NON_COMPLIANT';
  return record;
}

describe('config-compliance on Lambda with SNS', () => {
  it('an EventBridge change to NON_COMPLIANT reaches the topic subscriber', async () => {
    const result = await handlerFor('compliance')(fixture('aws/config-compliance-change-noncompliant.json'), CONTEXT);
    expect(result).toMatchObject({ records: 1, alerts: 1, delivered: 1, rejected: 0 });
    const [received, ...rest] = await drainQueue(emulator.address, 'compliance-inbox');
    expect(rest).toEqual([]);
    expect(received.Subject).toBe('trailguard: NON_COMPLIANT: restricted-ssh on sg-0c4f2a9d81e36b5a7');
    expect(received.Message.split('\n')[0]).toBe(
      'Resource AWS::EC2::SecurityGroup sg-0c4f2a9d81e36b5a7 is NON_COMPLIANT with rule restricted-ssh',
    );
    expect(received.Message).toContain(
      'Console: https://eu-central-1.console.aws.amazon.com/config/home?region=eu-central-1#/rules/details?configRuleName=restricted-ssh',
    );
    expect(received.MessageAttributes?.rule?.Value).toBe('compliance-non-compliant');
  });

  it('the same notification through SNS takes the same path', async () => {
    const result = await handlerFor('compliance')(fixture('aws/config-compliance-change-sns-lambda.json'), CONTEXT);
    expect(result).toMatchObject({ records: 1, alerts: 1, delivered: 1 });
    const [received] = await drainQueue(emulator.address, 'compliance-inbox');
    expect(received.Message).toContain('Annotation: Missing tags: CostCenter, Owner');
  });

  it('a state that did not change, and a fix, publish nothing', async () => {
    const handler = handlerFor('compliance');
    for (const path of ['aws/config-compliance-change-unchanged.json', 'aws/config-compliance-change-fixed.json']) {
      expect(await handler(fixture(path), CONTEXT)).toMatchObject({ records: 1, alerts: 0, rejected: 0 });
    }
    expect(await drainQueue(emulator.address, 'compliance-inbox')).toEqual([]);
  });

  it('NOTIFY_ON=COMPLIANT,NON_COMPLIANT also reports the fix', async () => {
    const result = await handlerFor('compliance', { NOTIFY_ON: 'COMPLIANT,NON_COMPLIANT' })(
      fixture('aws/config-compliance-change-fixed.json'),
      CONTEXT,
    );
    expect(result.delivered).toBe(1);
    const [received] = await drainQueue(emulator.address, 'compliance-inbox');
    expect(received.Message).toContain('State: NON_COMPLIANT → COMPLIANT');
    expect(received.MessageAttributes?.rule?.Value).toBe('compliance-compliant');
  });

  it('each NON_COMPLIANT evaluation of one PutEvaluations call gets through a FIFO topic, once', async () => {
    const handler = handlerFor('arn:aws:sns:us-east-1:000000000000:compliance.fifo');
    const event = twoNonCompliantEvaluations();
    expect(await handler(event, CONTEXT)).toMatchObject({ alerts: 2, delivered: 2 });
    await handler(event, CONTEXT);
    const received = await drainQueue(emulator.address, 'compliance-inbox.fifo');
    expect(received.map((message) => message.Message.split('\n')[0]).sort()).toEqual([
      'Resource AWS::EC2::Instance i-03b8f1d6a2e7c4905 is NON_COMPLIANT with rule (unknown rule)',
      'Resource AWS::EC2::Instance i-0d72e5a1c94b38f06 is NON_COMPLIANT with rule (unknown rule)',
    ]);
  });

  it('a re-delivered compliance change does not alert twice on a FIFO topic', async () => {
    const handler = handlerFor('arn:aws:sns:us-east-1:000000000000:compliance.fifo');
    await handler(fixture('aws/config-compliance-change-sns-lambda.json'), CONTEXT);
    await handler(fixture('aws/config-compliance-change-sns-lambda.json'), CONTEXT);
    expect(await drainQueue(emulator.address, 'compliance-inbox.fifo')).toHaveLength(1);
  });

  it('a bad NOTIFY_ON or rule list stops the function at cold start, naming every problem', () => {
    expect(() => handlerFor('compliance', { NOTIFY_ON: 'NON_COMPLIANT, BROKEN', RULE_EXCLUDE: ',' })).toThrow(
      /"BROKEN"[\s\S]*RULE_EXCLUDE/,
    );
  });
});

describe('config-compliance on FunctionGraph with SMN', () => {
  const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
  const TOKEN = 'MIIZfake-token-for-config-compliance';

  function context(userData: Record<string, string>): FunctionGraphContext {
    return {
      getRequestID: () => 'req-1',
      getUserData: (key) => userData[key],
      getProjectID: () => PROJECT,
      getToken: () => TOKEN,
    };
  }

  it('a NonCompliant policy state from an SMN trigger and a Cloud Eye event are published; a Compliant one is not', async () => {
    const server = await startSmnServer({ token: TOKEN });
    try {
      const { handler } = createFunctionGraphHandler(configCompliance, {});
      const variables = {
        ALERT_TOPIC: 'compliance',
        ALERT_REGION: 'ap-southeast-1',
        SINK_ENDPOINT: server.url,
        LOG_LEVEL: 'silent',
      };
      expect(
        await handler(fixture('huaweicloud/config-rms-policy-state-smn-trigger.json'), context(variables)),
      ).toMatchObject({ alerts: 1, delivered: 1 });
      expect(
        await handler(fixture('huaweicloud/config-cloud-eye-noncompliance.json'), context(variables)),
      ).toMatchObject({ alerts: 1, delivered: 1 });
      expect(
        await handler(fixture('huaweicloud/config-rms-policy-state-compliant.json'), context(variables)),
      ).toMatchObject({ records: 1, alerts: 0 });
      expect(server.published.map((published) => published.message.split('\n')[0])).toEqual([
        'Resource evs.volumes 9d3e6a1f-4c8b-47e2-a5f0-1b7d2c9e4f63 (tg-db-data-02) is NON_COMPLIANT with rule volumes-encrypted-check',
        'Resource vpc.securityGroups 2e7a4c9f-1b6d-43e8-a5c2-9f0d7b3e6a15 (sg-bastion) is NON_COMPLIANT with rule vpc-sg-restricted-ssh',
      ]);
      expect(server.published[0].topicUrn).toBe(`urn:smn:ap-southeast-1:${PROJECT}:compliance`);
      expect(server.published[0].message).toContain(
        'Console: https://console-intl.huaweicloud.com/rms/?region=ap-southeast-1',
      );
    } finally {
      await server.close();
    }
  });
});

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env: { ALERT_ON_PUT_EVALUATIONS: 'true', ...env },
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: () => undefined,
    errIsTty: false,
    stdout,
    stderr,
  };
}

describe('trailguard replay config-compliance', () => {
  it('is registered', () => {
    expect(DETECTORS['config-compliance']).toBe(configCompliance);
  });

  it('prints one JSON alert per line with --json', async () => {
    const io = captureIo();
    const code = await main(
      ['replay', 'config-compliance', join(EVENTS_DIR, 'aws', 'config-compliance-change-noncompliant.json'), '--json'],
      io,
    );
    expect(code).toBe(0);
    expect(io.stdout).toHaveLength(1);
    const alert = JSON.parse(io.stdout[0]);
    expect(alert).toMatchObject({
      function: 'config-compliance',
      rule: 'compliance-non-compliant',
      severity: 'medium',
      count: 1,
      eventIds: ['7e3b91c4-2d5a-4f08-b6e1-93ac5d7f2b10'],
      event: {
        source: 'aws-config',
        category: 'compliance',
        compliance: { rule: 'restricted-ssh', newState: 'NON_COMPLIANT', oldState: 'COMPLIANT' },
      },
    });
    expect(alert.event.raw).toBeUndefined();
    expect(io.stderr.join('\n')).toMatch(/1 record\(s\), 1 alert\(s\)/);
  });

  it('replays every sample of both clouds, and every compliance sample is understood', async () => {
    const io = captureIo({ RULE_EXCLUDE: 'securityhub-*' });
    const code = await main(['replay', 'config-compliance', EVENTS_DIR, '--json'], io);
    // S3 references cannot be fetched offline: they are reported, so the run exits 1.
    expect([0, 1]).toContain(code);
    const alerts = io.stdout.map(
      (line) => JSON.parse(line) as { event: { cloud: string; compliance?: { rule: string } } },
    );
    const rules = alerts.map((alert) => alert.event.compliance?.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'restricted-ssh',
        'required-tags',
        '(unknown rule)',
        'vpc-sg-restricted-ssh',
        'volumes-encrypted-check',
      ]),
    );
    expect(rules).not.toContain('securityhub-rds-storage-encrypted-5c2e8a1f');
    expect(alerts.every((alert) => alert.event.compliance !== undefined)).toBe(true);
    expect(
      io.stderr.filter(
        (line) => line.startsWith('rejected') && /\/(config-|envelope-config-|envelope-rms-)/.test(line),
      ),
    ).toEqual([]);
  });

  it('exits 2 on a configuration error, naming it', async () => {
    const io = captureIo({ NOTIFY_ON: 'SOMETIMES' });
    expect(await main(['replay', 'config-compliance', EVENTS_DIR], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('SOMETIMES');
  });
});
