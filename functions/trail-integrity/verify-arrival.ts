/**
 * One digest as it arrives (its S3 object-created notification): the digest's own signature from its
 * object metadata, the link to the previous digest (hash, and the previous digest's signature as this
 * one records it), and the hash of every log file it lists. Log files nobody listed cannot be seen from
 * one digest: `trailguard verify` over the prefix finds those.
 */
import { FetchError } from '../../shared/errors';
import { type FetchObjectWithMetadata, isMissingObject } from '../../shared/platform/s3-fetch';
import { hashedBytes, keyFacts, parseDigest } from './digest-format';
import type { KeyResolver } from './public-keys';
import { type ArchiveEntry, type FileResult, MissingFileError, verifyArchive } from './verify-digests';

export interface DigestPointer {
  bucket: string;
  key: string;
  region?: string;
}

export async function verifyArrivedDigest(
  pointer: DigestPointer,
  fetch: FetchObjectWithMetadata,
  resolveKey: KeyResolver,
): Promise<FileResult[]> {
  const facts = keyFacts(pointer.key);
  if (facts?.kind !== 'digest')
    return [
      { file: pointer.key, kind: 'digest', status: 'unverifiable', reason: 'not a CloudTrail or CTS digest key' },
    ];
  const metadata = new Map<string, Record<string, string>>();
  const read = async (entry: ArchiveEntry): Promise<Uint8Array> => {
    try {
      const object = await fetch(entry.bucket ?? pointer.bucket, entry.key, pointer.region);
      metadata.set(`${entry.bucket}/${entry.key}`, object.metadata);
      return object.bytes;
    } catch (error) {
      if (error instanceof FetchError && isMissingObject(error)) throw new MissingFileError('absent from the bucket');
      throw error;
    }
  };
  const self: ArchiveEntry = { name: pointer.key, bucket: pointer.bucket, key: pointer.key };
  let stored: Uint8Array;
  try {
    stored = await read(self);
  } catch (error) {
    if (error instanceof MissingFileError)
      return [{ file: pointer.key, kind: 'digest', status: 'missing', reason: 'deleted right after delivery' }];
    throw error;
  }
  const entries: ArchiveEntry[] = [self];
  try {
    // Both are read uncompressed (hashedBytes('cloudtrail') gunzips); CTS hashes the stored bytes.
    const digest = parseDigest(facts.format, Buffer.from(hashedBytes('cloudtrail', stored)).toString('utf8'));
    if (digest.previous)
      entries.push({ name: digest.previous.object, bucket: digest.previous.bucket, key: digest.previous.object });
    for (const file of digest.logFiles) entries.push({ name: file.object, bucket: file.bucket, key: file.object });
  } catch {
    // verifyArchive reports the unreadable digest itself.
  }
  // CloudTrail: x-amz-meta-signature. CTS: "meta-signature" (huawei-facts §8), read as x-obs-meta-signature;
  // a literal `meta-signature` metadata name is accepted too (UNVERIFIED which one CTS writes).
  const meta = (entry: ArchiveEntry, name: string) => {
    const found = metadata.get(`${entry.bucket}/${entry.key}`);
    return found?.[name] ?? found?.[`meta-${name}`];
  };
  const signature = (entry: ArchiveEntry) => meta(entry, 'signature');
  const { results } = await verifyArchive(
    entries,
    {
      read: async (entry) =>
        entry === self || (entry.key === self.key && entry.bucket === self.bucket) ? stored : read(entry),
      signatureOf: async (entry) => {
        const hex = signature(entry);
        return hex ? { signature: hex, algorithm: meta(entry, 'signature-algorithm') } : undefined;
      },
    },
    { local: false, resolveKey, focus: self, concurrency: 4 },
  );
  // CloudTrail signs every digest it delivers: one without a signature was not written by CloudTrail.
  return results.map((r) =>
    r.file === pointer.key && r.kind === 'digest' && r.status === 'unverifiable' && !signature(self)
      ? {
          ...r,
          status: 'invalid',
          reason: `no signature in its object metadata (${facts.format === 'cts' ? 'x-obs-meta-signature' : 'x-amz-meta-signature'})`,
        }
      : r,
  );
}
