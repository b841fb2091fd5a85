/**
 * Verifies a trail archive (a local copy or an S3 prefix) or one newly delivered digest against its
 * digest chain. Pure apart from the injected reader and key resolver.
 *
 * Statuses, per file:
 * - `valid`: signature (digest) or hash (log file) checked and right;
 * - `invalid`: a hash or signature mismatch, a digest not where it says it is, a digest signed by a key
 *   the region does not have;
 * - `missing`: listed by a digest, or chained from one, but absent;
 * - `unlisted`: a log file delivered inside a period the digests cover but listed in none (injected);
 * - `unverifiable`: cannot be checked here (the newest digest of a local copy, whose own signature lives
 *   only in S3 object metadata; a log file no digest covers; an unknown algorithm).
 */
import type { KeyObject } from 'node:crypto';
import { errorMessage } from '../../shared/errors';
import { cryptoConstants, verify as verifySignature } from '../../shared/lazy-builtins';
import {
  canonicalKey,
  type Digest,
  DigestFormatError,
  type FileKind,
  hashedBytes,
  hashHex,
  keyFacts,
  type KeyFacts,
  ownHashAlgorithm,
  parseDigest,
  stringToSign,
} from './digest-format';
import type { KeyResolver } from './public-keys';

export const FILE_STATUSES = ['valid', 'invalid', 'missing', 'unlisted', 'unverifiable'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export interface FileResult {
  /** The S3 key or the path. */
  file: string;
  kind: FileKind;
  status: FileStatus;
  reason: string;
}

export interface ArchiveEntry {
  /** What results name: the S3 key, or the path as given. */
  name: string;
  /** S3 bucket (S3 archives); undefined for a local copy. */
  bucket?: string;
  /** S3 key, or the path relative to the archive root. */
  key: string;
}

/** What a reader throws for a file that is not there: reported as `missing`. */
export class MissingFileError extends Error {
  override readonly name = 'MissingFileError';
}

/** A read failure that may pass on retry (throttling, network): not a verdict on the file, so it propagates. */
function isTransient(error: unknown): boolean {
  return (error as { retryable?: unknown })?.retryable === true;
}

export interface ArchiveReader {
  /** The stored bytes (gzip as delivered). */
  read(entry: ArchiveEntry): Promise<Uint8Array>;
  /** The digest's own signature from S3 object metadata; undefined where there is none (local copies). */
  signatureOf?(entry: ArchiveEntry): Promise<{ signature: string; algorithm?: string } | undefined>;
}

export interface ArchiveSummary {
  files: number;
  digests: number;
  logFiles: number;
  hoursCovered: number;
  /** Breaks in a chain: a starting digest after the first, or time between one digest's end and the next's start. */
  gaps: { stream: string; from: string; to: string }[];
  failures: number;
  byStatus: Record<FileStatus, number>;
}

/** Slack between a digest's end and the next one's start that is not a gap (delivery jitter). */
const CHAIN_SLACK_MS = 5 * 60_000;

interface LoadedDigest {
  entry: ArchiveEntry;
  facts: KeyFacts;
  stored?: Uint8Array;
  digest?: Digest;
  /** Hex hash of the file as its own signature and the next digest's link cover it. */
  ownHash?: string;
  result?: FileResult;
  /** The signature as the next digest records it. */
  chainedSignature?: string;
  chainedFrom?: string;
}

function result(file: string, kind: FileKind, status: FileStatus, reason: string): FileResult {
  return { file, kind, status, reason };
}

function streamOf(facts: KeyFacts): string {
  return [facts.format, facts.prefix, facts.account ?? '', facts.region, facts.trail ?? ''].join('\u0000');
}

function describeStream(facts: KeyFacts): string {
  return `${facts.prefix}${facts.account ?? ''}/${facts.region}${facts.trail ? ` trail ${facts.trail}` : ''}`;
}

/** Location key for matching what a digest lists to what the archive holds. */
function locate(bucket: string | undefined, key: string, local: boolean): string {
  return local ? canonicalKey(key) : `${bucket}/${key}`;
}

export function checkSignature(
  digest: Digest,
  ownHash: string,
  signatureHex: string,
  key: KeyObject,
): { ok: boolean; reason: string } {
  if (digest.signatureAlgorithm.toUpperCase() !== 'SHA256WITHRSA')
    return { ok: false, reason: `unsupported signature algorithm ${digest.signatureAlgorithm}` };
  if (!/^[0-9a-f]+$/i.test(signatureHex) || signatureHex.length % 2 !== 0)
    return { ok: false, reason: 'signature is not hex' };
  const data = Buffer.from(stringToSign(digest, ownHash, digest.previous?.signature), 'utf8');
  let ok = false;
  try {
    ok = verifySignature(
      'sha256',
      data,
      { key, padding: cryptoConstants().RSA_PKCS1_PADDING },
      Buffer.from(signatureHex, 'hex'),
    );
  } catch {
    ok = false;
  }
  return ok ? { ok, reason: 'signature verified' } : { ok, reason: 'signature does not verify' };
}

export interface VerifyOptions {
  /** True for a local copy: files are matched by their `AWSLogs/…` path, not bucket and key. */
  local: boolean;
  resolveKey: KeyResolver;
  /** Called after each file is checked (progress bars). */
  onProgress?: (done: number, total: number) => void;
  /** How many log files are read at once. */
  concurrency?: number;
  /**
   * Check one digest (the function, when a digest arrives): only its link to the previous digest and
   * its own log files; the entries are everything it references, so one not among them is missing.
   */
  focus?: ArchiveEntry;
}

/** Verifies every digest and trail file of an archive. Files that are neither are ignored. */
export async function verifyArchive(
  entries: readonly ArchiveEntry[],
  reader: ArchiveReader,
  options: VerifyOptions,
): Promise<{ results: FileResult[]; summary: ArchiveSummary }> {
  const results: FileResult[] = [];
  const digests: LoadedDigest[] = [];
  const logs: { entry: ArchiveEntry; facts: KeyFacts }[] = [];
  for (const entry of entries) {
    const facts = keyFacts(entry.key);
    if (!facts) continue;
    if (facts.kind === 'digest') digests.push({ entry, facts });
    else logs.push({ entry, facts });
  }
  const total = digests.length + logs.length;
  let done = 0;
  const tick = () => options.onProgress?.(++done, total);

  // 1. Read and parse every digest; check it is where it says it is.
  for (const loaded of digests) {
    const { entry, facts } = loaded;
    try {
      loaded.stored = await reader.read(entry);
      const plain = Buffer.from(hashedBytes('cloudtrail', loaded.stored)).toString('utf8');
      loaded.digest = parseDigest(facts.format, plain);
      loaded.ownHash = hashHex(ownHashAlgorithm(facts.format), hashedBytes(facts.format, loaded.stored));
      const where = locate(loaded.digest.bucket, loaded.digest.object, options.local);
      if (where !== locate(entry.bucket, entry.key, options.local))
        loaded.result = result(
          entry.name,
          'digest',
          'invalid',
          `digest says it is ${loaded.digest.bucket}/${loaded.digest.object}`,
        );
    } catch (error) {
      if (isTransient(error)) throw error;
      if (error instanceof MissingFileError) {
        loaded.result = result(entry.name, 'digest', 'missing', errorMessage(error));
        loaded.stored = undefined;
        continue;
      }
      loaded.result =
        error instanceof DigestFormatError
          ? result(entry.name, 'digest', 'invalid', `not a readable digest: ${error.message}`)
          : result(entry.name, 'digest', 'unverifiable', `cannot be read: ${errorMessage(error)}`);
    }
  }
  const byLocation = new Map<string, LoadedDigest>();
  for (const loaded of digests)
    if (loaded.result?.status !== 'missing')
      byLocation.set(locate(loaded.entry.bucket, loaded.entry.key, options.local), loaded);
  const folders = new Set(entries.map((entry) => canonicalKey(entry.key).replace(/[^/]*$/, '')));

  // 2. Chain links: each digest names its predecessor's hash and signature.
  for (const loaded of digests) {
    const previous = loaded.digest?.previous;
    if (!previous || !loaded.digest) continue;
    const target = byLocation.get(locate(previous.bucket, previous.object, options.local));
    if (options.focus && loaded.entry !== options.focus) continue;
    if (!target) {
      const inArchive = options.focus || folders.has(canonicalKey(previous.object).replace(/[^/]*$/, ''));
      if (options.focus && digests.some((d) => d.result?.status === 'missing' && d.entry.key === previous.object))
        continue;
      results.push(
        inArchive
          ? result(previous.object, 'digest', 'missing', `chained from ${loaded.entry.name}, but absent`)
          : result(
              previous.object,
              'digest',
              'unverifiable',
              `outside the archive (chained from ${loaded.entry.name})`,
            ),
      );
      continue;
    }
    if (target.result) continue;
    if (target.chainedSignature !== undefined && target.chainedSignature !== previous.signature) {
      target.result = result(
        target.entry.name,
        'digest',
        'invalid',
        `two digests chain to it with different signatures (${target.chainedFrom}, ${loaded.entry.name})`,
      );
      continue;
    }
    const expected = hashHex(previous.hashAlgorithm, hashedBytes(target.facts.format, target.stored as Uint8Array));
    if (expected === undefined) {
      target.result = result(
        target.entry.name,
        'digest',
        'unverifiable',
        `unknown hash algorithm ${previous.hashAlgorithm}`,
      );
    } else if (expected !== previous.hash) {
      target.result = result(
        target.entry.name,
        'digest',
        'invalid',
        `hash does not match the one recorded in ${loaded.entry.name}`,
      );
    }
    target.chainedSignature = previous.signature;
    target.chainedFrom = loaded.entry.name;
  }

  // 3. Signatures: from the next digest's link, else from the object metadata.
  for (const loaded of digests) {
    if (!loaded.result && loaded.digest) loaded.result = await checkDigest(loaded, reader, options.resolveKey);
    results.push(loaded.result as FileResult);
    tick();
  }

  // 4. Log files: every listed one hashed, every unlisted one inside the covered period flagged.
  const listed = new Map<string, Listing>();
  for (const loaded of digests) {
    if (options.focus && loaded.entry !== options.focus) continue;
    for (const file of loaded.digest?.logFiles ?? [])
      listed.set(locate(file.bucket, file.object, options.local), {
        object: file.object,
        hash: file.hash,
        algorithm: file.hashAlgorithm,
        by: loaded,
      });
  }
  const present = new Set<string>();
  const coverage = coverageOf(digests);
  const queue = [...logs];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const where = locate(next.entry.bucket, next.entry.key, options.local);
      present.add(where);
      results.push(await checkLogFile(next.entry, next.facts, listed.get(where), coverage, reader));
      tick();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  for (const [where, info] of listed) {
    if (!present.has(where))
      results.push(result(info.object, 'log', 'missing', `listed in ${info.by.entry.name}, but absent`));
  }
  // Deterministic output whatever order the reads finished in: by the key from AWSLogs/ on.
  const order = (r: FileResult) => canonicalKey(r.file);
  results.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return { results, summary: summarize(results, digests, coverage) };
}

async function checkDigest(loaded: LoadedDigest, reader: ArchiveReader, resolveKey: KeyResolver): Promise<FileResult> {
  const { entry, facts } = loaded;
  const digest = loaded.digest as Digest;
  let signature = loaded.chainedSignature;
  let source = `recorded in ${loaded.chainedFrom}`;
  const meta = await reader.signatureOf?.(entry);
  if (meta && signature !== undefined && meta.signature.toLowerCase() !== signature)
    return result(
      entry.name,
      'digest',
      'invalid',
      `signature in its metadata differs from the one recorded in ${loaded.chainedFrom}`,
    );
  if (signature === undefined && meta) {
    signature = meta.signature.toLowerCase();
    source = 'from its object metadata';
  }
  if (signature === undefined)
    return result(
      entry.name,
      'digest',
      'unverifiable',
      'newest digest: its signature lives only in S3 object metadata',
    );
  if (loaded.ownHash === undefined) return result(entry.name, 'digest', 'unverifiable', 'cannot hash it');
  const key = await resolveKey(facts.region, digest);
  if (!key)
    return result(
      entry.name,
      'digest',
      'invalid',
      `no public key with fingerprint ${digest.fingerprint ?? '(none)'} in ${facts.region} for its period`,
    );
  const checked = checkSignature(digest, loaded.ownHash, signature, key);
  return result(entry.name, 'digest', checked.ok ? 'valid' : 'invalid', `${checked.reason} (signature ${source})`);
}

interface Listing {
  object: string;
  hash: string;
  algorithm: string;
  by: LoadedDigest;
}

type Coverage = Map<string, { from: number; to: number }[]>;

/**
 * Per account / region (and prefix): the periods the readable digests cover. Along one trail's chain,
 * a digest that names a predecessor covers back to it, even when that predecessor is missing: the
 * files delivered in the hole of a deleted digest are still inside the chain.
 */
function coverageOf(digests: readonly LoadedDigest[]): Coverage {
  const chains = new Map<string, LoadedDigest[]>();
  for (const loaded of digests) {
    if (!loaded.digest) continue;
    const key = streamOf(loaded.facts);
    chains.set(key, [...(chains.get(key) ?? []), loaded]);
  }
  const periods: Coverage = new Map();
  for (const chain of chains.values()) {
    chain.sort((a, b) => (a.digest as Digest).endTime - (b.digest as Digest).endTime);
    const key = logStream(chain[0].facts);
    const list = periods.get(key) ?? [];
    let last: { from: number; to: number } | undefined;
    for (const loaded of chain) {
      const digest = loaded.digest as Digest;
      if (last && (digest.previous || digest.startTime <= last.to + CHAIN_SLACK_MS))
        last.to = Math.max(last.to, digest.endTime);
      else {
        last = { from: digest.startTime, to: digest.endTime };
        list.push(last);
      }
    }
    periods.set(key, list);
  }
  for (const [key, list] of periods) {
    list.sort((a, b) => a.from - b.from);
    const merged: { from: number; to: number }[] = [];
    for (const period of list) {
      const last = merged[merged.length - 1];
      if (last && period.from <= last.to + CHAIN_SLACK_MS) last.to = Math.max(last.to, period.to);
      else merged.push({ ...period });
    }
    periods.set(key, merged);
  }
  return periods;
}

/** Log files carry no trail name: they are matched to digests by prefix, account and region. */
function logStream(facts: KeyFacts): string {
  return [facts.format, facts.prefix, facts.account ?? '', facts.region].join('\u0000');
}

async function checkLogFile(
  entry: ArchiveEntry,
  facts: KeyFacts,
  listing: Listing | undefined,
  coverage: Coverage,
  reader: ArchiveReader,
): Promise<FileResult> {
  if (!listing) {
    const periods = coverage.get(logStream(facts));
    if (!periods)
      return result(entry.name, 'log', 'unverifiable', 'no digest of this account and region in the archive');
    // Names carry the delivery minute: the whole minute must lie inside a covered period.
    const time = facts.time;
    const inside =
      time !== undefined &&
      periods.some((p) => time >= p.from && time + (facts.format === 'cloudtrail' ? 60_000 : 1_000) <= p.to);
    return inside
      ? result(entry.name, 'log', 'unlisted', 'delivered inside a period the digests cover, but listed in none')
      : result(entry.name, 'log', 'unverifiable', 'no digest in the archive covers its delivery time');
  }
  let actual: string | undefined;
  try {
    actual = hashHex(listing.algorithm, hashedBytes(facts.format, await reader.read(entry)));
  } catch (error) {
    if (isTransient(error)) throw error;
    if (error instanceof MissingFileError)
      return result(entry.name, 'log', 'missing', `listed in ${listing.by.entry.name}, but absent`);
    return result(entry.name, 'log', 'unverifiable', `cannot be read: ${errorMessage(error)}`);
  }
  if (actual === undefined)
    return result(entry.name, 'log', 'unverifiable', `unknown hash algorithm ${listing.algorithm}`);
  if (actual !== listing.hash)
    return result(entry.name, 'log', 'invalid', `hash does not match the one listed in ${listing.by.entry.name}`);
  const digestStatus = listing.by.result?.status;
  if (digestStatus !== 'valid')
    return result(
      entry.name,
      'log',
      'unverifiable',
      `hash matches ${listing.by.entry.name}, whose own status is ${digestStatus}`,
    );
  return result(entry.name, 'log', 'valid', `hash matches ${listing.by.entry.name}`);
}

function summarize(
  results: readonly FileResult[],
  digests: readonly LoadedDigest[],
  coverage: Coverage,
): ArchiveSummary {
  const byStatus = Object.fromEntries(FILE_STATUSES.map((s) => [s, 0])) as Record<FileStatus, number>;
  for (const r of results) byStatus[r.status] += 1;
  let covered = 0;
  for (const periods of coverage.values()) for (const p of periods) covered += p.to - p.from;
  const gaps: ArchiveSummary['gaps'] = [];
  const streams = new Map<string, LoadedDigest[]>();
  for (const loaded of digests) {
    if (!loaded.digest) continue;
    const key = streamOf(loaded.facts);
    streams.set(key, [...(streams.get(key) ?? []), loaded]);
  }
  for (const list of streams.values()) {
    list.sort((a, b) => (a.digest as Digest).endTime - (b.digest as Digest).endTime);
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1].digest as Digest;
      const after = list[i].digest as Digest;
      if (!after.previous || after.startTime - before.endTime > CHAIN_SLACK_MS)
        gaps.push({
          stream: describeStream(list[i].facts),
          from: new Date(before.endTime).toISOString(),
          to: new Date(after.startTime).toISOString(),
        });
    }
  }
  return {
    files: results.length,
    digests: results.filter((r) => r.kind === 'digest').length,
    logFiles: results.filter((r) => r.kind === 'log').length,
    hoursCovered: Math.round((covered / 3_600_000) * 10) / 10,
    gaps,
    failures: byStatus.invalid + byStatus.missing + byStatus.unlisted,
    byStatus,
  };
}

/** Exit status of `trailguard verify`: 0 unless something is invalid, missing or unlisted. */
export function hasFailures(results: readonly FileResult[]): boolean {
  return results.some((r) => r.status === 'invalid' || r.status === 'missing' || r.status === 'unlisted');
}
