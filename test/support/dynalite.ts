import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STATE_TABLE_DEFINITION } from '../../shared/memory/dynamodb-store';
import { TEST_CREDENTIALS } from './sqs-inbox';

/** dynalite (a DynamoDB implementation in JS) on 127.0.0.1, in memory, tables created at once. */
export async function startDynalite(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function createStateTable(endpoint: string, table: string): Promise<void> {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS });
  try {
    await client.send(
      new CreateTableCommand({ TableName: table, ...structuredClone(STATE_TABLE_DEFINITION) } as never),
    );
  } finally {
    client.destroy();
  }
}
