import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRedisStore } from '../../shared/memory/redis-store';
import type { StateStore } from '../../shared/memory/state-store';

export const REDIS_PASSWORD = 'test-redis-password';

function redisServerPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real redis-server on 127.0.0.1 with a password, no persistence; undefined (after one loud line)
 * when the machine has none: `.ci/run` installs it, a laptop may not have it.
 */
export async function startRedisServer(): Promise<{ url: string; port: number; stop(): Promise<void> } | undefined> {
  const binary = redisServerPath();
  if (!binary) {
    console.warn(
      '!!! redis-server is not installed: the Redis store tests are SKIPPED (apt-get install redis-server) !!!',
    );
    return undefined;
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      REDIS_PASSWORD,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start within 10 s')), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (/ready to accept connections/i.test(chunk.toString())) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return {
    url: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function redisStoreForTests(): Promise<{ store: StateStore; stop(): Promise<void> } | undefined> {
  const server = await startRedisServer();
  if (!server) return undefined;
  const store = await createRedisStore({ url: server.url, timeoutMs: 2_000 });
  return {
    store,
    stop: async () => {
      await store.close();
      await server.stop();
    },
  };
}
