import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, type LoopbackServer } from './loopback-server';

/**
 * A local OBS endpoint speaking OBS's S3-compatible protocol, as docs/replay-obs.md describes it:
 * path-style `/<bucket>` and `/<bucket>/<key>` GETs, each signed with AWS Signature V4 and checked here
 * (the signing key from the SK and the region the request names; the payload hash must be
 * UNSIGNED-PAYLOAD or the empty body's, as OBS requires; x-amz-date within 15 minutes; a temporary
 * AK/SK needs its x-amz-security-token, signed). Listing answers ListObjects (`marker`) and
 * ListObjectsV2 (`list-type=2`, `continuation-token`) in OBS's XML namespace, `pageSize` keys a page; with
 * `listV2: false` it ignores `list-type=2` and answers the V1 way, as an OBS without ListObjectsV2 would.
 */
export interface ObsEndpoint extends LoopbackServer {
  /** bucket → key → bytes. */
  buckets: Map<string, Map<string, Buffer>>;
  /** Every request, `GET /bucket?query`, in arrival order. */
  requests: string[];
  /** Why each rejected request was rejected. */
  rejected: string[];
}

export interface ObsEndpointOptions {
  accessKey: string;
  secretKey: string;
  /** Required on every request when set (temporary AK/SK). */
  securityToken?: string;
  pageSize?: number;
  listV2?: boolean;
}

const NAMESPACE = 'http://obs.otc.t-systems.com/doc/2016-01-01/';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

const strictEncode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** Why the request's V4 signature is not acceptable; undefined when it is. */
function signatureProblem(req: IncomingMessage, options: ObsEndpointOptions): string | undefined {
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization ?? ''),
    );
  if (!auth) return `not a V4 Authorization header: ${req.headers.authorization}`;
  const [, accessKey, day, region, signedHeaders, signature] = auth;
  if (accessKey !== options.accessKey) return `InvalidAccessKeyId ${accessKey}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!when || !amzDate.startsWith(day)) return `bad x-amz-date ${amzDate}`;
  const [, y, mo, d, h, mi, s] = when;
  if (Math.abs(Date.now() - Date.UTC(+y, +mo - 1, +d, +h, +mi, +s)) > 15 * 60_000) return 'RequestTimeTooSkewed';
  const payload = String(req.headers['x-amz-content-sha256'] ?? '');
  if (payload !== 'UNSIGNED-PAYLOAD' && payload !== EMPTY_SHA256) return `payload hash ${payload} not accepted`;
  const signed = signedHeaders.split(';');
  for (const needed of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!signed.includes(needed)) return `${needed} not signed`;
  if (options.securityToken !== undefined) {
    if (req.headers['x-amz-security-token'] !== options.securityToken) return 'missing or wrong x-amz-security-token';
    if (!signed.includes('x-amz-security-token')) return 'x-amz-security-token not signed';
  }
  const [path, query = ''] = (req.url ?? '/').split('?', 2);
  const canonicalQuery = query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const [name, value = ''] = pair.split('=', 2);
      return [strictEncode(decodeURIComponent(name)), strictEncode(decodeURIComponent(value))];
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = signed
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalRequest = [req.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payload].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join(
    '\n',
  );
  const key = hmac(hmac(hmac(hmac(`AWS4${options.secretKey}`, day), region), 's3'), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex') === signature ? undefined : 'SignatureDoesNotMatch';
}

function error(res: ServerResponse, status: number, code: string): void {
  res
    .writeHead(status, { 'content-type': 'application/xml', 'x-obs-request-id': 'local-request' })
    .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
}

function listing(bucket: string, keys: Map<string, Buffer>, query: URLSearchParams, options: ObsEndpointOptions) {
  const v2 = options.listV2 !== false && query.get('list-type') === '2';
  const prefix = query.get('prefix') ?? '';
  const after = (v2 ? (query.get('continuation-token') ?? query.get('start-after')) : query.get('marker')) ?? '';
  const limit = Math.min(Number(query.get('max-keys') ?? 1000), options.pageSize ?? 1000);
  const matching = [...keys.keys()].filter((key) => key.startsWith(prefix) && key > after).sort();
  const page = matching.slice(0, limit);
  const truncated = matching.length > page.length;
  const last = page.at(-1) ?? '';
  const contents = page
    .map((key) => {
      const body = keys.get(key) as Buffer;
      const etag = createHash('md5').update(body).digest('hex');
      return `<Contents><Key>${xml(key)}</Key><LastModified>2026-12-01T00:00:00.000Z</LastModified><ETag>"${etag}"</ETag><Size>${body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join('');
  const paging = v2
    ? `<KeyCount>${page.length}</KeyCount>${truncated ? `<NextContinuationToken>${xml(last)}</NextContinuationToken>` : ''}`
    : `<Marker>${xml(after)}</Marker>${truncated ? `<NextMarker>${xml(last)}</NextMarker>` : ''}`;
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ListBucketResult xmlns="${NAMESPACE}"><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix>${paging}<MaxKeys>${limit}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}</ListBucketResult>`;
}

export async function startObsEndpoint(options: ObsEndpointOptions): Promise<ObsEndpoint> {
  const buckets = new Map<string, Map<string, Buffer>>();
  const requests: string[] = [];
  const rejected: string[] = [];
  const server = await listenOnLoopback(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const problem = signatureProblem(req, options);
    if (problem) {
      rejected.push(`${req.url}: ${problem}`);
      error(res, 403, problem.startsWith('InvalidAccessKeyId') ? 'InvalidAccessKeyId' : 'SignatureDoesNotMatch');
      return;
    }
    if (req.method !== 'GET') return error(res, 405, 'MethodNotAllowed');
    const url = new URL(req.url ?? '/', 'http://obs.local');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const keys = buckets.get(decodeURIComponent(bucket));
    if (!keys) return error(res, 404, 'NoSuchBucket');
    if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) {
      const body = listing(decodeURIComponent(bucket), keys, url.searchParams, options);
      res.writeHead(200, { 'content-type': 'application/xml', 'x-obs-request-id': 'local-request' }).end(body);
      return;
    }
    const body = keys.get(decodeURIComponent(rest.join('/')));
    if (!body) return error(res, 404, 'NoSuchKey');
    res
      .writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
        etag: `"${createHash('md5').update(body).digest('hex')}"`,
        'x-obs-request-id': 'local-request',
      })
      .end(body);
  }, new Set());
  return Object.assign(server, { buckets, requests, rejected });
}
