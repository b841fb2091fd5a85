/**
 * `replay <fn> s3://bucket/prefix/`: the log files under a prefix, listed, filtered by the date in their
 * key (`--since` / `--until`) and fetched ahead of the pipeline a few at a time, within a byte budget, so a
 * month of trail streams through with a bounded amount of it in memory.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { errorMessage } from '../shared/errors';
import { createS3Fetcher } from '../shared/platform/s3-fetch';
import type { InputFile } from './read-inputs';

/** Objects fetched at once, and the compressed bytes fetched ahead of the pipeline at most. */
export const PREFETCH_OBJECTS = 8;
export const PREFETCH_BYTES = 64 * 1024 * 1024;

/** What listing picks up under a prefix: log files, not manifests, inventories or folders. */
const LOG_OBJECT = /\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i;

/** `s3://bucket/prefix` (or `obs://`, the same API at an OBS endpoint); undefined for a local path. */
export function parseBucketUrl(path: string): { bucket: string; prefix: string } | undefined {
  const match = /^(s3|obs):\/\/([^/]+)\/?(.*)$/.exec(path);
  return match ? { bucket: match[2], prefix: match[3] } : undefined;
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

/** Every log object under `prefix`, in key order (ListObjectsV2 pages of up to 1,000). */
export async function listBucketInputs(
  client: () => Promise<S3Client>,
  location: { bucket: string; prefix: string },
  range: DateRange,
): Promise<ListedObjects> {
  const [{ ListObjectsV2Command }, s3] = await Promise.all([import('@aws-sdk/client-s3'), client()]);
  const files: InputFile[] = [];
  let outOfRange = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key;
      if (key === undefined || key.endsWith('/') || !LOG_OBJECT.test(key)) continue;
      if (!inRange(key, range)) {
        outOfRange += 1;
        continue;
      }
      files.push({
        path: `s3://${location.bucket}/${key}`,
        size: object.Size ?? 0,
        object: { bucket: location.bucket, key },
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { files, outOfRange };
}

/** Why listing failed, for `error: s3://bucket/prefix: …`. */
export function listingProblem(path: string, error: unknown): string {
  const name = (error as { name?: string })?.name;
  return `${path}: ${name && name !== 'Error' ? `${name}: ` : ''}${errorMessage(error)}`;
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
 * Reads inputs in order, each started ahead of its turn: up to `objects` reads in flight and up to
 * `bytes` (by listed size) read but not yet taken. `read(i)` must be called for i = 0, 1, 2, …
 */
export function createReadAhead(
  files: readonly InputFile[],
  readOne: (file: InputFile) => Promise<Uint8Array>,
  limits: { objects: number; bytes: number } = { objects: PREFETCH_OBJECTS, bytes: PREFETCH_BYTES },
): { read(index: number): Promise<Uint8Array> } {
  const started = new Map<number, Promise<Uint8Array>>();
  let next = 0;
  let aheadBytes = 0;
  const topUp = () => {
    while (
      next < files.length &&
      started.size < limits.objects &&
      (started.size === 0 || aheadBytes + files[next].size <= limits.bytes)
    ) {
      const index = next++;
      const reading = Promise.resolve().then(() => readOne(files[index]));
      // Handled when its turn comes; until then a failure must not count as unhandled.
      reading.catch(() => {});
      started.set(index, reading);
      aheadBytes += files[index].size;
    }
  };
  return {
    read(index) {
      if (!started.has(index)) {
        next = Math.max(next, index);
        topUp();
      }
      const reading = started.get(index) as Promise<Uint8Array>;
      started.delete(index);
      aheadBytes -= files[index].size;
      topUp();
      return reading;
    },
  };
}
