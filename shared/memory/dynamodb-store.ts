/**
 * The DynamoDB store (AWS). One table, partition key `pk` (S), a TTL attribute `expiresAt` (epoch
 * seconds) so the table cleans itself, and a sparse global secondary index `idx-pk` (partition `idx`,
 * sort `pk`) holding only windows (`idx` = `w#<function>`) and generic records (`idx` = `r`), so the
 * flush queries a function's windows instead of scanning every event claim.
 *
 * Atomicity: an event claim is a conditional put; an add is a conditional update with an atomic counter
 * (`ADD count`) on a window that has not ended, or else a conditional put that replaces an ended window
 * and returns it (whoever replaces it owns its roll-up); closing is a conditional delete that returns
 * the final window. TTL deletion is lazy (up to days), so every condition also checks the stored times.
 */
import type {
  AttributeValue,
  DynamoDBClient,
  PutItemCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { createHash } from '../lazy-builtins';
import {
  type AlertWindow,
  rollUpKey,
  type StateStore,
  type WindowAdd,
  type WindowAddResult,
  type WindowSample,
} from './state-store';

export const STATE_INDEX = 'idx-pk';

export interface DynamoDbStoreOptions {
  table: string;
  region: string;
  endpoint?: string;
  /** Per request; the stage bounds each operation too. */
  requestTimeoutMs?: number;
}

type Item = Record<string, AttributeValue>;
const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });
const seconds = (ms: number) => Math.ceil(ms / 1000);

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

function num(item: Item, key: string): number {
  return Number(item[key]?.N ?? 0);
}

/**
 * The map key of one add's ids: the count before the add, then a short hash of its first id (after a
 * withdrawal the count before an add can repeat; the hash keeps the slots apart).
 */
function slotOf(before: number, ids: readonly string[]): string {
  return `${before}:${createHash('sha256')
    .update(ids[0] ?? '')
    .digest('base64url')
    .slice(0, 12)}`;
}

function windowOf(item: Item): AlertWindow {
  return {
    start: num(item, 'start'),
    end: num(item, 'end'),
    threshold: num(item, 'threshold'),
    count: num(item, 'count'),
    alerted: num(item, 'alerted'),
    // Slots keyed by the count before each add, in count order.
    ids: Object.entries(item.ids?.M ?? {})
      .sort(([a], [b]) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
      .flatMap(([, slot]) => (slot.L ?? []).map((value) => value.S ?? '')),
    sample: JSON.parse(item.sample?.S ?? '{}') as WindowSample,
    ...(item.withdrawn?.BOOL ? { withdrawn: true } : {}),
  };
}

export async function createDynamoDbStore(options: DynamoDbStoreOptions): Promise<StateStore> {
  const sdk = await import('@aws-sdk/client-dynamodb');
  const timeout = options.requestTimeoutMs ?? 1_000;
  const client: DynamoDBClient = new sdk.DynamoDBClient({
    region: options.region,
    // One quick retry at most: the stage fails open rather than wait on a struggling table.
    maxAttempts: 2,
    requestHandler: { requestTimeout: timeout, connectionTimeout: timeout, throwOnRequestTimeout: true },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const TableName = options.table;

  async function put(input: Omit<PutItemCommandInput, 'TableName'>): Promise<Item | undefined | false> {
    try {
      const output = await client.send(new sdk.PutItemCommand({ TableName, ...input }));
      return output.Attributes;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function update(input: Omit<UpdateItemCommandInput, 'TableName'>): Promise<Item | false> {
    try {
      const output = await client.send(new sdk.UpdateItemCommand({ TableName, ReturnValues: 'ALL_NEW', ...input }));
      return output.Attributes ?? false;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function query(idx: string, prefix?: string): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const output = await client.send(
        new sdk.QueryCommand({
          TableName,
          IndexName: STATE_INDEX,
          KeyConditionExpression: prefix === undefined ? 'idx = :idx' : 'idx = :idx AND begins_with(pk, :prefix)',
          ExpressionAttributeValues: { ':idx': S(idx), ...(prefix === undefined ? {} : { ':prefix': S(prefix) }) },
          ExclusiveStartKey,
        }),
      );
      for (const item of output.Items ?? []) items.push(item);
      ExclusiveStartKey = output.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  /** After a counter update: the window as it is now, its alert mark set when this add reached the threshold. */
  async function afterIncrement(pk: string, item: Item, add: WindowAdd): Promise<WindowAddResult> {
    const window = windowOf(item);
    const before = window.count - add.count;
    if (window.alerted !== 0 || window.count < window.threshold) return { window, before, marked: false };
    if (window.withdrawn) {
      // Its alert was withdrawn: the first add to take the mark back alerts for everything counted so far.
      const marked = await update({
        Key: { pk: S(pk) },
        UpdateExpression: 'SET #alerted = :count REMOVE #withdrawn',
        ConditionExpression: '#alerted = :zero AND #start = :start AND attribute_exists(#withdrawn)',
        ExpressionAttributeNames: { '#alerted': 'alerted', '#start': 'start', '#withdrawn': 'withdrawn' },
        ExpressionAttributeValues: { ':count': N(window.count), ':zero': N(0), ':start': N(window.start) },
      });
      if (!marked) return { window, before, marked: false };
      const { withdrawn: _withdrawn, ...rest } = window;
      return { window: { ...rest, alerted: window.count }, before, marked: true };
    }
    if (before >= window.threshold) return { window, before, marked: false }; // another add crossed it
    // Only the add that crossed the threshold marks it; a flush in between falls back to the threshold (decide.ts).
    await update({
      Key: { pk: S(pk) },
      UpdateExpression: 'SET #alerted = :count',
      ConditionExpression: '#alerted = :zero AND #start = :start',
      ExpressionAttributeNames: { '#alerted': 'alerted', '#start': 'start' },
      ExpressionAttributeValues: { ':count': N(window.count), ':zero': N(0), ':start': N(window.start) },
    });
    window.alerted = window.count;
    return { window, before, marked: true };
  }

  return {
    kind: 'dynamodb',
    async claimEvent(key, ttlMs, now) {
      const claimed = await put({
        Item: { pk: S(key), until: N(now + ttlMs), expiresAt: N(seconds(now + ttlMs)) },
        ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':now': N(now) },
      });
      return claimed !== false;
    },
    async releaseEvent(key) {
      await client.send(new sdk.DeleteItemCommand({ TableName, Key: { pk: S(key) } }));
    },
    async addToWindow(scope, key, add) {
      const ids = add.ids.slice(0, add.keepIds).map(S);
      for (let attempt = 0; attempt < 5; attempt++) {
        // 1. An open window: the atomic counter says where this add stands; its ids go in a slot of
        //    their own (a map keyed by the count before the add), so concurrent adds never overwrite each other.
        const item = await update({
          Key: { pk: S(key) },
          UpdateExpression: 'ADD #count :n',
          ConditionExpression: 'attribute_exists(pk) AND #end > :now',
          ExpressionAttributeNames: { '#count': 'count', '#end': 'end' },
          ExpressionAttributeValues: { ':n': N(add.count), ':now': N(add.now) },
        });
        if (item) {
          const before = num(item, 'count') - add.count;
          if (before < add.keepIds && ids.length > 0) {
            const stored = await update({
              Key: { pk: S(key) },
              UpdateExpression: 'SET #ids.#slot = :ids',
              ConditionExpression: '#start = :start',
              ExpressionAttributeNames: { '#ids': 'ids', '#slot': slotOf(before, add.ids), '#start': 'start' },
              ExpressionAttributeValues: { ':ids': { L: ids }, ':start': item.start ?? N(0) },
            });
            if (stored) item.ids = stored.ids;
          }
          return afterIncrement(key, item, add);
        }
        // 3. No window, or an ended one: open a new window; the ended one comes back to be rolled up.
        const end = add.now + add.lengthMs;
        const alerted = add.count >= add.threshold ? add.count : 0;
        const old = await put({
          Item: {
            pk: S(key),
            idx: S(`w#${scope}`),
            start: N(add.now),
            end: N(end),
            threshold: N(add.threshold),
            count: N(add.count),
            alerted: N(alerted),
            ids: { M: { [slotOf(0, add.ids)]: { L: ids } } },
            sample: S(JSON.stringify(add.sample)),
            expiresAt: N(seconds(end + add.ttlMs)),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #end <= :now',
          ExpressionAttributeNames: { '#end': 'end' },
          ExpressionAttributeValues: { ':now': N(add.now) },
          ReturnValues: 'ALL_OLD',
        });
        if (old === false) continue; // another invocation opened it first: add to theirs
        const window: AlertWindow = {
          start: add.now,
          end,
          threshold: add.threshold,
          count: add.count,
          alerted,
          ids: add.ids.slice(0, add.keepIds),
          sample: add.sample,
        };
        const replaced = old?.start && num(old, 'expiresAt') * 1000 > add.now ? windowOf(old) : undefined;
        const marked = alerted > 0;
        return replaced ? { window, before: 0, replaced, marked } : { window, before: 0, marked };
      }
      throw new Error('DynamoDB window update kept conflicting with other invocations');
    },
    async listWindows(scope) {
      const now = Date.now();
      return (await query(`w#${scope}`))
        .filter((item) => num(item, 'expiresAt') * 1000 > now)
        .map((item) => ({ key: item.pk?.S ?? '', window: windowOf(item) }));
    },
    async closeWindow(_scope, key, start) {
      try {
        const output = await client.send(
          new sdk.DeleteItemCommand({
            TableName,
            Key: { pk: S(key) },
            ConditionExpression: '#start = :start',
            ExpressionAttributeNames: { '#start': 'start' },
            ExpressionAttributeValues: { ':start': N(start) },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return output.Attributes ? windowOf(output.Attributes) : undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
    async withdrawFromWindow(_scope, key, share) {
      for (let attempt = 0; attempt < 5; attempt++) {
        // Others counted into the window too: take this add's count and ids out, clear the alert mark.
        const kept = await update({
          Key: { pk: S(key) },
          UpdateExpression: 'ADD #count :minus SET #alerted = :zero, #withdrawn = :yes REMOVE #ids.#slot',
          ConditionExpression: '#start = :start AND #count > :own',
          ExpressionAttributeNames: {
            '#count': 'count',
            '#alerted': 'alerted',
            '#withdrawn': 'withdrawn',
            '#ids': 'ids',
            '#slot': slotOf(share.before, share.ids),
            '#start': 'start',
          },
          ExpressionAttributeValues: {
            ':minus': N(-share.count),
            ':zero': N(0),
            ':yes': { BOOL: true },
            ':start': N(share.start),
            ':own': N(share.count),
          },
        });
        if (kept !== false) return true;
        // Nothing else in it: delete it (unless it changed in between, then try again).
        try {
          await client.send(
            new sdk.DeleteItemCommand({
              TableName,
              Key: { pk: S(key) },
              ConditionExpression: '#start = :start AND #count <= :own',
              ExpressionAttributeNames: { '#start': 'start', '#count': 'count' },
              ExpressionAttributeValues: { ':start': N(share.start), ':own': N(share.count) },
            }),
          );
          return true;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        // Neither applied: gone or replaced (nothing to take back), or counted into meanwhile (try again).
        const { Item } = await client.send(
          new sdk.GetItemCommand({ TableName, Key: { pk: S(key) }, ConsistentRead: true }),
        );
        if (!Item || num(Item, 'start') !== share.start) return false;
      }
      throw new Error('DynamoDB window withdrawal kept conflicting with other invocations');
    },
    async restoreWindow(scope, key, window, ttlMs, now) {
      await put({
        Item: {
          pk: S(rollUpKey(key, window.start)),
          idx: S(`w#${scope}`),
          start: N(window.start),
          end: N(window.end),
          threshold: N(window.threshold),
          count: N(window.count),
          alerted: N(window.alerted),
          ids: { M: { [slotOf(0, window.ids)]: { L: window.ids.map(S) } } },
          sample: S(JSON.stringify(window.sample)),
          ...(window.withdrawn ? { withdrawn: { BOOL: true } } : {}),
          expiresAt: N(seconds(now + ttlMs)),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    },
    async getRecord(key) {
      const output = await client.send(
        new sdk.GetItemCommand({ TableName, Key: { pk: S(`r#${key}`) }, ConsistentRead: true }),
      );
      const item = output.Item;
      if (!item || num(item, 'expiresAt') * 1000 <= Date.now()) return undefined;
      return JSON.parse(item.value?.S ?? '{}') as Record<string, unknown>;
    },
    async putRecord(key, value, ttlSeconds) {
      await put({
        Item: {
          pk: S(`r#${key}`),
          idx: S('r'),
          value: S(JSON.stringify(value)),
          expiresAt: N(seconds(Date.now()) + ttlSeconds),
        },
      });
    },
    async listRecords(prefix) {
      const now = Date.now();
      return (await query('r', `r#${prefix}`))
        .filter((item) => num(item, 'expiresAt') * 1000 > now)
        .map((item) => ({
          key: (item.pk?.S ?? '').slice(2),
          value: JSON.parse(item.value?.S ?? '{}') as Record<string, unknown>,
        }));
    },
    async close() {
      client.destroy();
    },
  };
}

/** The table the store expects (tests create it; serverless.yml declares the same). */
export const STATE_TABLE_DEFINITION = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'idx', AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: STATE_INDEX,
      KeySchema: [
        { AttributeName: 'idx', KeyType: 'HASH' },
        { AttributeName: 'pk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const;
