import { SinkError } from '../errors';

const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const SNS_NAME = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** A topic ARN as given, or one built from a bare topic name, the region and the account. */
export function resolveSnsTopicArn(topic: string, region: string | undefined, account: string | undefined): string {
  if (topic.startsWith('arn:')) {
    if (!SNS_ARN.test(topic)) throw new SinkError(`not a valid SNS topic ARN: ${JSON.stringify(topic)}`, 'sns', false);
    return topic;
  }
  if (!SNS_NAME.test(topic)) throw new SinkError(`not a valid SNS topic name: ${JSON.stringify(topic)}`, 'sns', false);
  if (!region || !account) {
    throw new SinkError(
      `SNS topic ${topic} is a bare name: the region and account are needed to build its ARN (set ALERT_REGION, or give the full ARN)`,
      'sns',
      false,
    );
  }
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:sns:${region}:${account}:${topic}`;
}
