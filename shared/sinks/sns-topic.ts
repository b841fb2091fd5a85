import { SinkError } from '../errors';
import type { Platform } from './sink-config';

const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const SNS_NAME = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** A topic ARN as given, or one built from a bare topic name, the region and the account. */
export function resolveSnsTopicArn(
  topic: string,
  region: string | undefined,
  account: string | undefined,
  platform?: Platform,
): string {
  if (topic.startsWith('arn:')) {
    if (!SNS_ARN.test(topic)) throw new SinkError(`not a valid SNS topic ARN: ${JSON.stringify(topic)}`, 'sns', false);
    return topic;
  }
  if (!SNS_NAME.test(topic)) throw new SinkError(`not a valid SNS topic name: ${JSON.stringify(topic)}`, 'sns', false);
  const cli = platform === 'cli';
  const example = `arn:aws:sns:${region ?? '<region>'}:${account ?? '<account id>'}:${topic}`;
  if (!region) {
    throw new SinkError(
      `SNS topic ${topic} is a bare name and the region is missing: set ${cli ? '--region or ' : ''}ALERT_REGION, or give the full topic ARN (${example})`,
      'sns',
      false,
    );
  }
  if (!account) {
    throw new SinkError(
      cli
        ? `SNS topic ${topic} is a bare name and the AWS account is missing: give the full topic ARN (--topic ${example}) or set AWS_ACCOUNT_ID`
        : `SNS topic ${topic} is a bare name and the AWS account is missing (it comes from the function's ARN): give the full topic ARN in ALERT_TOPIC (${example})`,
      'sns',
      false,
    );
  }
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:sns:${region}:${account}:${topic}`;
}
