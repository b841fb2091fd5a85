/**
 * The public keys digests are checked with. CloudTrail: one key pair per region at a time, chosen by
 * the digest's `digestPublicKeyFingerprint`, from `ListPublicKeys` (or the JSON `aws cloudtrail
 * list-public-keys` prints). `Value` is DER, documented as PKCS#1 but also seen as SubjectPublicKeyInfo:
 * both are accepted. CTS: the one key Huawei publishes (huawei-facts §8; UNVERIFIED whether Open
 * Telekom Cloud and Flexible Engine use the same).
 */
import type { KeyObject } from 'node:crypto';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigError, errorMessage } from '../../shared/errors';
import { createPublicKey } from '../../shared/lazy-builtins';
import { isRecord, own } from '../../shared/normalize/read-fields';
import type { Digest } from './digest-format';

export interface PublicKeyEntry {
  fingerprint: string;
  key: KeyObject;
  validFrom?: number;
  validTo?: number;
}

/** The key that signed `digest`, looked up in `region`; undefined when the region has none with that fingerprint. */
export type KeyResolver = (region: string, digest: Digest) => Promise<KeyObject | undefined>;

export const CTS_PUBLIC_KEY_SPKI =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjQDkl8COPRhOCvm7ZI8sYZ20ojl+ay/gwRSk9q0gkY3pP0RrAhSsEzgYdYjaMCqixkmbpt4AH9AROJU4drnoCAZSMqRxgv0bGC9kVd4q95l4zibswAsksjuNQo/XoJjBl+rRAqCa+1uetgVU4k4Yx8RryYxYx/tImvMe/O4mGAIaTf+rsqt3VXR1QIj5lYR/nx41BEgC/Kb1elYAfDaaab8WS5INRprj7qdu6oAo4Ug47WqbecvEtG3JRpj5+oqLyW41Fvse3osC0h5DQdxTt4x00/rVZ+gH7Kua00y7gC8YOxFVpYbfn/oW61PUDeHG/N9hUjOrIgDDJpD2YbCIQIDAQAB';

/** DER bytes of an RSA public key, PKCS#1 `RSAPublicKey` or X.509 SubjectPublicKeyInfo. */
export function derPublicKey(der: Uint8Array): KeyObject {
  const buffer = Buffer.from(der);
  try {
    return createPublicKey({ key: buffer, format: 'der', type: 'pkcs1' });
  } catch {
    return createPublicKey({ key: buffer, format: 'der', type: 'spki' });
  }
}

function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value; // the CLI prints ISO text; epoch seconds seen in other tools
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Reads `aws cloudtrail list-public-keys` output. Every bad entry is listed in one ConfigError. */
export function parsePublicKeyList(json: string, source = 'public keys'): PublicKeyEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(`${source}: not JSON: ${errorMessage(error)}`);
  }
  const list = own(doc, 'PublicKeyList');
  if (!Array.isArray(list))
    throw new ConfigError(`${source}: no PublicKeyList (expected the output of aws cloudtrail list-public-keys)`);
  const problems: string[] = [];
  const keys: PublicKeyEntry[] = [];
  list.forEach((entry, i) => {
    const value = own(entry, 'Value');
    const fingerprint = own(entry, 'Fingerprint');
    if (!isRecord(entry) || typeof value !== 'string' || typeof fingerprint !== 'string' || fingerprint === '') {
      problems.push(`PublicKeyList[${i}]: needs Value (base64) and Fingerprint`);
      return;
    }
    try {
      keys.push({
        fingerprint: fingerprint.toLowerCase(),
        key: derPublicKey(Buffer.from(value, 'base64')),
        validFrom: timeOf(own(entry, 'ValidityStartTime')),
        validTo: timeOf(own(entry, 'ValidityEndTime')),
      });
    } catch (error) {
      problems.push(`PublicKeyList[${i}] (${fingerprint}): not an RSA public key in DER: ${errorMessage(error)}`);
    }
  });
  if (problems.length > 0) throw new ConfigError(`${source}: ${problems.join('; ')}`, problems);
  return keys;
}

/** A key whose validity window does not overlap the digest's period did not sign it. */
function validFor(entry: PublicKeyEntry, digest: Digest): boolean {
  if (entry.validFrom !== undefined && digest.endTime < entry.validFrom) return false;
  if (entry.validTo !== undefined && digest.startTime > entry.validTo) return false;
  return true;
}

function pick(entries: readonly PublicKeyEntry[], digest: Digest): KeyObject | undefined {
  const fingerprint = digest.fingerprint?.toLowerCase();
  return entries.find((entry) => entry.fingerprint === fingerprint && validFor(entry, digest))?.key;
}

const ctsKey = (() => {
  let key: KeyObject | undefined;
  return () => {
    key ??= derPublicKey(Buffer.from(CTS_PUBLIC_KEY_SPKI, 'base64'));
    return key;
  };
})();

/** Keys from a file: the same list for every region (the CLI output does not say which region it is for). */
export function staticKeyResolver(entries: readonly PublicKeyEntry[]): KeyResolver {
  return async (_region, digest) => (digest.format === 'cts' ? ctsKey() : pick(entries, digest));
}

/**
 * Keys from CloudTrail's ListPublicKeys in the digest's region, asked for the digest's period and cached
 * per region and fingerprint (and per period asked, so a run over a year of digests makes one call per
 * key rotation, not per digest). A failed call throws: "could not check" is not "invalid".
 */
export function listPublicKeysResolver(clientFor: (region: string) => Promise<CloudTrailClient>): KeyResolver {
  const byRegion = new Map<string, PublicKeyEntry[]>();
  const asked = new Map<string, Promise<void>>();
  return async (region, digest) => {
    if (digest.format === 'cts') return ctsKey();
    const cached = pick(byRegion.get(region) ?? [], digest);
    if (cached) return cached;
    const day = Math.floor(digest.endTime / 86_400_000);
    const askKey = `${region}\u0000${day}`;
    let call = asked.get(askKey);
    if (!call) {
      call = (async () => {
        const [{ ListPublicKeysCommand }, client] = await Promise.all([
          import('@aws-sdk/client-cloudtrail'),
          clientFor(region),
        ]);
        const entries = byRegion.get(region) ?? [];
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListPublicKeysCommand({
              StartTime: new Date(day * 86_400_000),
              EndTime: new Date((day + 1) * 86_400_000),
              NextToken: token,
            }),
          );
          for (const entry of page.PublicKeyList ?? []) {
            if (!entry.Value || !entry.Fingerprint) continue;
            entries.push({
              fingerprint: entry.Fingerprint.toLowerCase(),
              key: derPublicKey(entry.Value),
              validFrom: timeOf(entry.ValidityStartTime),
              validTo: timeOf(entry.ValidityEndTime),
            });
          }
          token = page.NextToken;
        } while (token);
        byRegion.set(region, entries);
      })();
      asked.set(askKey, call);
      call.catch(() => asked.delete(askKey));
    }
    await call;
    return pick(byRegion.get(region) ?? [], digest);
  };
}
