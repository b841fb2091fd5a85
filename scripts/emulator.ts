/**
 * Starts the fauxqs emulator in a child process (it is an ES module; the tests run as CommonJS) on
 * loopback and hands back its address. Used by the integration tests and by `npm run demo`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface EmulatorSetup {
  queues?: { name: string; attributes?: Record<string, string> }[];
  topics?: { name: string; attributes?: Record<string, string> }[];
  subscriptions?: { topic: string; queue: string; attributes?: Record<string, string> }[];
  buckets?: string[];
}

export interface Emulator {
  address: string;
  stop(): Promise<void>;
}

export async function startEmulator(setup: EmulatorSetup, projectRoot = join(__dirname, '..')): Promise<Emulator> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(projectRoot, 'scripts', 'fauxqs-server.mjs'), JSON.stringify(setup)],
    {
      cwd: projectRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fauxqs emulator did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`fauxqs emulator exited with code ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { address: string }).address);
      } catch {
        reject(new Error(`unexpected emulator output: ${line}`));
      }
    });
  });
  return {
    address,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
