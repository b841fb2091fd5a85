/**
 * Builds CloudTrail digest chains exactly as aws-facts §7 documents them, with keys generated here:
 * log files gzipped, `hashValue` = hex SHA-256 of the gunzipped file, each digest signed (RSA PKCS#1
 * v1.5, SHA-256) over `digestEndTime \n bucket/object \n sha256(gunzipped digest) \n previousSignature`
 * (`null` for the starting digest). Written from the documentation, not from the production code.
 */
import { createHash, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-2';
export const TRAIL = 'management-events';
export const BUCKET = 'acme-cloudtrail-111122223333';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  fingerprint: string;
}

export function signingKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'pkcs1' });
  return { privateKey, publicKey, fingerprint: createHash('md5').update(der).digest('hex') };
}

/** What `aws cloudtrail list-public-keys` prints for these keys (PKCS#1 for the first, SPKI for the others, as AWS's own sample mixes them). */
export function listPublicKeysJson(
  keys: SigningKey[],
  validFrom = '2026-01-01T00:00:00Z',
  validTo = '2027-01-01T00:00:00Z',
): string {
  return JSON.stringify({
    PublicKeyList: keys.map((key, i) => ({
      Value: key.publicKey.export({ format: 'der', type: i === 0 ? 'pkcs1' : 'spki' }).toString('base64'),
      ValidityStartTime: validFrom,
      ValidityEndTime: validTo,
      Fingerprint: key.fingerprint,
    })),
  });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function compact(ms: number, seconds: boolean): string {
  const iso = new Date(ms).toISOString();
  const base = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}`;
  return seconds ? base + iso.slice(17, 19) : base;
}

function datePath(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function logKey(ms: number, unique: string, prefix = ''): string {
  return `${prefix}AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/${datePath(ms)}/${ACCOUNT}_CloudTrail_${REGION}_${compact(ms, false)}Z_${unique}.json.gz`;
}

export function digestKey(ms: number, prefix = ''): string {
  return `${prefix}AWSLogs/${ACCOUNT}/CloudTrail-Digest/${REGION}/${datePath(ms)}/${ACCOUNT}_CloudTrail-Digest_${REGION}_${TRAIL}_${REGION}_${compact(ms, true)}Z.json.gz`;
}

export function logFileBytes(ms: number, n: number): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({
    eventVersion: '1.11',
    eventTime: isoSeconds(ms - 60_000 * (i + 1)),
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: REGION,
    sourceIPAddress: '198.51.100.7',
    userIdentity: { type: 'IAMUser', accountId: ACCOUNT, userName: 'alice' },
    eventID: `00000000-0000-4000-8000-${String(ms / 1000 + i).padStart(12, '0')}`,
    readOnly: true,
  }));
  return gzipSync(JSON.stringify({ Records: records }));
}

export interface ChainFile {
  key: string;
  bytes: Buffer;
  kind: 'log' | 'digest';
  /** Digest files: the signature CloudTrail stores as `x-amz-meta-signature`. */
  signature?: string;
}

export interface Chain {
  files: ChainFile[];
  digests: ChainFile[];
  logs: ChainFile[];
}

export function signDigest(
  json: Buffer,
  doc: {
    digestEndTime: string;
    digestS3Bucket: string;
    digestS3Object: string;
    previousDigestSignature: string | null;
  },
  key: KeyObject,
): string {
  const text = `${doc.digestEndTime}\n${doc.digestS3Bucket}/${doc.digestS3Object}\n${sha256(json)}\n${doc.previousDigestSignature ?? 'null'}`;
  return createSign('sha256').update(text).sign(key).toString('hex');
}

/**
 * `hours` hourly digests starting at `start`, each listing `logsPerHour[i]` log files (0 gives an empty
 * digest). The first digest is a starting digest (null previous fields).
 */
export function buildChain(
  key: SigningKey,
  start: number,
  logsPerHour: number[],
  prefix = '',
  logBytes: (at: number, i: number) => Buffer = (at, i) => logFileBytes(at, 3 + i),
): Chain {
  const files: ChainFile[] = [];
  let previous: { key: string; json: Buffer; signature: string } | undefined;
  logsPerHour.forEach((count, hour) => {
    const from = start + hour * 3_600_000;
    const to = from + 3_600_000;
    const logFiles = Array.from({ length: count }, (_, i) => {
      const at = from + (i + 1) * 600_000;
      const log: ChainFile = {
        key: logKey(at, `u${hour}x${i}abcdefghijkl`.slice(0, 16), prefix),
        bytes: logBytes(at, i),
        kind: 'log',
      };
      files.push(log);
      return {
        s3Bucket: BUCKET,
        s3Object: log.key,
        hashValue: sha256(gunzipSync(log.bytes)),
        hashAlgorithm: 'SHA-256',
        newestEventTime: isoSeconds(at - 60_000),
        oldestEventTime: isoSeconds(at - 60_000 * (3 + i)),
      };
    });
    const object = digestKey(to, prefix);
    const doc = {
      awsAccountId: ACCOUNT,
      digestStartTime: isoSeconds(from),
      digestEndTime: isoSeconds(to),
      digestS3Bucket: BUCKET,
      digestS3Object: object,
      digestPublicKeyFingerprint: key.fingerprint,
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: count ? isoSeconds(from + count * 600_000 - 60_000) : null,
      oldestEventTime: count ? isoSeconds(from) : null,
      previousDigestS3Bucket: previous ? BUCKET : null,
      previousDigestS3Object: previous ? previous.key : null,
      previousDigestHashValue: previous ? sha256(previous.json) : null,
      previousDigestHashAlgorithm: previous ? 'SHA-256' : null,
      previousDigestSignature: previous ? previous.signature : null,
      logFiles,
    };
    const json = Buffer.from(JSON.stringify(doc));
    const signature = signDigest(json, doc, key.privateKey);
    files.push({ key: object, bytes: gzipSync(json), kind: 'digest', signature });
    previous = { key: object, json, signature };
  });
  return { files, digests: files.filter((f) => f.kind === 'digest'), logs: files.filter((f) => f.kind === 'log') };
}

export function writeChain(root: string, files: readonly ChainFile[]): void {
  for (const file of files) {
    const path = join(root, file.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.bytes);
  }
}
