/**
 * `replay <fn> s3://bucket/prefix/`: the log files under a prefix, listed page by page, filtered by the date in their
 * key (`--since` / `--until`) and fetched ahead of the pipeline a few at a time, within a byte budget, so a
 * month of trail streams through with a bounded amount of it in memory. `obs://bucket/prefix/` is the same
 * through OBS's S3-compatible API (AWS Signature V4) at `--s3-endpoint`: docs/replay-obs.md.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, errorMessage } from '../shared/errors';
import { type Env, readEnv } from '../shared/platform/env-config';
import { createS3Fetcher, type S3ClientOptions } from '../shared/platform/s3-fetch';
import type { InputFile } from './read-inputs';

/** Objects fetched at once, and the compressed bytes fetched ahead of the pipeline at most. */
export const PREFETCH_OBJECTS = 8;
export const PREFETCH_BYTES = 64 * 1024 * 1024;

/** What listing picks up under a prefix: log files, not manifests, inventories or folders. */
const LOG_OBJECT = /\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i;

export interface BucketLocation {
  scheme: 's3' | 'obs';
  bucket: string;
  prefix: string;
}

/** `s3://bucket/prefix` (or `obs://`, the same API at an OBS endpoint); undefined for a local path. */
export function parseBucketUrl(path: string): BucketLocation | undefined {
  const match = /^(s3|obs):\/\/([^/]+)\/?(.*)$/.exec(path);
  return match ? { scheme: match[1] as 's3' | 'obs', bucket: match[2], prefix: match[3] } : undefined;
}

/**
 * Why an input that looks like a URL cannot be read (a usage error), or undefined: `s3://` or `obs://`
 * without a bucket name, the scheme in capitals, or a scheme replay does not read. A local path whose
 * name merely contains `://` further in is left alone.
 */
export function bucketUrlProblem(path: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path)?.[1];
  if (scheme === undefined) return undefined;
  if (scheme !== 's3' && scheme !== 'obs') {
    const lower = scheme.toLowerCase();
    return lower === 's3' || lower === 'obs'
      ? `${path}: write the scheme in lower case (${lower}://bucket/prefix/)`
      : `${path}: replay reads local files and folders, - (stdin), s3://bucket/prefix/ and obs://bucket/prefix/, not ${scheme}:// URLs`;
  }
  if (!parseBucketUrl(path)) return `${path}: no bucket name (${scheme}://bucket/prefix/)`;
  return undefined;
}

/**
 * The S3 client settings for these inputs. For `obs://`: `--s3-endpoint` is required (without it the
 * client would ask AWS for the bucket); the AK/SK may come from the Huawei SDK's variables
 * (HUAWEICLOUD_SDK_AK / _SK / _SECURITY_TOKEN) when no AWS_ACCESS_KEY_ID is set; the signing region is
 * AWS_REGION, else the one in an `obs.<region>.` host; checksums only where an operation requires them,
 * as Huawei advises for OBS (docs/replay-obs.md).
 */
export function bucketClientOptions(paths: readonly string[], env: Env, endpoint: string | undefined): S3ClientOptions {
  const region = readEnv(env, 'AWS_REGION', 'AWS_DEFAULT_REGION')?.value;
  if (!paths.some((path) => parseBucketUrl(path)?.scheme === 'obs'))
    return { defaultRegion: region ?? 'us-east-1', endpoint };
  if (endpoint === undefined)
    throw new ConfigError(
      "obs:// inputs need --s3-endpoint, the OBS endpoint of the bucket's region (e.g. https://obs.eu-de.otc.t-systems.com)",
    );
  const accessKeyId = readEnv(env, 'HUAWEICLOUD_SDK_AK')?.value;
  const secretAccessKey = readEnv(env, 'HUAWEICLOUD_SDK_SK')?.value;
  const sessionToken = readEnv(env, 'HUAWEICLOUD_SDK_SECURITY_TOKEN')?.value;
  const huaweiKeys = !readEnv(env, 'AWS_ACCESS_KEY_ID') && accessKeyId && secretAccessKey;
  const hostRegion = /^https?:\/\/(?:[^/]*\.)?obs\.([a-z0-9-]+)\./i.exec(endpoint)?.[1];
  return {
    defaultRegion: region ?? hostRegion ?? 'us-east-1',
    endpoint,
    client: {
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(huaweiKeys ? { credentials: { accessKeyId, secretAccessKey, sessionToken } } : {}),
    },
  };
}

export interface DateRange {
  /** Inclusive, ms since the epoch. */
  since?: number;
  /** Exclusive. */
  until?: number;
}

/** `--since` / `--until`: `2026-11-05`, `2026-11`, `2026-11-05T10:00Z` (UTC unless an offset is given). */
export function parseKeyDate(text: string): number | undefined {
  const month = /^(\d{4})-(\d{2})$/.exec(text);
  const value = month
    ? Date.UTC(Number(month[1]), Number(month[2]) - 1, 1)
    : /^\d{4}-\d{2}-\d{2}$/.test(text)
      ? Date.parse(`${text}T00:00:00Z`)
      : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)
        ? Date.parse(text)
        : Number.NaN;
  if (Number.isNaN(value)) return undefined;
  // `Date.parse` rolls 2026-02-31 over into March, and a month of 13 over into the next year.
  const date = month ? text : text.slice(0, 10);
  const shown = new Date(month ? value : Date.parse(`${text.slice(0, 10)}T00:00:00Z`)).toISOString();
  return shown.startsWith(date) ? value : undefined;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * When the file was delivered, from its key, and how precise that is: CloudTrail names files
 * `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz` (digests `…_<YYYYMMDDTHHmmssZ>.json.gz`),
 * CTS `<prefix>_CloudTrace_<region>_<YYYY-MM-DD>T<HH-MM-SS>Z_<random>.json.gz`; both sit under
 * `…/YYYY/MM/DD/` folders (CTS without leading zeros). Undefined when the key has no date.
 */
export function keyTime(key: string): { time: number; span: number } | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const cloudTrail = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z[_.]/.exec(name);
  if (cloudTrail) {
    const [, y, mo, d, h, mi, s] = cloudTrail;
    return { time: Date.UTC(+y, +mo - 1, +d, +h, +mi, s ? +s : 0), span: MINUTE };
  }
  const cts = /_(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z[_.]/.exec(name);
  if (cts) {
    const [, y, mo, d, h, mi, s] = cts;
    return { time: Date.UTC(+y, +mo - 1, +d, +h, +mi, +s), span: 1000 };
  }
  const folders = /(?:^|\/)(\d{4})\/(\d{1,2})\/(\d{1,2})\//.exec(key);
  if (folders) {
    const [, y, mo, d] = folders;
    if (+mo >= 1 && +mo <= 12 && +d >= 1 && +d <= 31) return { time: Date.UTC(+y, +mo - 1, +d), span: DAY };
  }
  return undefined;
}

/** Whether a key's date may fall in the range; a key without a date is kept (the range cannot say). */
export function inRange(key: string, range: DateRange): boolean {
  if (range.since === undefined && range.until === undefined) return true;
  const at = keyTime(key);
  if (!at) return true;
  if (range.since !== undefined && at.time + at.span <= range.since) return false;
  if (range.until !== undefined && at.time >= range.until) return false;
  return true;
}

export interface ListedObjects {
  files: InputFile[];
  /** Listed but outside --since/--until. */
  outOfRange: number;
}

/**
 * Where a listing under `prefix` may start for `--since`: keys sort by date below a region folder
 * (CloudTrail's `…/CloudTrail/<region>/YYYY/MM/DD/`, CTS's `CloudTraces/<region>/YYYY/M/D/`), so the
 * days before `since` need not be listed at all. CTS writes months and days without leading zeros, which
 * do not sort, so there only earlier years are skipped. Undefined for any other prefix.
 */
export function startAfterFor(prefix: string, since: number | undefined): string | undefined {
  if (since === undefined || !Number.isFinite(since)) return undefined;
  const day = new Date(since);
  if (Number.isNaN(day.getTime()) || day.getUTCFullYear() < 1000 || day.getUTCFullYear() > 9999) return undefined;
  const year = String(day.getUTCFullYear());
  if (/(?:^|\/)(?:CloudTrail|CloudTrail-Digest)\/[a-z0-9-]+\/$/.test(prefix)) {
    const month = String(day.getUTCMonth() + 1).padStart(2, '0');
    const date = String(day.getUTCDate()).padStart(2, '0');
    return `${prefix}${year}/${month}/${date}`;
  }
  if (/(?:^|\/)CloudTraces\/[a-z0-9-]+\/$/.test(prefix)) return `${prefix}${year}`;
  return undefined;
}

/**
 * The log objects under `prefix`, in key order, one page (ListObjectsV2, up to 1,000 keys) at a time:
 * the next page is requested while this one is read, and nothing else of the listing is kept, so memory
 * stays bounded however many objects the prefix holds. With `--since` below a region folder the listing
 * starts at that day (startAfterFor). A truncated page without a continuation token is an endpoint that
 * answered the V1 way (an OBS without ListObjectsV2): the rest is listed with ListObjects from the page's
 * last key, never silently dropped.
 */
export async function* listBucketPages(
  client: () => Promise<S3Client>,
  location: { scheme?: 's3' | 'obs'; bucket: string; prefix: string },
  range: DateRange,
): AsyncGenerator<ListedObjects> {
  const [{ ListObjectsCommand, ListObjectsV2Command }, s3] = await Promise.all([
    import('@aws-sdk/client-s3'),
    client(),
  ]);
  const scheme = location.scheme ?? 's3';
  const startAfter = startAfterFor(location.prefix, range.since);
  type Page = { Contents?: { Key?: string; Size?: number }[]; IsTruncated?: boolean; NextContinuationToken?: string };
  const request = (token: string | undefined, marker: string | undefined): Promise<Page> =>
    marker === undefined
      ? s3.send(
          new ListObjectsV2Command({
            Bucket: location.bucket,
            Prefix: location.prefix,
            ContinuationToken: token,
            ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
          }),
        )
      : s3.send(new ListObjectsCommand({ Bucket: location.bucket, Prefix: location.prefix, Marker: marker }));
  let marker: string | undefined;
  let pending: Promise<Page> | undefined = request(undefined, undefined);
  while (pending) {
    const page: Page = await pending;
    pending = undefined;
    const contents = page.Contents ?? [];
    const last = contents.at(-1)?.Key;
    if (page.IsTruncated) {
      if (marker === undefined && page.NextContinuationToken) pending = request(page.NextContinuationToken, undefined);
      else if (last !== undefined && last !== marker) pending = request(undefined, (marker = last));
      else throw new Error('the listing is truncated but gives no way to go on (no continuation token, no key)');
      // Asked for already; a failure is thrown when its turn comes, not as an unhandled rejection now.
      pending.catch(() => {});
    }
    const listed: ListedObjects = { files: [], outOfRange: 0 };
    for (const object of contents) {
      const key = object.Key;
      if (key === undefined || key.endsWith('/') || !LOG_OBJECT.test(key)) continue;
      if (!inRange(key, range)) {
        listed.outOfRange += 1;
        continue;
      }
      listed.files.push({
        path: `${scheme}://${location.bucket}/${key}`,
        size: object.Size ?? 0,
        object: { bucket: location.bucket, key },
      });
    }
    yield listed;
  }
}

/** Why listing failed, for `error: s3://bucket/prefix: …`. */
export function listingProblem(path: string, error: unknown): string {
  const name = (error as { name?: string })?.name;
  // The SDK's words name no variable; say which ones this scheme reads (docs/replay-obs.md).
  const hint =
    name !== 'CredentialsProviderError'
      ? ''
      : parseBucketUrl(path)?.scheme === 'obs'
        ? ' (obs:// signs with HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, plus HUAWEICLOUD_SDK_SECURITY_TOKEN for a temporary AK/SK, when AWS_ACCESS_KEY_ID is not set; otherwise with the AWS SDK chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)'
        : " (s3:// signs with the AWS SDK's credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance or container role)";
  return `${path}: ${name && name !== 'Error' ? `${name}: ` : ''}${errorMessage(error)}${hint}`;
}

/** The bytes of an object input. */
export function objectReader(client: (region: string | undefined) => Promise<S3Client>) {
  const fetchObject = createS3Fetcher(client);
  return (file: InputFile): Promise<Uint8Array> => {
    if (!file.object) throw new Error(`${file.path} is not an object`);
    return fetchObject(file.object.bucket, file.object.key);
  };
}

/**
 * Reads inputs in order, each started ahead of its turn: up to `objects` reads in flight and up to `bytes`
 * (by listed size) read but not yet taken; an input larger than the budget is read alone. The inputs may
 * still be being found (a bucket listing, page by page): they are pulled from `source` only as the limits
 * allow (one is held back when it does not fit yet), so a listing of millions of keys holds no more of
 * them than a page and the reads ahead. `next()` gives the next input with its read, undefined at the
 * end; a failure of the source is thrown by the `next()` whose turn it is, after every input before it.
 */
export function createStreamReadAhead(
  source: Iterator<InputFile> | AsyncIterator<InputFile>,
  readOne: (file: InputFile) => Promise<Uint8Array>,
  limits: { objects: number; bytes: number } = { objects: PREFETCH_OBJECTS, bytes: PREFETCH_BYTES },
): { next(): Promise<{ file: InputFile; bytes: Promise<Uint8Array> } | undefined> } {
  type Entry = { file: InputFile; bytes: Promise<Uint8Array> };
  const queue: Entry[] = [];
  /** Pulled from the source, not started: it does not fit in the budget yet. */
  let held: InputFile | undefined;
  let aheadBytes = 0;
  let done = false;
  let failure: { error: unknown } | undefined;
  let pulling: Promise<void> | undefined;
  const fits = (file: InputFile) =>
    queue.length === 0 || (queue.length < limits.objects && aheadBytes + file.size <= limits.bytes);
  const pull = async (): Promise<void> => {
    for (;;) {
      if (held === undefined) {
        if (done || failure || queue.length >= limits.objects) return;
        let step: IteratorResult<InputFile>;
        try {
          step = await source.next();
        } catch (error) {
          failure = { error };
          return;
        }
        if (step.done) {
          done = true;
          return;
        }
        held = step.value;
      }
      if (!fits(held)) return;
      const file = held;
      held = undefined;
      const bytes = Promise.resolve().then(() => readOne(file));
      // Handled when its turn comes; until then a failure must not count as unhandled.
      bytes.catch(() => {});
      queue.push({ file, bytes });
      aheadBytes += file.size;
    }
  };
  const topUp = (): Promise<void> => {
    pulling ??= pull().finally(() => {
      pulling = undefined;
    });
    return pulling;
  };
  return {
    async next() {
      while (queue.length === 0 && (held !== undefined || (!done && !failure))) await topUp();
      const entry = queue.shift();
      if (!entry) {
        if (failure) {
          const { error } = failure;
          failure = undefined;
          done = true;
          throw error;
        }
        return undefined;
      }
      aheadBytes -= entry.file.size;
      void topUp();
      return entry;
    },
  };
}
