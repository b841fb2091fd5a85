/**
 * A minimal Redis (RESP2) client: one connection, commands answered in order, a bound on every reply.
 * Ours rather than `redis`/`ioredis` for the bundle budget: @redis/client alone minifies to ~420 KB,
 * more than a whole FunctionGraph bundle may weigh (400 KB); the store needs eight commands and EVAL.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

export type RespValue = string | number | null | RespValue[];

/** An error reply from the server (`-ERR …`, `-NOAUTH …`, `-WRONGPASS …`). */
export class RespError extends Error {
  override readonly name = 'RespError';
}

export interface RespClient {
  command(args: ReadonlyArray<string | number>): Promise<RespValue>;
  readonly open: boolean;
  close(): void;
}

export interface RespOptions {
  host: string;
  port: number;
  tls: boolean;
  timeoutMs: number;
}

const CRLF = '\r\n';

function encode(args: ReadonlyArray<string | number>): string {
  let out = `*${args.length}${CRLF}`;
  for (const arg of args) {
    const text = String(arg);
    out += `$${Buffer.byteLength(text)}${CRLF}${text}${CRLF}`;
  }
  return out;
}

/** One value from `buffer` at `offset`: [value, next offset], or undefined when more bytes are needed. */
function parse(buffer: Buffer, offset: number): [RespValue | RespError, number] | undefined {
  if (offset >= buffer.length) return undefined;
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset]);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new RespError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buffer.length < next + length + 2) return undefined;
      return [buffer.toString('utf8', next, next + length), next + length + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, at);
        if (!item) return undefined;
        if (item[0] instanceof RespError) throw item[0];
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`unexpected reply from the Redis server (type byte ${buffer[offset]})`);
  }
}

export function connectResp(options: RespOptions): Promise<RespClient> {
  return new Promise((resolve, reject) => {
    const pending: Array<{ resolve(value: RespValue): void; reject(error: Error): void; timer: NodeJS.Timeout }> = [];
    let buffer: Buffer = Buffer.alloc(0);
    let open = false;
    let failure: Error | undefined;
    const socket: Socket = options.tls
      ? connectTls({ host: options.host, port: options.port, servername: options.host })
      : connectTcp({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const connectTimer = setTimeout(
      () =>
        fail(new Error(`connecting to Redis ${options.host}:${options.port} took longer than ${options.timeoutMs}ms`)),
      options.timeoutMs,
    );

    function fail(error: Error): void {
      if (failure) return;
      failure = error;
      open = false;
      clearTimeout(connectTimer);
      socket.destroy();
      for (const entry of pending.splice(0)) {
        clearTimeout(entry.timer);
        entry.reject(error);
      }
      reject(error);
    }

    socket.once(options.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      open = true;
      resolve(client);
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => fail(new Error('the Redis connection closed')));
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let offset = 0;
      try {
        for (;;) {
          const parsed = parse(buffer, offset);
          if (!parsed) break;
          offset = parsed[1];
          const entry = pending.shift();
          if (!entry) throw new Error('a Redis reply arrived that nobody asked for');
          clearTimeout(entry.timer);
          if (parsed[0] instanceof RespError) entry.reject(parsed[0]);
          else entry.resolve(parsed[0]);
        }
      } catch (error) {
        fail(error as Error);
        return;
      }
      buffer = buffer.subarray(offset);
    });

    const client: RespClient = {
      get open() {
        return open && !failure;
      },
      command(args) {
        if (failure) return Promise.reject(failure);
        return new Promise<RespValue>((resolveReply, rejectReply) => {
          // A reply that does not come in time means the connection cannot be trusted: drop it.
          const timer = setTimeout(
            () => fail(new Error(`Redis ${String(args[0])} took longer than ${options.timeoutMs}ms`)),
            options.timeoutMs,
          );
          pending.push({ resolve: resolveReply, reject: rejectReply, timer });
          socket.write(encode(args));
        });
      },
      close() {
        failure ??= new Error('the Redis client was closed');
        open = false;
        socket.end();
        socket.destroy();
      },
    };
  });
}
