/**
 * Huawei Cloud "SDK-HMAC-SHA256" request signing (AK/SK), as in Huawei's API Request Signing Guide
 * (huawei-facts.md §6.2). The canonicalization is exported so a verifier (our local SMN endpoint)
 * rebuilds exactly what the signer signed.
 */
import { createHash, createHmac } from '../lazy-builtins';

export const SDK_SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** The gateway rejects an `X-Sdk-Date` further than this from its clock. */
export const MAX_SDK_DATE_SKEW_MS = 15 * 60 * 1000;

export interface SignableRequest {
  method: string;
  /** Absolute URL; the path and query as they go on the wire. */
  url: string;
  headers: Record<string, string>;
  /** The exact bytes sent (a string is sent as UTF-8). */
  body: string | Uint8Array;
}

export interface AkSkCredentials {
  accessKey: string;
  secretKey: string;
  /** Temporary credentials (FunctionGraph agency) come with one. */
  securityToken?: string;
}

/** RFC 3986: everything but A-Z a-z 0-9 - _ . ~ is %XY. encodeURIComponent leaves !'()* alone. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `YYYYMMDDTHHMMSSZ`, UTC. */
export function formatSdkDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Epoch ms of an `X-Sdk-Date`, or undefined when it is not in the `YYYYMMDDTHHMMSSZ` form. */
export function parseSdkDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/**
 * Each segment percent-decoded once, then RFC 3986-encoded, so `urn:smn:…` and `urn%3Asmn%3A…` sign
 * alike. The signed URI always ends with "/" even when the request's path does not (§6.2).
 */
export function canonicalUri(pathname: string): string {
  const uri = pathname
    .split('/')
    .map((segment) => encodeRfc3986(decodeURIComponent(segment)))
    .join('/');
  const rooted = uri.startsWith('/') ? uri : `/${uri}`;
  return rooted.endsWith('/') ? rooted : `${rooted}/`;
}

/** Sorted by name then value, names and values RFC 3986-encoded, `name=` for an empty value. */
export function canonicalQueryString(search: string): string {
  return [...new URLSearchParams(search)]
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`)
    .join('&');
}

/** Header names lower-cased. Two spellings of one name would make the signed value ambiguous. */
export function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (Object.hasOwn(lower, key)) throw new Error(`header ${key} is given twice`);
    lower[key] = value;
  }
  return lower;
}

export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The canonical request over the named headers (lower-case, sorted, as listed in SignedHeaders).
 * Throws when a named header is missing. An `X-Sdk-Content-Sha256` header stands in for the body hash.
 */
export function canonicalRequest(req: SignableRequest, signedHeaders: readonly string[]): string {
  const url = new URL(req.url);
  const headers = lowerCaseHeaders(req.headers);
  const headerLines = signedHeaders.map((name) => {
    if (!Object.hasOwn(headers, name)) throw new Error(`signed header ${name} is missing from the request`);
    return `${name}:${headers[name].trim()}\n`;
  });
  return [
    req.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQueryString(url.search),
    // Each header line ends with "\n" and the parts are joined with "\n": the blank line is part of the algorithm.
    headerLines.join(''),
    signedHeaders.join(';'),
    headers['x-sdk-content-sha256'] ?? sha256Hex(req.body),
  ].join('\n');
}

export function stringToSign(canonical: string, sdkDate: string): string {
  return `${SDK_SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

const SIGNING_HEADERS = ['authorization', 'x-sdk-date', 'x-security-token'];

/**
 * The headers to send: the request's own, plus `X-Sdk-Date`, `X-Security-Token` (temporary
 * credentials; set before signing, so it is signed, as the Huawei SDK does) and `Authorization`.
 * Every header given is signed, and `host` from the URL; the HTTP client sends that one itself.
 */
export function signRequest(req: SignableRequest, credentials: AkSkCredentials, now: Date): Record<string, string> {
  const sdkDate = formatSdkDate(now);
  const send: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!SIGNING_HEADERS.includes(name.toLowerCase())) send[name] = value;
  }
  send['X-Sdk-Date'] = sdkDate;
  if (credentials.securityToken) send['X-Security-Token'] = credentials.securityToken;

  const signed = lowerCaseHeaders(send);
  if (!Object.hasOwn(signed, 'host')) signed.host = new URL(req.url).host;
  const signedHeaders = Object.keys(signed).sort();
  const toSign = stringToSign(canonicalRequest({ ...req, headers: signed }, signedHeaders), sdkDate);
  const signature = createHmac('sha256', credentials.secretKey).update(toSign).digest('hex');

  send.Authorization = `${SDK_SIGNING_ALGORITHM} Access=${credentials.accessKey}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return send;
}
