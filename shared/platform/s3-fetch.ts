import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { errorMessage, FetchError } from '../errors';
import type { FetchObject } from '../pipeline';

/** Errors after which the object will not appear by retrying: report it, don't retry the invocation. */
const PERMANENT_S3_ERRORS = new Set([
  'NoSuchKey',
  'NoSuchBucket',
  'NotFound',
  'AccessDenied',
  'InvalidObjectState',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
]);

/** Largest object fetched (compressed size); CloudTrail log files are far smaller. */
export const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

/**
 * `client(region)` is called on the first fetch: the SDK is loaded then, not at cold start. The region is
 * the bucket's when the notification names it (S3 events do), else undefined: the client's default.
 */
export function createS3Fetcher(client: (region: string | undefined) => Promise<S3Client>): FetchObject {
  return async (bucket, key, region) => {
    try {
      const [{ GetObjectCommand }, s3] = await Promise.all([import('@aws-sdk/client-s3'), client(region)]);
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (response.ContentLength !== undefined && response.ContentLength > MAX_OBJECT_BYTES) {
        throw new FetchError(
          `object is ${response.ContentLength} bytes, more than the ${MAX_OBJECT_BYTES} accepted`,
          false,
        );
      }
      if (!response.Body) throw new FetchError('object has no body', false);
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof FetchError) throw error;
      const name = (error as { name?: string })?.name ?? '';
      throw new FetchError(`${name || 'error'}: ${errorMessage(error)}`, !PERMANENT_S3_ERRORS.has(name), {
        cause: error,
      });
    }
  };
}

export interface S3ClientOptions {
  /** Region of a bucket whose notification does not name one. */
  defaultRegion: string;
  /** Endpoint override (an emulator, a VPC endpoint, OBS): path-style addressing. */
  endpoint?: string;
  /** Anything else the client needs (credentials not from the environment, checksum modes). */
  client?: Omit<S3ClientConfig, 'region' | 'endpoint'>;
}

/**
 * One S3 client per region, created (and the SDK loaded) on first use. `followRegionRedirects`: a trail
 * bucket in another region answers with a redirect, not the object.
 */
export function s3ClientsByRegion(options: S3ClientOptions): (region: string | undefined) => Promise<S3Client> {
  const clients = new Map<string, Promise<S3Client>>();
  return (bucketRegion) => {
    const region = bucketRegion ?? options.defaultRegion;
    let client = clients.get(region);
    if (!client) {
      client = import('@aws-sdk/client-s3').then(
        ({ S3Client }) =>
          new S3Client({
            region,
            followRegionRedirects: true,
            ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
            ...options.client,
          }),
      );
      clients.set(region, client);
    }
    return client;
  };
}

/** An object with its user metadata (`x-amz-meta-*`, keys without the prefix): digest signatures live there. */
export type FetchObjectWithMetadata = (
  bucket: string,
  key: string,
  region?: string,
) => Promise<{ bytes: Uint8Array; metadata: Record<string, string> }>;

/** Whether a FetchError means the object is not there (as opposed to not readable). */
export function isMissingObject(error: unknown): boolean {
  const name = (error as { cause?: { name?: string } })?.cause?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** Like createS3Fetcher, with the object's metadata; the same errors and limits. */
export function createS3MetadataFetcher(
  client: (region: string | undefined) => Promise<S3Client>,
): FetchObjectWithMetadata {
  return async (bucket, key, region) => {
    try {
      const [{ GetObjectCommand }, s3] = await Promise.all([import('@aws-sdk/client-s3'), client(region)]);
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (response.ContentLength !== undefined && response.ContentLength > MAX_OBJECT_BYTES) {
        throw new FetchError(
          `object is ${response.ContentLength} bytes, more than the ${MAX_OBJECT_BYTES} accepted`,
          false,
        );
      }
      if (!response.Body) throw new FetchError('object has no body', false);
      return { bytes: await response.Body.transformToByteArray(), metadata: response.Metadata ?? {} };
    } catch (error) {
      if (error instanceof FetchError) throw error;
      const name = (error as { name?: string })?.name ?? '';
      throw new FetchError(`${name || 'error'}: ${errorMessage(error)}`, !PERMANENT_S3_ERRORS.has(name), {
        cause: error,
      });
    }
  };
}
