/**
 * Digest files of CloudTrail (log file integrity validation) and Huawei CTS (trace file verification):
 * recognising their object keys, reading them into one shape, and the string each one's signature
 * covers. Pure, node:crypto and node:zlib only (loaded on first use: shared/lazy-builtins.ts).
 *
 * CloudTrail (aws-facts §7): hashes are hex SHA-256 of the *uncompressed* file; the signature (RSA
 * PKCS#1 v1.5, SHA-256) covers `digestEndTime \n bucket/object \n sha256(digest) \n previousSignature`,
 * the literal `null` for a starting digest.
 * CTS (huawei-facts §8, UNVERIFIED against real files): hashes are hex MD5 of the *compressed* file (the
 * OBS ETag); the signature covers `digest_end_time + digest_object + md5(digest) + previous_signature`,
 * with no separators.
 */
import { createHash, gunzipSync } from '../../shared/lazy-builtins';
import { isRecord, own } from '../../shared/normalize/read-fields';

export type DigestFormat = 'cloudtrail' | 'cts';
export type FileKind = 'log' | 'digest';

export interface ListedLogFile {
  bucket: string;
  object: string;
  hash: string;
  hashAlgorithm: string;
}

export interface Digest {
  format: DigestFormat;
  bucket: string;
  object: string;
  /** The end time as written in the file: it is part of the signed string. */
  endTimeText: string;
  startTime: number;
  endTime: number;
  fingerprint?: string;
  signatureAlgorithm: string;
  /** Absent on a starting digest (all previous fields null). */
  previous?: { bucket: string; object: string; hash: string; hashAlgorithm: string; signature: string };
  logFiles: ListedLogFile[];
}

export interface KeyFacts {
  format: DigestFormat;
  kind: FileKind;
  /** Everything before `AWSLogs/` / `CloudTraces/` (bucket prefix), to keep trails in one bucket apart. */
  prefix: string;
  /** The key from `AWSLogs/` or `CloudTraces/` on: how a local copy and an S3 key are matched. */
  canonical: string;
  account?: string;
  region: string;
  trail?: string;
  /** Delivery time from the name (ms), when the name has one. */
  time?: number;
}

const CLOUDTRAIL_KEY =
  /^(.*?)(AWSLogs\/(?:o-[a-z0-9]{10,32}\/)?(\d{12})\/(CloudTrail|CloudTrail-Digest)\/([a-z0-9-]+)\/\d{4}\/\d{2}\/\d{2}\/([^/]+))$/;
const CLOUDTRAIL_LOG_NAME = /^\d{12}_CloudTrail_[a-z0-9-]+_(\d{8}T\d{4})Z_[A-Za-z0-9]+\.json(?:\.gz)?$/;
const CLOUDTRAIL_DIGEST_NAME = /^\d{12}_CloudTrail-Digest_[a-z0-9-]+_(.+)_[a-z0-9-]+_(\d{8}T\d{6})Z\.json(?:\.gz)?$/;
const CTS_KEY = /^(.*?)(CloudTraces\/([a-z0-9-]+)\/.*)$/;
const CTS_TIME = /_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})Z(?:_[0-9a-f]+)?\.json(?:\.gz)?$/;

function compactTime(text: string): number {
  // 20150817T150131 / 20150817T1445
  const iso = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15) || '00'}Z`;
  return Date.parse(iso);
}

/** `2017-03-28T02-09-17Z` (CTS) or ISO 8601 → ms; NaN when neither. */
export function parseDigestTime(text: string): number {
  const cts = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/.exec(text);
  if (cts) return Date.parse(`${cts[1]}T${cts[2]}:${cts[3]}:${cts[4]}Z`);
  return /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
}

/** What a key (or a path) says about the file, or undefined when it is neither a trail file nor a digest. */
export function keyFacts(key: string): KeyFacts | undefined {
  const normalized = key.replace(/\\/g, '/');
  const ct = CLOUDTRAIL_KEY.exec(normalized);
  if (ct) {
    const [, prefix, canonical, account, folder, region, name] = ct;
    if (folder === 'CloudTrail') {
      const m = CLOUDTRAIL_LOG_NAME.exec(name);
      return {
        format: 'cloudtrail',
        kind: 'log',
        prefix,
        canonical,
        account,
        region,
        time: m ? compactTime(m[1]) : undefined,
      };
    }
    const m = CLOUDTRAIL_DIGEST_NAME.exec(name);
    if (!m) return undefined;
    return {
      format: 'cloudtrail',
      kind: 'digest',
      prefix,
      canonical,
      account,
      region,
      trail: m[1],
      time: compactTime(m[2]),
    };
  }
  const cts = CTS_KEY.exec(normalized);
  if (cts && /_CloudTrace(-Digest)?_/.test(cts[2])) {
    const [, prefix, canonical, region] = cts;
    const kind: FileKind = canonical.includes('_CloudTrace-Digest_') ? 'digest' : 'log';
    const time = CTS_TIME.exec(canonical);
    // Trackers keep their files apart by folder: CloudTraces/<region>/<y>/<m>/<d>/<tracker>/…
    const tracker = /^CloudTraces\/[^/]+\/\d{4}\/\d{1,2}\/\d{1,2}\/([^/]+)\//.exec(canonical)?.[1];
    return {
      format: 'cts',
      kind,
      prefix,
      canonical,
      region,
      trail: tracker === 'Digest' ? undefined : tracker,
      time: time ? parseDigestTime(`${time[1]}Z`) : undefined,
    };
  }
  return undefined;
}

/** The bytes as the hash covers them: CloudTrail hashes the gunzipped file, CTS the stored one. */
export function hashedBytes(format: DigestFormat, stored: Uint8Array, maxBytes = 512 * 1024 * 1024): Uint8Array {
  if (format === 'cts') return stored;
  return isGzip(stored) ? gunzipSync(stored, { maxOutputLength: maxBytes }) : stored;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const NODE_HASHES: Record<string, string> = { 'SHA-256': 'sha256', SHA256: 'sha256', MD5: 'md5', 'SHA-1': 'sha1' };

/** Hex digest with the algorithm a digest names (`SHA-256`, `MD5`), or undefined for one we do not know. */
export function hashHex(algorithm: string, bytes: Uint8Array): string | undefined {
  const name = NODE_HASHES[algorithm.toUpperCase()];
  return name ? createHash(name).update(bytes).digest('hex') : undefined;
}

export class DigestFormatError extends Error {
  override readonly name = 'DigestFormatError';
}

function str(doc: unknown, key: string, required = true): string | undefined {
  const value = own(doc, key);
  if (typeof value === 'string' && value !== '') return value;
  if (value === null || value === undefined) {
    if (required) throw new DigestFormatError(`${key} is missing`);
    return undefined;
  }
  throw new DigestFormatError(`${key} is not a string`);
}

/** Reads a digest document (already uncompressed JSON text). Throws DigestFormatError with the field at fault. */
export function parseDigest(format: DigestFormat, json: string): Digest {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (error) {
    throw new DigestFormatError(`not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(doc)) throw new DigestFormatError('not a JSON object');
  return format === 'cloudtrail' ? parseCloudTrailDigest(doc) : parseCtsDigest(doc);
}

function times(startText: string, endText: string): { startTime: number; endTime: number } {
  const startTime = parseDigestTime(startText);
  const endTime = parseDigestTime(endText);
  if (Number.isNaN(startTime) || Number.isNaN(endTime))
    throw new DigestFormatError('digest start or end time is not a time');
  return { startTime, endTime };
}

function logList(doc: unknown, key: string, fields: [string, string, string, string]): ListedLogFile[] {
  const list = own(doc, key);
  if (!Array.isArray(list)) throw new DigestFormatError(`${key} is not a list`);
  return list.map((entry, i) => {
    if (!isRecord(entry)) throw new DigestFormatError(`${key}[${i}] is not an object`);
    const [bucket, object, hash, algorithm] = fields.map((field) => {
      const value = own(entry, field);
      if (typeof value !== 'string' || value === '') throw new DigestFormatError(`${key}[${i}].${field} is missing`);
      return value;
    });
    return { bucket, object, hash: hash.toLowerCase(), hashAlgorithm: algorithm };
  });
}

function previousOf(fields: (string | undefined)[]): Digest['previous'] {
  const present = fields.filter((f) => f !== undefined).length;
  if (present === 0) return undefined;
  if (present !== fields.length) throw new DigestFormatError('previous digest fields are partly null');
  const [bucket, object, hash, hashAlgorithm, signature] = fields as string[];
  return { bucket, object, hash: hash.toLowerCase(), hashAlgorithm, signature: signature.toLowerCase() };
}

function parseCloudTrailDigest(doc: unknown): Digest {
  const endTimeText = str(doc, 'digestEndTime') as string;
  return {
    format: 'cloudtrail',
    bucket: str(doc, 'digestS3Bucket') as string,
    object: str(doc, 'digestS3Object') as string,
    endTimeText,
    ...times(str(doc, 'digestStartTime') as string, endTimeText),
    fingerprint: str(doc, 'digestPublicKeyFingerprint')?.toLowerCase(),
    signatureAlgorithm: str(doc, 'digestSignatureAlgorithm') as string,
    previous: previousOf(
      [
        'previousDigestS3Bucket',
        'previousDigestS3Object',
        'previousDigestHashValue',
        'previousDigestHashAlgorithm',
        'previousDigestSignature',
      ].map((key) => str(doc, key, false)),
    ),
    logFiles: logList(doc, 'logFiles', ['s3Bucket', 's3Object', 'hashValue', 'hashAlgorithm']),
  };
}

function parseCtsDigest(doc: unknown): Digest {
  const endTimeText = str(doc, 'digest_end_time') as string;
  return {
    format: 'cts',
    bucket: str(doc, 'digest_bucket') as string,
    object: str(doc, 'digest_object') as string,
    endTimeText,
    ...times(str(doc, 'digest_start_time') as string, endTimeText),
    signatureAlgorithm: str(doc, 'digest_signature_algorithm') as string,
    previous: previousOf(
      [
        'previous_digest_bucket',
        'previous_digest_object',
        'previous_digest_hash_value',
        'previous_digest_hash_algorithm',
        'previous_digest_signature',
      ].map((key) => str(doc, key, false)),
    ),
    logFiles: logList(doc, 'log_files', ['bucket', 'object', 'log_hash_value', 'log_hash_algorithm']),
  };
}

/** Hash algorithm of the digest file itself inside its own signed string. */
export function ownHashAlgorithm(format: DigestFormat): string {
  return format === 'cloudtrail' ? 'SHA-256' : 'MD5';
}

/** The exact text the digest's signature covers (see the module comment). */
export function stringToSign(digest: Digest, ownHashHex: string, previousSignature: string | undefined): string {
  if (digest.format === 'cloudtrail') {
    // aws-cli writes the literal "null" for a starting digest, "to match the Java implementation".
    return `${digest.endTimeText}\n${digest.bucket}/${digest.object}\n${ownHashHex}\n${previousSignature ?? 'null'}`;
  }
  return `${digest.endTimeText}${digest.object}${ownHashHex}${previousSignature ?? ''}`;
}

/** The key from `AWSLogs/` or `CloudTraces/` on (an object key inside a digest, or a local path). */
export function canonicalKey(key: string): string {
  const normalized = key.replace(/\\/g, '/');
  const at = normalized.search(/(^|\/)(AWSLogs|CloudTraces)\//);
  if (at < 0) return normalized;
  return normalized.slice(normalized[at] === '/' ? at + 1 : at);
}
