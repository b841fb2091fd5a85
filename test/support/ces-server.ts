/**
 * A local Cloud Eye endpoint on 127.0.0.1 for `POST /V1.0/{project_id}/metric-data`: it authenticates
 * like the API gateway (huawei-gateway-auth.ts, shared with the SMN endpoint), then checks the body
 * against the API reference (docs/cloud-eye-metric.md) independently of our client: an array of data,
 * each with metric.namespace (service.item), metric_name, 1-3 dimensions, ttl 1..604800, collect_time
 * in ms within [now - 3 days, now + 10 min], a numeric value; at most 512 KB. Answers 201, no body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, type GatewayCredentials, gatewayRequestId, Reject, stringHeaders } from './huawei-gateway-auth';
import { listenOnLoopback } from './loopback-server';

export type CesFault =
  | { kind: 'status'; status: number; times?: number }
  | { kind: 'destroy'; times?: number }
  | { kind: 'delay'; ms: number; times?: number };

export interface CesServerOptions extends GatewayCredentials {
  fault?: CesFault;
}

export interface ReceivedDatum {
  projectId: string;
  namespace: string;
  metricName: string;
  dimensions: Array<{ name: string; value: string }>;
  ttl: number;
  collectTime: number;
  value: number;
  unit?: string;
  headers: Record<string, string>;
}

export interface CesServer {
  url: string;
  data: ReceivedDatum[];
  requests: Array<{ path: string; status: number }>;
  setFault(fault: CesFault | undefined): void;
  close(): Promise<void>;
}

const PATH = /^\/V1\.0\/([a-zA-Z0-9-]{1,64})\/metric-data$/;
const MAX_BODY_BYTES = 512 * 1024;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$/;
const DIMENSION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const DIMENSION_VALUE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$/;
const DAY_MS = 86_400_000;

const badRequest = (message: string) =>
  new Reject(400, { request_id: gatewayRequestId(), error_code: 'ces.0014', error_msg: message });

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function parseData(body: Buffer, now: number): Omit<ReceivedDatum, 'projectId' | 'headers'>[] {
  if (body.length > MAX_BODY_BYTES) throw badRequest('request body over 512 KB');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('request body is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw badRequest('request body is not a non-empty array');
  return parsed.map((item, i) => {
    const datum = record(item, `[${i}]`);
    const metric = record(datum.metric, `[${i}].metric`);
    const { namespace, metric_name: metricName, dimensions } = metric;
    if (typeof namespace !== 'string' || !NAMESPACE.test(namespace) || namespace.length < 3 || namespace.length > 32)
      throw badRequest(`[${i}].metric.namespace is not service.item`);
    if (/^(SYS|AGT|SRE)/i.test(namespace)) throw badRequest(`[${i}].metric.namespace is reserved`);
    if (typeof metricName !== 'string' || metricName === '') throw badRequest(`[${i}].metric.metric_name is missing`);
    if (!Array.isArray(dimensions) || dimensions.length < 1 || dimensions.length > 3)
      throw badRequest(`[${i}].metric.dimensions must hold 1 to 3 dimensions`);
    const dims = dimensions.map((d, j) => {
      const dim = record(d, `[${i}].metric.dimensions[${j}]`);
      if (typeof dim.name !== 'string' || !DIMENSION_NAME.test(dim.name))
        throw badRequest(`[${i}].metric.dimensions[${j}].name is invalid`);
      if (typeof dim.value !== 'string' || !DIMENSION_VALUE.test(dim.value))
        throw badRequest(`[${i}].metric.dimensions[${j}].value is invalid`);
      return { name: dim.name, value: dim.value };
    });
    const { ttl, collect_time: collectTime, value, unit, type } = datum;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 604_800)
      throw badRequest(`[${i}].ttl is not an integer in 1..604800`);
    if (typeof collectTime !== 'number' || !Number.isInteger(collectTime))
      throw badRequest(`[${i}].collect_time is not an integer (ms)`);
    if (collectTime < now - 3 * DAY_MS || collectTime > now + 10 * 60_000)
      throw badRequest(`[${i}].collect_time is outside [now - 3 days, now + 10 minutes]`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`[${i}].value is not a number`);
    if (unit !== undefined && (typeof unit !== 'string' || unit.length > 32))
      throw badRequest(`[${i}].unit is over 32 characters`);
    if (type !== undefined && type !== 'int' && type !== 'float') throw badRequest(`[${i}].type is not int or float`);
    return { namespace, metricName, dimensions: dims, ttl, collectTime, value, unit: unit as string | undefined };
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startCesServer(options: CesServerOptions = {}): Promise<CesServer> {
  const data: ReceivedDatum[] = [];
  const requests: CesServer['requests'] = [];
  let fault = options.fault;
  let faultLeft = fault?.times ?? Infinity;
  const timers = new Set<NodeJS.Timeout>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const entry = { path: req.url ?? '', status: 0 };
    requests.push(entry);
    const body = await readBody(req);
    const send = (status: number, payload?: unknown) => {
      entry.status = status;
      if (payload === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
    };
    const injected = fault && faultLeft-- > 0 ? fault : undefined;
    if (injected?.kind === 'destroy') return void req.socket.destroy();
    if (injected?.kind === 'status')
      return send(injected.status, { error_code: `FAULT.${injected.status}`, error_msg: 'injected fault' });
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
    try {
      const path = PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
      if (!path)
        throw new Reject(404, {
          request_id: gatewayRequestId(),
          error_code: 'APIGW.0101',
          error_msg: 'The API does not exist or has not been published',
        });
      if (req.method !== 'POST')
        throw new Reject(405, {
          request_id: gatewayRequestId(),
          error_code: 'APIGW.0101',
          error_msg: 'Method not allowed',
        });
      const headers = stringHeaders(req);
      authenticate(req, headers, body, options);
      if (!(headers['content-type'] ?? '').startsWith('application/json'))
        throw badRequest('Content-Type must be application/json');
      const now = (options.now ?? (() => new Date()))().getTime();
      for (const datum of parseData(body, now)) data.push({ ...datum, projectId: path[1], headers });
      send(201);
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      send(error.status, error.body);
    }
  }

  const server = await listenOnLoopback(handle, timers);
  return {
    url: server.url,
    data,
    requests,
    setFault(next) {
      fault = next;
      faultLeft = next?.times ?? Infinity;
    },
    close: server.close,
  };
}
