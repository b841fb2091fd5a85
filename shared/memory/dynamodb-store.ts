import type { StateStore } from './state-store';

export async function createDynamoDbStore(_options: {
  table: string;
  endpoint?: string;
  region: string;
}): Promise<StateStore> {
  throw new Error('the DynamoDB store is not built yet');
}
