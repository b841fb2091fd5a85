import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TEST_CREDENTIALS, type ReceivedNotification } from './sqs-inbox';

/**
 * Receives and deletes everything in a queue. For FIFO queues, where a received but undeleted message
 * holds back the rest of its message group, so a plain drain would see only the first message.
 */
export async function receiveAndDelete(endpoint: string, queueName: string): Promise<ReceivedNotification[]> {
  const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS });
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    const received: ReceivedNotification[] = [];
    for (;;) {
      const batch = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
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
