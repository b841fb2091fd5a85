/**
 * The three AWS SDK clients the Lambda bundles carry (and the commands they send), alone: the bench
 * bundles this like a function and times its `require`, to show how much of a Lambda cold start is the
 * SDK's own module initialisation.
 */
export { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
export { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
export { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
