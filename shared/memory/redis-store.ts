/**
 * The Redis store (Huawei Cloud DCS, OTC and Flexible Engine DCS, any Redis-compatible service).
 * Claims are a compare-and-set script (SET NX with the caller's clock); a window is one JSON value changed only by Lua scripts, so an add or a close
 * is atomic; each function's windows are listed in a set beside them. Keys of one function share a hash
 * tag (`{tg:<function>}`), so the scripts also run on a Redis Cluster.
 */
import { connectResp, type RespClient, type RespValue } from './resp-client';
import { type AlertWindow, rollUpKey, type StateStore, type WindowAddResult } from './state-store';

export interface RedisStoreOptions {
  url: string;
  /** STATE_PASSWORD, when the URL holds none. */
  password?: string;
  timeoutMs: number;
}

const ADD_SCRIPT = `
local add = cjson.decode(ARGV[1])
local raw = redis.call('GET', KEYS[1])
local current = nil
if raw then current = cjson.decode(raw) end
local result
if current == nil or add.now >= current['end'] then
  local alerted = 0
  if add.count >= add.threshold then alerted = add.count end
  local window = { start = add.now, ['end'] = add.now + add.lengthMs, threshold = add.threshold,
    count = add.count, alerted = alerted, ids = add.ids, sample = add.sample }
  result = { window = window, before = 0, replaced = current, marked = alerted > 0 }
else
  local before = current.count
  local marked = false
  current.count = before + add.count
  if current.alerted == 0 and current.count >= current.threshold then
    current.alerted = current.count
    current.withdrawn = nil
    marked = true
  end
  if type(current.ids) ~= 'table' then current.ids = {} end
  local room = add.keepIds - #current.ids
  for i = 1, math.min(room, #add.ids) do table.insert(current.ids, add.ids[i]) end
  result = { window = current, before = before, marked = marked }
end
redis.call('SET', KEYS[1], cjson.encode(result.window), 'PX', result.window['end'] - add.now + add.ttlMs)
redis.call('SADD', KEYS[2], KEYS[1])
return cjson.encode(result)
`;

// The caller's clock decides, as in the other stores: the value is the claim's end; PX only cleans up.
const CLAIM_SCRIPT = `
local until_ms = redis.call('GET', KEYS[1])
if until_ms and tonumber(until_ms) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

const CLOSE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('SREM', KEYS[2], KEYS[1])
  return false
end
local window = cjson.decode(raw)
if window.start ~= tonumber(ARGV[1]) then return false end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], KEYS[1])
return raw
`;

// Takes an alerting add's own findings back out of its window (applyWithdraw in state-store.ts).
const WITHDRAW_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local window = cjson.decode(raw)
local share = cjson.decode(ARGV[1])
if window.start ~= share.start then return 0 end
local count = window.count - share.count
if count <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], KEYS[1])
  return 1
end
local own = {}
for _, id in ipairs(share.ids) do own[id] = true end
local ids = {}
if type(window.ids) == 'table' then
  for _, id in ipairs(window.ids) do if not own[id] then table.insert(ids, id) end end
end
window.ids = ids
window.count = count
window.alerted = 0
window.withdrawn = true
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[1], cjson.encode(window), 'PX', ttl)
else redis.call('SET', KEYS[1], cjson.encode(window)) end
return 1
`;

const RESTORE_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then redis.call('SADD', KEYS[2], KEYS[1]) end
return 1
`;

interface StoredWindow extends Omit<AlertWindow, 'sample' | 'ids'> {
  ids: string[] | Record<string, never>;
  /** The sample as JSON text: Lua's cjson would turn empty lists into objects. */
  sample: string;
}

function windowOf(stored: StoredWindow): AlertWindow {
  return {
    ...stored,
    // cjson writes an empty list as {}.
    ids: Array.isArray(stored.ids) ? stored.ids : [],
    sample: JSON.parse(stored.sample) as AlertWindow['sample'],
  };
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

export async function createRedisStore(options: RedisStoreOptions): Promise<StateStore> {
  const url = new URL(options.url);
  const tls = url.protocol === 'rediss:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 6379;
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : options.password;
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  let connection: Promise<RespClient> | undefined;

  async function client(): Promise<RespClient> {
    const current = connection && (await connection.catch(() => undefined));
    if (current?.open) return current;
    connection = (async () => {
      const fresh = await connectResp({ host, port, tls, timeoutMs: options.timeoutMs });
      try {
        if (password !== undefined) await fresh.command(username ? ['AUTH', username, password] : ['AUTH', password]);
        if (db !== 0) await fresh.command(['SELECT', db]);
      } catch (error) {
        fresh.close();
        throw error;
      }
      return fresh;
    })();
    connection.catch(() => {
      connection = undefined;
    });
    return connection;
  }

  const run = async (args: ReadonlyArray<string | number>): Promise<RespValue> => (await client()).command(args);
  const tag = (scope: string) => `{tg:${scope}}`;
  const windowKey = (scope: string, key: string) => `${tag(scope)}:${key}`;
  const indexKey = (scope: string) => `${tag(scope)}:windows`;

  return {
    kind: 'redis',
    async claimEvent(key, ttlMs, now) {
      const ttl = Math.max(1, Math.round(ttlMs));
      return (await run(['EVAL', CLAIM_SCRIPT, 1, key, now, now + ttl, ttl])) === 1;
    },
    async releaseEvent(key) {
      await run(['DEL', key]);
    },
    async addToWindow(scope, key, add) {
      const argument = JSON.stringify({
        ...add,
        sample: JSON.stringify(add.sample),
        ids: add.ids.slice(0, add.keepIds),
      });
      const reply = await run(['EVAL', ADD_SCRIPT, 2, windowKey(scope, key), indexKey(scope), argument]);
      const parsed = JSON.parse(String(reply)) as {
        window: StoredWindow;
        before: number;
        replaced?: StoredWindow;
        marked: boolean;
      };
      const result: WindowAddResult = {
        window: windowOf(parsed.window),
        before: parsed.before,
        marked: parsed.marked === true,
      };
      if (parsed.replaced) result.replaced = windowOf(parsed.replaced);
      return result;
    },
    async listWindows(scope) {
      const keys = (await run(['SMEMBERS', indexKey(scope)])) as string[];
      if (keys.length === 0) return [];
      const values = (await run(['MGET', ...keys])) as Array<string | null>;
      const found: Array<{ key: string; window: AlertWindow }> = [];
      const gone: string[] = [];
      values.forEach((value, index) => {
        if (value === null) gone.push(keys[index]);
        else found.push({ key: keys[index].slice(tag(scope).length + 1), window: windowOf(JSON.parse(value)) });
      });
      if (gone.length > 0) await run(['SREM', indexKey(scope), ...gone]);
      return found;
    },
    async closeWindow(scope, key, start) {
      const reply = await run(['EVAL', CLOSE_SCRIPT, 2, windowKey(scope, key), indexKey(scope), String(start)]);
      return typeof reply === 'string' ? windowOf(JSON.parse(reply)) : undefined;
    },
    async withdrawFromWindow(scope, key, share) {
      const argument = JSON.stringify({ start: share.start, count: share.count, ids: share.ids });
      return (await run(['EVAL', WITHDRAW_SCRIPT, 2, windowKey(scope, key), indexKey(scope), argument])) === 1;
    },
    async restoreWindow(scope, key, window, ttlMs, _now) {
      const stored: StoredWindow = { ...window, sample: JSON.stringify(window.sample) };
      const target = windowKey(scope, rollUpKey(key, window.start));
      const ttl = Math.max(1, Math.round(ttlMs));
      await run(['EVAL', RESTORE_SCRIPT, 2, target, indexKey(scope), JSON.stringify(stored), ttl]);
    },
    async getRecord(key) {
      const value = await run(['GET', `tg:r:${key}`]);
      return typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : undefined;
    },
    async putRecord(key, value, ttlSeconds) {
      await run(['SET', `tg:r:${key}`, JSON.stringify(value), 'EX', Math.max(1, Math.round(ttlSeconds))]);
    },
    async listRecords(prefix) {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = (await run(['SCAN', cursor, 'MATCH', `tg:r:${escapeGlob(prefix)}*`, 'COUNT', 500])) as [
          string,
          string[],
        ];
        cursor = next;
        for (const key of batch) keys.push(key);
      } while (cursor !== '0');
      if (keys.length === 0) return [];
      const values = (await run(['MGET', ...keys])) as Array<string | null>;
      return keys.flatMap((key, index) =>
        values[index] === null
          ? []
          : [{ key: key.slice('tg:r:'.length), value: JSON.parse(values[index] as string) as Record<string, unknown> }],
      );
    },
    async close() {
      const current = connection && (await connection.catch(() => undefined));
      current?.close();
      connection = undefined;
    },
  };
}
