/**
 * A webhook receiver on 127.0.0.1 for the webhook sink's tests: records every request (path, headers,
 * body) and answers from a script of responses (status, headers, body, a delay), the last one repeated.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server';

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer only after this long (a slow server); the client may have given up by then. */
  delayMs?: number;
}

export interface ReceivedPost {
  method: string;
  /** Path and query, as the client sent them. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface WebhookServer {
  /** Base URL (http://127.0.0.1:port). */
  url: string;
  received: ReceivedPost[];
  /** Replaces the script; the last answer repeats. */
  answer(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

export async function startWebhookServer(): Promise<WebhookServer> {
  const received: ReceivedPost[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let script: ScriptedAnswer[] = [{ status: 200, body: 'ok' }];
  let served = 0;
  const server = await listenOnLoopback(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    const answer = script[Math.min(served, script.length - 1)];
    served += 1;
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(answer.status, answer.headers ?? { 'content-type': 'text/plain' }).end(answer.body ?? '');
    };
    if (answer.delayMs) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, answer.delayMs);
      timers.add(timer);
    } else send();
  }, timers);
  return {
    url: server.url,
    received,
    answer(...answers) {
      script = answers;
      served = 0;
    },
    close: () => server.close(),
  };
}
