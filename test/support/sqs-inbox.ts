import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface ReceivedNotification {
  Subject?: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * Drains an SQS queue subscribed to a topic: what a subscriber of the topic received. Each message is
 * deleted once read: a FIFO queue hands out the next message of a group only after the one before it
 * is deleted, and every alert of one rule shares a group.
 */
export async function drainQueue(endpoint: string, queueName: string): Promise<ReceivedNotification[]> {
  const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS });
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    const received: ReceivedNotification[] = [];
    for (;;) {
      const batch = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (!batch.Messages?.length) return received;
      for (const message of batch.Messages) {
        received.push(JSON.parse(message.Body ?? '{}') as ReceivedNotification);
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  } finally {
    sqs.destroy();
  }
}
