/**
 * A small OBS GET for FunctionGraph (no AWS SDK in its bundle): the object's bytes and its user metadata,
 * signed with OBS's own header signature (docs/trail-integrity-obs.md for the sources):
 *   Authorization: OBS <AK>:Base64(HMAC-SHA1(SK, StringToSign))
 *   StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedHeaders CanonicalizedResource
 * CanonicalizedHeaders are the `x-obs-*` headers (lower-case, sorted, `name:value\n`), here only
 * `x-obs-security-token` (the agency's temporary keys); CanonicalizedResource is `/bucket/key`.
 * OBS does not take an IAM token (X-Auth-Token): without temporary AK/SK nothing can be read.
 */
import { FetchError } from '../../shared/errors';
import { createHmac } from '../../shared/lazy-builtins';
import type { FetchObject } from '../../shared/pipeline';
import { MAX_OBJECT_BYTES, type FetchObjectWithMetadata } from '../../shared/platform/s3-fetch';

export interface ObsCredentials {
  accessKey: string;
  secretKey: string;
  securityToken?: string;
}

export interface ObsFetchOptions {
  /** OBS_ENDPOINT: requests go path-style to `<endpoint>/<bucket>/<key>`; else virtual-hosted per region. */
  endpoint?: string;
  /** The region of the function, for buckets whose event names none. */
  region?: string;
  credentials: () => ObsCredentials | undefined;
  now?: () => Date;
  timeoutMs?: number;
}

/** `https://<bucket>.obs.<region>.myhuaweicloud.com` unless an endpoint is given (an emulator, OTC, a VPC endpoint). */
export function obsUrl(
  bucket: string,
  key: string,
  region: string | undefined,
  endpoint?: string,
): { url: string; resource: string } {
  const path = key.split('/').map(encodeURIComponent).join('/');
  const resource = `/${bucket}/${path}`;
  if (endpoint) return { url: `${endpoint.replace(/\/+$/, '')}${resource}`, resource };
  if (!region) throw new FetchError(`no region for OBS bucket ${bucket}: set OBS_ENDPOINT`, false);
  return { url: `https://${bucket}.obs.${region}.myhuaweicloud.com/${path}`, resource };
}

/** The OBS header signature of a GET (exported for the tests' server, which recomputes it independently). */
export function obsStringToSign(date: string, obsHeaders: Record<string, string>, resource: string): string {
  const canonical = Object.keys(obsHeaders)
    .map((name) => name.toLowerCase())
    .sort()
    .map((name) => `${name}:${obsHeaders[name]}\n`)
    .join('');
  return `GET\n\n\n${date}\n${canonical}${resource}`;
}

function missing(message: string): FetchError {
  // isMissingObject() reads cause.name, as for an S3 NoSuchKey.
  return new FetchError(message, false, { cause: { name: 'NoSuchKey' } });
}

export function createObsMetadataFetcher(options: ObsFetchOptions): FetchObjectWithMetadata {
  const now = options.now ?? (() => new Date());
  return async (bucket, key, region) => {
    const credentials = options.credentials();
    if (!credentials)
      throw new FetchError(
        'no temporary AK/SK from the agency (OBS takes no IAM token): give the function an agency with OBS read access',
        false,
      );
    const { url, resource } = obsUrl(bucket, key, region ?? options.region, options.endpoint);
    const date = now().toUTCString();
    const obsHeaders: Record<string, string> = credentials.securityToken
      ? { 'x-obs-security-token': credentials.securityToken }
      : {};
    const signature = createHmac('sha1', credentials.secretKey)
      .update(obsStringToSign(date, obsHeaders, resource), 'utf8')
      .digest('base64');
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Date: date, Authorization: `OBS ${credentials.accessKey}:${signature}`, ...obsHeaders },
        signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
      });
    } catch (error) {
      throw new FetchError(`OBS GET ${resource}: ${(error as Error).message}`, true, { cause: error });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      throw missing(`OBS GET ${resource}: 404 no such object`);
    }
    if (response.status !== 200) {
      const text = (await response.text().catch(() => '')).slice(0, 300);
      const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
      throw new FetchError(
        `OBS GET ${resource}: ${response.status}${code ? ` ${code}` : ''}`,
        response.status >= 500 || response.status === 429,
      );
    }
    const length = Number(response.headers.get('content-length') ?? 'NaN');
    if (length > MAX_OBJECT_BYTES) {
      await response.body?.cancel();
      throw new FetchError(`object is ${length} bytes, more than the ${MAX_OBJECT_BYTES} accepted`, false);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > MAX_OBJECT_BYTES)
      throw new FetchError(`object is more than the ${MAX_OBJECT_BYTES} bytes accepted`, false);
    const metadata: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      const m = /^x-(?:obs|amz)-meta-(.+)$/.exec(name);
      if (m) metadata[m[1]] = value;
    });
    return { bytes, metadata };
  };
}

export function createObsFetcher(options: ObsFetchOptions): FetchObject {
  const withMetadata = createObsMetadataFetcher(options);
  return async (bucket, key, region) => (await withMetadata(bucket, key, region)).bytes;
}
