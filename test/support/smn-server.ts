/**
 * A local SMN publish endpoint on 127.0.0.1 that authenticates like the real API gateway: an exact
 * `X-Auth-Token`, or an SDK-HMAC-SHA256 signature recomputed from what actually arrived on the wire
 * (canonicalization shared with the signer, the HMAC computed here). Faults can be injected to
 * exercise retries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, gatewayRequestId as requestId, Reject, stringHeaders } from './huawei-gateway-auth';
import { parseTopicUrn } from '../../shared/sinks/smn-endpoints';
import { listenOnLoopback } from './loopback-server';

export type SmnFault =
  /** Answer with this status (and an SMN-style body) instead of publishing. */
  | { kind: 'status'; status: number; times?: number; body?: unknown }
  /** Hold the request this long before handling it; skipped if the client has gone by then. */
  | { kind: 'delay'; ms: number; times?: number }
  /** Drop the connection without answering. */
  | { kind: 'destroy'; times?: number };

export interface SmnServerOptions {
  token?: string;
  credentials?: { accessKey: string; secretKey: string; securityToken?: string };
  fault?: SmnFault;
  /** The server's clock, for X-Sdk-Date skew checks. */
  now?: () => Date;
}

export interface PublishedMessage {
  projectId: string;
  topicUrn: string;
  subject?: string;
  message: string;
  /** `message_structure`, parsed: per-protocol texts, `default` required. */
  messageStructure?: Record<string, string>;
  headers: Record<string, string>;
}

export interface SmnServer {
  url: string;
  published: PublishedMessage[];
  /** Every request and the status it got (0 when the connection was dropped or the client left). */
  requests: Array<{ method: string; path: string; status: number }>;
  setFault(fault: SmnFault | undefined): void;
  close(): Promise<void>;
}

/** The documented limits (huawei-facts.md §5), checked independently of the sink. */
const SUBJECT_MAX_BYTES = 512;
const MESSAGE_MAX_BYTES = 256 * 1024;
const BODY_FIELDS = new Set([
  'subject',
  'message',
  'message_structure',
  'message_template_name',
  'tags',
  'time_to_live',
]);
const PUBLISH_PATH = /^\/v2\/([^/]+)\/notifications\/topics\/([^/]+)\/publish$/;

const smnError = (status: number, code: string, message: string) =>
  new Reject(status, { request_id: requestId(), code, message });
/** The route first, as the gateway does: an unknown path is a 404 before any authentication. */
function route(req: IncomingMessage): { projectId: string; topicUrn: string } {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const path = PUBLISH_PATH.exec(pathname);
  if (!path)
    throw new Reject(404, {
      request_id: requestId(),
      error_code: 'APIGW.0101',
      error_msg: 'The API does not exist or has not been published',
    });
  if (req.method !== 'POST')
    throw new Reject(405, { request_id: requestId(), error_code: 'APIGW.0101', error_msg: 'Method not allowed' });
  const [projectId, topicUrn] = path.slice(1).map((segment) => decodeURIComponent(segment));
  try {
    if (parseTopicUrn(topicUrn).projectId !== projectId) throw new Error('project mismatch');
  } catch {
    throw smnError(400, 'SMN.0005', 'TopicUrn invalid');
  }
  return { projectId, topicUrn };
}

/** Codes the facts do not document are marked as the emulator's own. */
const badRequest = (message: string) => smnError(400, 'EMULATOR.BAD_REQUEST', message);

/** SMN.0021 "MessageStructure invalid": a JSON object of strings with a `default`, at most 256 KB. */
function parseMessageStructure(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const invalid = () => smnError(400, 'SMN.0021', 'MessageStructure invalid');
  if (typeof value !== 'string' || Buffer.byteLength(value) > MESSAGE_MAX_BYTES) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalid();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed as Record<string, unknown>);
  const protocols = new Set(['default', 'email', 'sms', 'http', 'https', 'functionstage']);
  if (!entries.every(([key, text]) => protocols.has(key) && typeof text === 'string' && text !== '')) throw invalid();
  if (typeof (parsed as Record<string, unknown>).default !== 'string') throw invalid();
  return parsed as Record<string, string>;
}

function parseBody(
  headers: Record<string, string>,
  body: Buffer,
): { subject?: string; message: string; messageStructure?: Record<string, string> } {
  if (!(headers['content-type'] ?? '').startsWith('application/json'))
    throw badRequest('Content-Type must be application/json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('Request body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badRequest('Request body is not a JSON object');
  const fields = parsed as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !BODY_FIELDS.has(key));
  if (unknown.length) throw badRequest(`Unknown fields: ${unknown.join(', ')}`);
  const { subject, message } = fields;
  if (
    subject !== undefined &&
    (typeof subject !== 'string' ||
      Buffer.byteLength(subject) > SUBJECT_MAX_BYTES ||
      /[\u0000-\u001f\u007f]/.test(subject))
  ) {
    throw smnError(403, 'SMN.0008', 'Subject invalid');
  }
  const messageStructure = parseMessageStructure(fields.message_structure);
  if (typeof message !== 'string' || message === '' || Buffer.byteLength(message) > MESSAGE_MAX_BYTES)
    throw smnError(403, 'SMN.0009', 'Message invalid');
  return messageStructure ? { subject, message, messageStructure } : { subject, message };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function faultBody(status: number): Record<string, string> {
  if (status === 404) return { request_id: requestId(), code: 'SMN.0006', message: 'Topic not found.' };
  return { request_id: requestId(), code: `FAULT.${status}`, message: 'injected fault' };
}

export async function startSmnServer(options: SmnServerOptions = {}): Promise<SmnServer> {
  const published: PublishedMessage[] = [];
  const requests: SmnServer['requests'] = [];
  let fault = options.fault;
  let faultLeft = fault?.times ?? Infinity;
  const timers = new Set<NodeJS.Timeout>();

  function takeFault(): SmnFault | undefined {
    if (!fault || faultLeft <= 0) return undefined;
    faultLeft--;
    return fault;
  }

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const entry = { method: req.method ?? '', path: req.url ?? '', status: 0 };
    requests.push(entry);
    const body = await readBody(req);
    const send = (status: number, payload: unknown) => {
      entry.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
    };

    const injected = takeFault();
    if (injected?.kind === 'destroy') return void req.socket.destroy();
    if (injected?.kind === 'status') return send(injected.status, injected.body ?? faultBody(injected.status));
    if (injected?.kind === 'delay') {
      await wait(injected.ms);
      if (res.destroyed || req.socket.destroyed) return;
    }

    try {
      const headers = stringHeaders(req);
      const topic = route(req);
      authenticate(req, headers, body, options);
      published.push({ ...topic, ...parseBody(headers, body), headers });
      send(200, { request_id: requestId(), message_id: requestId() });
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      send(error.status, error.body);
    }
  }

  const server = await listenOnLoopback(handle, timers);

  return {
    url: server.url,
    published,
    requests,
    setFault(next) {
      fault = next;
      faultLeft = next?.times ?? Infinity;
    },
    close: server.close,
  };
}
