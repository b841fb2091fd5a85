/**
 * Authentication as Huawei's API gateway does it, shared by the local SMN and Cloud Eye endpoints: an
 * exact `X-Auth-Token`, or an SDK-HMAC-SHA256 signature recomputed from what actually arrived on the
 * wire (canonicalization shared with the signer, the HMAC computed here), with the gateway's checks:
 * signed host and X-Sdk-Date, a signed security token for temporary keys, 15 minutes of clock skew.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  canonicalRequest,
  MAX_SDK_DATE_SKEW_MS,
  parseSdkDate,
  stringToSign,
} from '../../shared/sinks/sign-sdk-hmac-sha256';

export interface GatewayCredentials {
  token?: string;
  credentials?: { accessKey: string; secretKey: string; securityToken?: string };
  /** The server's clock, for X-Sdk-Date skew checks. */
  now?: () => Date;
}

const AUTHORIZATION = /^SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

export const gatewayRequestId = () => randomUUID().replace(/-/g, '');

/** A refusal: the status and JSON body to answer with. */
export class Reject {
  constructor(
    readonly status: number,
    readonly body: Record<string, string>,
  ) {}
}

export const gatewayAuthError = (reason: string) =>
  new Reject(401, {
    request_id: gatewayRequestId(),
    error_code: 'APIGW.0301',
    error_msg: `Incorrect IAM authentication information: ${reason}`,
  });

function sameSecret(received: string, expected: string): boolean {
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function stringHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
  return headers;
}

export function authenticate(
  req: IncomingMessage,
  headers: Record<string, string>,
  body: Buffer,
  options: GatewayCredentials,
): void {
  const token = headers['x-auth-token'];
  if (token !== undefined) {
    if (!options.token || !sameSecret(token, options.token)) throw gatewayAuthError('token verification failed');
    return;
  }
  const authorization = headers.authorization;
  const keys = options.credentials;
  if (authorization === undefined || !keys) throw gatewayAuthError('no X-Auth-Token and no AK/SK signature');
  const match = AUTHORIZATION.exec(authorization);
  if (!match) throw gatewayAuthError('malformed Authorization header');
  const [, access, signedList, signature] = match;
  // Echoing the access key, as gateways do, lets tests check that the sink redacts it.
  if (access !== keys.accessKey) throw gatewayAuthError(`ak ${access} not exist`);

  const signedHeaders = signedList.split(';');
  const sorted = [...signedHeaders].sort();
  if (signedHeaders.some((name, i) => name !== sorted[i] || name === sorted[i - 1]))
    throw gatewayAuthError('SignedHeaders not sorted or repeated');
  for (const required of ['host', 'x-sdk-date', ...(keys.securityToken ? ['x-security-token'] : [])]) {
    if (!signedHeaders.includes(required)) throw gatewayAuthError(`header ${required} is not signed`);
  }
  if (keys.securityToken && !sameSecret(headers['x-security-token'] ?? '', keys.securityToken))
    throw gatewayAuthError('security token verification failed');
  if (headers['x-sdk-content-sha256'] !== undefined)
    throw gatewayAuthError('X-Sdk-Content-Sha256 is not accepted here');

  const sdkDate = headers['x-sdk-date'];
  const signedAt = parseSdkDate(sdkDate);
  const now = (options.now ?? (() => new Date()))().getTime();
  if (signedAt === undefined || Math.abs(now - signedAt) > MAX_SDK_DATE_SKEW_MS)
    throw gatewayAuthError(`X-Sdk-Date ${sdkDate} is not within 15 minutes of the server time`);

  let canonical: string;
  try {
    canonical = canonicalRequest(
      { method: req.method ?? '', url: `http://${headers.host}${req.url}`, headers, body },
      signedHeaders,
    );
  } catch (error) {
    throw gatewayAuthError(`cannot canonicalize the request: ${(error as Error).message}`);
  }
  const expected = createHmac('sha256', keys.secretKey).update(stringToSign(canonical, sdkDate)).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    throw gatewayAuthError(
      `verify aksk signature fail, ak:${access}, canonicalRequest:${canonical.replace(/\n/g, '|')}`,
    );
  }
}
