/**
 * A loopback HTTP proxy in front of the fauxqs SNS emulator. fauxqs neither injects faults nor checks
 * SNS's documented Publish limits, so this proxy does both for `Publish` requests (aws-facts.md §6.1):
 * - faults: an SNS Query-protocol error (`<ErrorResponse><Error><Code>Throttling</Code>…`) with a status,
 *   a delay before forwarding, or a dropped connection, each for the next N publishes or for all;
 * - limits: Subject printable ASCII, starting with a letter, digit or punctuation, fewer than 100
 *   characters; Message at most 256 KiB with its attributes; attribute names; FIFO ids. A publish that
 *   breaks them gets SNS's `InvalidParameter`, as the real service would answer.
 * Everything else is forwarded unchanged.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOnLoopback } from './loopback-server';

export type SnsFault =
  /**
   * Answer with this SNS error (Query protocol XML) instead of forwarding. `echoRequest` appends the
   * request's Authorization and X-Amz-Security-Token headers, as SignatureDoesNotMatch quotes the
   * canonical request: a test that the client redacts its own credentials.
   */
  | { kind: 'error'; status: number; code: string; message?: string; times?: number; echoRequest?: boolean }
  /** Hold the publish this long, then forward it (unless the client has gone). */
  | { kind: 'delay'; ms: number; times?: number }
  /** Drop the connection without answering. */
  | { kind: 'destroy'; times?: number };

export interface SnsProxy {
  url: string;
  /** Every Publish that reached the proxy, with the status it got (0: dropped or abandoned). */
  publishes: Array<{ params: URLSearchParams; status: number }>;
  setFault(fault: SnsFault | undefined): void;
  close(): Promise<void>;
}

export const SNS_MESSAGE_MAX_BYTES = 262_144;

function errorXml(code: string, message: string, type = 'Sender'): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return (
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${escape(code)}</Code>` +
    `<Message>${escape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

/** Why SNS would refuse this Publish, or undefined. The rules of aws-facts.md §6.1. */
export function publishProblem(params: URLSearchParams): string | undefined {
  const subject = params.get('Subject');
  if (subject !== null) {
    if (!/^[\x20-\x7e]*$/.test(subject)) return 'Subject must be ASCII text without line breaks or control characters';
    if (subject.length >= 100) return 'Subject must be fewer than 100 characters';
    if (!/^[A-Za-z0-9\p{P}\p{S}]/u.test(subject)) return 'Subject must begin with a letter, number or punctuation mark';
  }
  const message = params.get('Message') ?? '';
  let size = Buffer.byteLength(message, 'utf8');
  for (const [key, value] of params) {
    const name = /^MessageAttributes\.entry\.\d+\.Name$/.test(key) ? value : undefined;
    if (name !== undefined) {
      if (
        !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
        name.startsWith('.') ||
        name.endsWith('.') ||
        /^(AWS|Amazon)\./i.test(name)
      )
        return `invalid message attribute name ${name}`;
      size += Buffer.byteLength(name);
    }
    if (/^MessageAttributes\.entry\.\d+\.Value\.(StringValue|DataType)$/.test(key)) size += Buffer.byteLength(value);
  }
  if (message === '') return 'Message is required';
  const structure = params.get('MessageStructure');
  if (structure !== null) {
    // SNS Publish: with MessageStructure=json, Message is a JSON object with a string `default` (fauxqs does not check).
    if (structure !== 'json') return 'MessageStructure must be json';
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return 'Message Structure - JSON message body failed to parse';
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return 'Message Structure - the message must be a JSON object';
    if (typeof (parsed as { default?: unknown }).default !== 'string')
      return 'Message Structure - No default entry in JSON message body';
    if (!Object.values(parsed).every((value) => typeof value === 'string'))
      return 'Message Structure - every protocol message must be a string';
  }
  if (size > SNS_MESSAGE_MAX_BYTES) return `Message too long: ${size} bytes with attributes`;
  for (const id of ['MessageGroupId', 'MessageDeduplicationId']) {
    const value = params.get(id);
    if (value !== null && !/^[\x21-\x7e]{1,128}$/.test(value))
      return `${id} must be 1-128 alphanumeric or punctuation characters`;
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startSnsProxy(upstream: string): Promise<SnsProxy> {
  const target = new URL(upstream);
  const publishes: SnsProxy['publishes'] = [];
  let fault: SnsFault | undefined;
  let faultLeft = Infinity;
  const timers = new Set<NodeJS.Timeout>();

  function takeFault(): SnsFault | undefined {
    if (!fault || faultLeft <= 0) return undefined;
    faultLeft -= 1;
    return fault;
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, entry?: { status: number }): void {
    const upstreamReq = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: target.host },
      },
      (upstreamRes) => {
        if (entry) entry.status = upstreamRes.statusCode ?? 0;
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    upstreamReq.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const params = new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : '');
    if (params.get('Action') !== 'Publish') return forward(req, res, body);
    const entry = { params, status: 0 };
    publishes.push(entry);
    const send = (status: number, xml: string) => {
      entry.status = status;
      res.writeHead(status, { 'Content-Type': 'text/xml' }).end(xml);
    };

    const injected = takeFault();
    if (injected?.kind === 'destroy') return void req.socket.destroy();
    if (injected?.kind === 'error') {
      const echo = injected.echoRequest
        ? `\n\nThe Canonical String for this request should have been\n'POST\n/\n\nx-amz-security-token:${String(req.headers['x-amz-security-token'])}\n'\nAuthorization: ${String(req.headers.authorization)}`
        : '';
      return send(
        injected.status,
        errorXml(
          injected.code,
          (injected.message ?? 'injected fault') + echo,
          injected.status >= 500 ? 'Receiver' : 'Sender',
        ),
      );
    }
    if (injected?.kind === 'delay') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, injected.ms);
        timers.add(timer);
      });
      if (res.destroyed || req.socket.destroyed) return;
    }
    const problem = publishProblem(params);
    if (problem) return send(400, errorXml('InvalidParameter', `Invalid parameter: ${problem}`));
    forward(req, res, body, entry);
  }

  const server = await listenOnLoopback(handle, timers);

  return {
    url: server.url,
    publishes,
    setFault(next) {
      fault = next;
      faultLeft = next?.times ?? Infinity;
    },
    close: server.close,
  };
}

/** A loopback port with nothing listening on it: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
