/**
 * Node built-ins that cost milliseconds to load and are needed only once an event is processed:
 * node:crypto (hashing, signing, public keys) and node:zlib (gunzip). Importing them statically loads them at every
 * cold start (crypto ~5 ms, zlib ~3 ms on a busy 2-core machine); these wrappers load them on first call.
 * Same functions, same arguments: only the time they are loaded differs.
 */
import type * as Crypto from 'node:crypto';
import type * as Zlib from 'node:zlib';

let crypto: typeof Crypto | undefined;
let zlib: typeof Zlib | undefined;

function nodeCrypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  crypto ??= require('node:crypto') as typeof Crypto;
  return crypto;
}

/** node:crypto's createHash, loaded on first call. */
export function createHash(algorithm: string): Crypto.Hash {
  return nodeCrypto().createHash(algorithm);
}

/**
 * A one-shot digest of a text, as `createHash(algorithm).update(text).digest(encoding)` gives it: node:crypto's
 * `hash()` where it exists (Node 20.12 and later: half the cost, no Hash object), else that chain.
 */
export function digestText(algorithm: string, text: string, encoding: Crypto.BinaryToTextEncoding): string {
  const builtins = nodeCrypto() as typeof Crypto & {
    hash?: (algorithm: string, data: string, encoding: Crypto.BinaryToTextEncoding) => string;
  };
  return builtins.hash
    ? builtins.hash(algorithm, text, encoding)
    : builtins.createHash(algorithm).update(text).digest(encoding);
}

/** node:crypto's createHmac, loaded on first call. */
export function createHmac(algorithm: string, key: Crypto.BinaryLike | Crypto.KeyObject): Crypto.Hmac {
  return nodeCrypto().createHmac(algorithm, key);
}

/** node:crypto's createPublicKey, loaded on first call. */
export function createPublicKey(key: Parameters<typeof Crypto.createPublicKey>[0]): Crypto.KeyObject {
  return nodeCrypto().createPublicKey(key);
}

/** node:crypto's verify (one-shot, synchronous), loaded on first call. */
export function verify(
  algorithm: string | null | undefined,
  data: NodeJS.ArrayBufferView,
  key: Crypto.VerifyKeyObjectInput,
  signature: NodeJS.ArrayBufferView,
): boolean {
  return nodeCrypto().verify(algorithm, data, key, signature);
}

/** node:crypto's constants, loaded on first call. */
export function cryptoConstants(): typeof Crypto.constants {
  return nodeCrypto().constants;
}

/** node:zlib's gunzipSync, loaded on first call. */
export function gunzipSync(buffer: Zlib.InputType, options?: Zlib.ZlibOptions): Buffer {
  return nodeZlib().gunzipSync(buffer, options);
}

/** node:zlib itself, loaded on first call (for its stream classes and constants). */
export function nodeZlib(): typeof Zlib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  zlib ??= require('node:zlib') as typeof Zlib;
  return zlib;
}
