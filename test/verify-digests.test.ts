/**
 * Digest verification against chains built here from the documented algorithm, tampered with in every
 * way, and checked against an independent reference verifier written in this file with node:crypto
 * from aws-facts §7 (not from the production code).
 */
import { createHash, createVerify, type KeyObject } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { canonicalKey } from '../functions/trail-integrity/digest-format';
import { parsePublicKeyList, staticKeyResolver } from '../functions/trail-integrity/public-keys';
import {
  type ArchiveEntry,
  type FileResult,
  hasFailures,
  verifyArchive,
} from '../functions/trail-integrity/verify-digests';
import {
  BUCKET,
  buildChain,
  type ChainFile,
  listPublicKeysJson,
  logFileBytes,
  logKey,
  signDigest,
  signingKey,
} from './support/digest-chain';

const key = signingKey();
const attacker = signingKey();
const START = Date.parse('2026-11-24T10:01:31Z');

/** Four hours: 2 log files, 1, none (an empty digest), 2. */
function chain(): ChainFile[] {
  return buildChain(key, START, [2, 1, 0, 2]).files.map((f) => ({ ...f }));
}

// --- the independent reference ------------------------------------------------------------------

type Status = FileResult['status'];

function referenceVerify(
  files: ChainFile[],
  publicKeys: Map<string, KeyObject>,
  withMetadata: boolean,
): Map<string, Status> {
  const out = new Map<string, Status>();
  const byKey = new Map(files.map((f) => [f.key, f]));
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const docs = files
    .filter((f) => f.key.includes('/CloudTrail-Digest/'))
    .map((f) => ({ file: f, plain: gunzipSync(f.bytes), doc: JSON.parse(gunzipSync(f.bytes).toString()) }));
  const signatureFor = new Map<string, string>();
  const hashFor = new Map<string, string>();
  for (const d of docs) {
    if (d.doc.previousDigestS3Object === null) continue;
    signatureFor.set(d.doc.previousDigestS3Object, d.doc.previousDigestSignature);
    hashFor.set(d.doc.previousDigestS3Object, d.doc.previousDigestHashValue);
    if (!byKey.has(d.doc.previousDigestS3Object)) out.set(d.doc.previousDigestS3Object, 'missing');
  }
  const digestStatus = new Map<string, Status>();
  for (const d of docs) {
    let status: Status;
    const fromNext = signatureFor.get(d.file.key);
    const signature = fromNext ?? (withMetadata ? d.file.signature : undefined);
    if (hashFor.has(d.file.key) && hashFor.get(d.file.key) !== sha(d.plain)) status = 'invalid';
    else if (d.doc.digestS3Object !== d.file.key) status = 'invalid';
    else if (signature === undefined) status = 'unverifiable';
    else {
      const pub = publicKeys.get(d.doc.digestPublicKeyFingerprint);
      const text = `${d.doc.digestEndTime}\n${d.doc.digestS3Bucket}/${d.doc.digestS3Object}\n${sha(d.plain)}\n${d.doc.previousDigestSignature ?? 'null'}`;
      status =
        pub && createVerify('sha256').update(text).verify(pub, Buffer.from(signature, 'hex')) ? 'valid' : 'invalid';
    }
    digestStatus.set(d.file.key, status);
    out.set(d.file.key, status);
  }
  const listed = new Map<string, { hash: string; digest: string }>();
  for (const d of docs)
    for (const l of d.doc.logFiles) listed.set(l.s3Object, { hash: l.hashValue, digest: d.file.key });
  const starts = docs.map((d) => Date.parse(d.doc.digestStartTime));
  const ends = docs.map((d) => Date.parse(d.doc.digestEndTime));
  for (const f of files.filter((f) => f.key.includes('/CloudTrail/'))) {
    const entry = listed.get(f.key);
    if (!entry) {
      const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(f.key) as RegExpExecArray;
      const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00Z`);
      out.set(f.key, t >= Math.min(...starts) && t + 60_000 <= Math.max(...ends) ? 'unlisted' : 'unverifiable');
    } else if (sha(gunzipSync(f.bytes)) !== entry.hash) out.set(f.key, 'invalid');
    else out.set(f.key, digestStatus.get(entry.digest) === 'valid' ? 'valid' : 'unverifiable');
  }
  for (const [object] of listed) if (!byKey.has(object)) out.set(object, 'missing');
  return out;
}

// --- running the production verifier ---------------------------------------------------------------

const keysFromFile = parsePublicKeyList(listPublicKeysJson([key]));

async function produce(files: ChainFile[], withMetadata: boolean, local = true) {
  const byKey = new Map(files.map((f) => [f.key, f]));
  const entries: ArchiveEntry[] = files.map((f) =>
    local ? { name: f.key, key: f.key } : { name: f.key, bucket: BUCKET, key: f.key },
  );
  const { results, summary } = await verifyArchive(
    entries,
    {
      read: async (entry) => (byKey.get(entry.key) as ChainFile).bytes,
      signatureOf: withMetadata
        ? async (entry) => {
            const signature = byKey.get(entry.key)?.signature;
            return signature ? { signature, algorithm: 'SHA256withRSA' } : undefined;
          }
        : undefined,
    },
    { local, resolveKey: staticKeyResolver(keysFromFile) },
  );
  return { results, summary, statuses: new Map(results.map((r) => [canonicalKey(r.file), r.status])) };
}

function digestOf(files: ChainFile[], i: number): ChainFile {
  return files.filter((f) => f.kind === 'digest')[i];
}

function editDigest(file: ChainFile, edit: (doc: Record<string, unknown>) => void, resignWith?: KeyObject): void {
  const doc = JSON.parse(gunzipSync(file.bytes).toString());
  edit(doc);
  const json = Buffer.from(JSON.stringify(doc));
  file.bytes = gzipSync(json);
  if (resignWith) file.signature = signDigest(json, doc, resignWith);
}

const SCENARIOS: Array<[string, (files: ChainFile[]) => ChainFile[], boolean, Record<string, Status> | undefined]> = [
  ['an untouched local copy: all valid but the newest digest and its log files', (f) => f, false, undefined],
  ['an untouched S3 archive with signatures in metadata: all valid', (f) => f, true, undefined],
  [
    'a log file edited',
    (f) => {
      const log = f.filter((x) => x.kind === 'log')[0];
      log.bytes = logFileBytes(START + 600_000, 9);
      return f;
    },
    true,
    undefined,
  ],
  ['a log file deleted', (f) => f.filter((x) => x !== f.filter((y) => y.kind === 'log')[1]), true, undefined],
  [
    'a log file injected',
    (f) => [
      ...f,
      { key: logKey(START + 3_600_000 + 25 * 60_000, 'INJECTEDxxxxxxxx'), bytes: logFileBytes(START, 1), kind: 'log' },
    ],
    true,
    undefined,
  ],
  [
    'a digest edited (a listed hash replaced)',
    (f) => {
      editDigest(digestOf(f, 1), (doc) => {
        (doc.logFiles as { hashValue: string }[])[0].hashValue = 'ab'.repeat(32);
      });
      return f;
    },
    true,
    undefined,
  ],
  ['a digest deleted', (f) => f.filter((x) => x !== digestOf(f, 1)), true, undefined],
  [
    'the newest digest re-signed with another key (same fingerprint)',
    (f) => {
      editDigest(digestOf(f, 3), (doc) => void (doc.logFiles = []), attacker.privateKey);
      return f;
    },
    true,
    undefined,
  ],
  [
    "the newest digest re-signed with another key and that key's fingerprint",
    (f) => {
      editDigest(
        digestOf(f, 3),
        (doc) => void (doc.digestPublicKeyFingerprint = attacker.fingerprint),
        attacker.privateKey,
      );
      return f;
    },
    true,
    undefined,
  ],
  [
    'a digest moved to another key',
    (f) => {
      const moved = digestOf(f, 3);
      moved.key = moved.key.replace('20261124T140131Z', '20261124T140132Z');
      return f;
    },
    true,
    undefined,
  ],
];

describe('digest verification agrees with the reference verifier', () => {
  it.each(SCENARIOS)('%s', async (_name, tamper, withMetadata) => {
    const files = tamper(chain());
    const expected = referenceVerify(files, new Map([[key.fingerprint, key.publicKey]]), withMetadata);
    const { statuses } = await produce(files, withMetadata);
    expect(Object.fromEntries(statuses)).toEqual(Object.fromEntries(expected));
  });
});

describe('digest verification, case by case', () => {
  it('an untouched local copy: the chain verifies all but the newest digest, which is unverifiable', async () => {
    const { results, summary } = await produce(chain(), false);
    const digests = results.filter((r) => r.kind === 'digest');
    expect(digests.map((r) => r.status)).toEqual(['valid', 'valid', 'valid', 'unverifiable']);
    expect(digests[3].reason).toMatch(/S3 object metadata/);
    expect(hasFailures(results)).toBe(false);
    expect(summary).toMatchObject({ digests: 4, logFiles: 5, hoursCovered: 4, gaps: [], failures: 0 });
  });

  it('the first digest of a chain (null previous fields) and an empty digest verify', async () => {
    const { results } = await produce(chain(), true);
    expect(results.every((r) => r.status === 'valid')).toBe(true);
  });

  it('an edited log file is invalid and names the digest that lists it', async () => {
    const files = chain();
    files.filter((x) => x.kind === 'log')[0].bytes = logFileBytes(START, 9);
    const { results } = await produce(files, true);
    const bad = results.filter((r) => r.status !== 'valid');
    expect(bad).toEqual([
      expect.objectContaining({
        kind: 'log',
        status: 'invalid',
        reason: expect.stringContaining('hash does not match'),
      }),
    ]);
    expect(hasFailures(results)).toBe(true);
  });

  it('a deleted middle digest is missing, and the chain across it is a gap', async () => {
    const files = chain();
    const gone = digestOf(files, 1);
    const { results } = await produce(
      files.filter((x) => x !== gone),
      true,
    );
    expect(results).toContainEqual(expect.objectContaining({ file: gone.key, kind: 'digest', status: 'missing' }));
  });

  it('a re-signed digest is invalid even when its fingerprint names the signing key (not in the region list)', async () => {
    const files = chain();
    editDigest(
      digestOf(files, 3),
      (doc) => void (doc.digestPublicKeyFingerprint = attacker.fingerprint),
      attacker.privateKey,
    );
    const { results } = await produce(files, true);
    expect(results.find((r) => r.file === digestOf(files, 3).key)).toMatchObject({
      status: 'invalid',
      reason: expect.stringContaining(`no public key with fingerprint ${attacker.fingerprint}`),
    });
  });

  it('a restarted chain (a second starting digest) shows as a gap', async () => {
    const first = buildChain(key, START, [1, 1]).files;
    const second = buildChain(key, START + 5 * 3_600_000, [1]).files;
    const { summary } = await produce([...first, ...second], true);
    expect(summary.gaps).toEqual([
      expect.objectContaining({ from: '2026-11-24T12:01:31.000Z', to: '2026-11-24T15:01:31.000Z' }),
    ]);
  });

  it('a public key outside its validity window did not sign the digest', async () => {
    const expired = parsePublicKeyList(listPublicKeysJson([key], '2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z'));
    const files = chain();
    const byKey = new Map(files.map((f) => [f.key, f]));
    const { results } = await verifyArchive(
      files.map((f) => ({ name: f.key, key: f.key })),
      { read: async (e) => (byKey.get(e.key) as ChainFile).bytes },
      { local: true, resolveKey: staticKeyResolver(expired) },
    );
    expect(results.filter((r) => r.kind === 'digest').map((r) => r.status)).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'unverifiable',
    ]);
  });

  it('reads PKCS#1 and SubjectPublicKeyInfo values, and lists every bad entry', () => {
    expect(parsePublicKeyList(listPublicKeysJson([key, attacker]))).toHaveLength(2);
    expect(() =>
      parsePublicKeyList(
        JSON.stringify({ PublicKeyList: [{ Value: 'bm90IGEga2V5', Fingerprint: 'aa' }, { Value: 'x' }] }),
      ),
    ).toThrow(/PublicKeyList\[0\].*PublicKeyList\[1\]/s);
  });
});
