/**
 * A local CloudWatch endpoint for PutMetricData (tests and the demo), speaking the protocol the SDK uses (AWS JSON 1.0,
 * `X-Amz-Target: GraniteServiceVersion20100801.PutMetricData`). No emulator covers CloudWatch, so
 * this records what arrived and can fail on demand.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedMetricCall {
  target: string;
  signed: boolean;
  body: {
    Namespace?: string;
    MetricData?: { MetricName: string; Value: number; Unit?: string; Timestamp?: number | string }[];
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCloudWatchServer(): Promise<{
  url: string;
  calls: ReceivedMetricCall[];
  failNext(status: number, code: string, times?: number): void;
  close(): Promise<void>;
}> {
  const calls: ReceivedMetricCall[] = [];
  let failure: { status: number; code: string; times: number } | undefined;
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    if (failure && failure.times > 0) {
      failure.times -= 1;
      response.writeHead(failure.status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': `${failure.code};Sender`,
      });
      response.end(JSON.stringify({ __type: `com.amazonaws.cloudwatch#${failure.code}`, message: 'injected failure' }));
      return;
    }
    calls.push({
      target,
      signed: String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
      body: JSON.parse(body || '{}'),
    });
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    response.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext: (status, code, times = 1) => {
      failure = { status, code, times };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
