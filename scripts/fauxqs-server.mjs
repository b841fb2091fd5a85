// Runs the fauxqs SNS/SQS/S3 emulator on 127.0.0.1 (a random port) for the tests and the demo.
// Prints one JSON line {"address": "..."} when ready; exits when its stdin closes (the parent died).
import net from 'node:net';

// fauxqs listens on 0.0.0.0; the tests must only ever use loopback, so bind there instead.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function patchedListen(...args) {
  if (args[0] && typeof args[0] === 'object' && (args[0].host === '0.0.0.0' || args[0].host === undefined)) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};

const { startFauxqs } = await import('fauxqs');
const server = await startFauxqs({ port: 0, logger: false, defaultRegion: 'us-east-1' });
const setup = process.argv[2] ? JSON.parse(process.argv[2]) : undefined;
if (setup) server.setup(setup);
process.stdout.write(`${JSON.stringify({ address: server.address.replace('0.0.0.0', '127.0.0.1') })}\n`);

const stop = async () => {
  await server.stop().catch(() => {});
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
