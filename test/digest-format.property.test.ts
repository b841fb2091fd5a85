/**
 * The digest parsers on hostile input never throw anything but DigestFormatError, and CTS digests (as
 * huawei-facts §8 documents them) verify with a key generated here through an injected resolver.
 */
import { createHash, createSign } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DigestFormatError, keyFacts, parseDigest } from '../functions/trail-integrity/digest-format';
import { verifyArchive } from '../functions/trail-integrity/verify-digests';
import { signingKey } from './support/digest-chain';

describe('digest parsing on arbitrary input', () => {
  it('parseDigest throws only DigestFormatError, whatever the JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.json(), fc.string()),
        fc.constantFrom('cloudtrail', 'cts') as fc.Arbitrary<'cloudtrail' | 'cts'>,
        (text, format) => {
          try {
            parseDigest(format, text);
          } catch (error) {
            expect(error).toBeInstanceOf(DigestFormatError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keyFacts never throws, and only recognises trail and digest keys', () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        const facts = keyFacts(key);
        if (facts) expect(key).toMatch(/CloudTrail|CloudTrace/);
      }),
    );
  });
});

describe('CTS digests (huawei-facts §8, unverified against real files)', () => {
  const key = signingKey();
  const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

  function ctsChain() {
    const trace = gzipSync(JSON.stringify([{ trace_name: 'createUser', service_type: 'IAM', time: 1490663357000 }]));
    const traceKey =
      'CloudTraces/eu-de/2017/3/28/system/IAM/mylog_CloudTrace_eu-de/_2017-03-28T02-05-17Z_0faa86bc40071242.json.gz';
    const sign = (text: string) => createSign('sha256').update(text).sign(key.privateKey).toString('hex');
    const first = {
      project_id: '3cfb09080bd944d0b4cdd72ef2685712',
      digest_start_time: '2017-03-28T01-09-17Z',
      digest_end_time: '2017-03-28T02-09-17Z',
      digest_bucket: 'bucket',
      digest_object:
        'CloudTraces/eu-de/2017/3/28/system/Digest/IAM/mylog_CloudTrace-Digest_eu-de/_2017-03-28T02-09-17Z.json.gz',
      digest_signature_algorithm: 'SHA256withRSA',
      digest_end: false,
      previous_digest_bucket: null,
      previous_digest_object: null,
      previous_digest_hash_value: null,
      previous_digest_hash_algorithm: null,
      previous_digest_signature: null,
      previous_digest_end: null,
      log_files: [{ bucket: 'bucket', object: traceKey, log_hash_value: md5(trace), log_hash_algorithm: 'MD5' }],
    };
    const firstBytes = gzipSync(JSON.stringify(first));
    const firstSignature = sign(`${first.digest_end_time}${first.digest_object}${md5(firstBytes)}`);
    const second = {
      ...first,
      digest_start_time: '2017-03-28T02-09-17Z',
      digest_end_time: '2017-03-28T03-09-17Z',
      digest_object: first.digest_object.replace('02-09-17Z', '03-09-17Z'),
      previous_digest_bucket: 'bucket',
      previous_digest_object: first.digest_object,
      previous_digest_hash_value: md5(firstBytes),
      previous_digest_hash_algorithm: 'MD5',
      previous_digest_signature: firstSignature,
      log_files: [],
    };
    const secondBytes = gzipSync(JSON.stringify(second));
    return [
      { key: traceKey, bytes: trace },
      { key: first.digest_object, bytes: firstBytes },
      { key: second.digest_object, bytes: secondBytes },
    ];
  }

  async function verify(files: { key: string; bytes: Buffer }[]) {
    const byKey = new Map(files.map((f) => [f.key, f.bytes]));
    const { results } = await verifyArchive(
      files.map((f) => ({ name: f.key, key: f.key })),
      { read: async (e) => byKey.get(e.key) as Buffer },
      { local: true, resolveKey: async () => key.publicKey },
    );
    return results.map((r) => [r.kind, r.status]);
  }

  it('a chain verifies through previous_digest_signature; the newest is unverifiable locally', async () => {
    expect(await verify(ctsChain())).toEqual([
      ['digest', 'valid'],
      ['digest', 'unverifiable'],
      ['log', 'valid'],
    ]);
  });

  it('an edited trace file (compressed MD5, like the OBS ETag) is invalid', async () => {
    const files = ctsChain();
    files[0].bytes = gzipSync('[]');
    expect(await verify(files)).toContainEqual(['log', 'invalid']);
  });
});
