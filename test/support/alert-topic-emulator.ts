import { resetSnsClients } from '../../shared/sinks/sns-sink';
import { startEmulator, type Emulator } from '../../scripts/emulator';
import { drainQueue, TEST_CREDENTIALS } from './sqs-inbox';

/**
 * For a test file: the fauxqs emulator on loopback with a standard and a FIFO alert topic, each with an
 * SQS queue subscribed (`<inbox>`, `<inbox>.fifo`), test credentials in the environment, queues drained
 * after each test, everything stopped and restored after the file.
 */
export function useAlertTopicEmulator(topic: string, inbox: string): { readonly address: string } {
  let emulator: Emulator | undefined;
  const saved = { ...process.env };

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    emulator = await startEmulator({
      topics: [{ name: topic }, { name: `${topic}.fifo`, attributes: { FifoTopic: 'true' } }],
      queues: [{ name: inbox }, { name: `${inbox}.fifo`, attributes: { FifoQueue: 'true' } }],
      subscriptions: [
        { topic, queue: inbox },
        { topic: `${topic}.fifo`, queue: `${inbox}.fifo` },
      ],
    });
  });

  afterAll(async () => {
    resetSnsClients();
    await emulator?.stop();
    process.env = saved;
  });

  afterEach(async () => {
    if (!emulator) return;
    await drainQueue(emulator.address, inbox);
    await drainQueue(emulator.address, `${inbox}.fifo`);
  });

  return {
    get address() {
      if (!emulator) throw new Error('the emulator starts in beforeAll');
      return emulator.address;
    },
  };
}
