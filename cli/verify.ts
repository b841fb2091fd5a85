/**
 * `trailguard verify <path | s3://bucket/prefix>`: what `aws cloudtrail validate-logs` does, on a local
 * copy or an S3 prefix, for CloudTrail and CTS digests. Exit codes: 0 nothing invalid, missing or
 * unlisted; 1 otherwise; 2 usage errors.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import { SingleBar } from 'cli-progress';
import { ConfigError, errorMessage } from '../shared/errors';
import {
  type KeyResolver,
  listPublicKeysResolver,
  parsePublicKeyList,
  staticKeyResolver,
} from '../functions/trail-integrity/public-keys';
import {
  type ArchiveEntry,
  type ArchiveReader,
  type FileResult,
  hasFailures,
  verifyArchive,
} from '../functions/trail-integrity/verify-digests';
import type { CliIo } from './io';
import { Command } from 'commander';
import type { CliCommand } from './command';

export const VERIFY_USAGE = `usage: trailguard verify <path | s3://bucket/prefix> [options]

  Checks CloudTrail (and CTS) digest files: each digest's signature, the chain to the previous
  digest, the hash of every listed log file, and log files no digest lists.

options:
  --public-keys <file>  the JSON "aws cloudtrail list-public-keys" prints (default: ListPublicKeys)
  --endpoint <url>      S3 and CloudTrail endpoint (an emulator, a VPC endpoint)
  --region <name>       region of the S3 client (default: AWS_REGION, us-east-1); public keys are
                        always asked for in each digest's own region
  --json                one line per file: {"file","kind","status","reason"}

exit: 0 nothing invalid, missing or unlisted; 1 otherwise; 2 usage error`;

/** The runner's options, independent of how the arguments were parsed. */
export interface VerifyOptions {
  /** A folder or file, or `s3://bucket/prefix`. */
  target: string;
  /** Path of the `aws cloudtrail list-public-keys` JSON; without it keys come from ListPublicKeys. */
  publicKeys?: string;
  endpoint?: string;
  region?: string;
  json?: boolean;
}

/** Archives from this many files on get a progress bar (when stderr is a terminal). */
const PROGRESS_FROM = 200;

export const verifyCommand: CliCommand = {
  define: () =>
    new Command('verify')
      .description('check CloudTrail (and CTS) digest files: signatures, chain, listed log files, unlisted files')
      .argument('<target>', 'a folder or file of a trail archive, or s3://bucket/prefix')
      .option('--public-keys <file>', 'the JSON "aws cloudtrail list-public-keys" prints (default: ListPublicKeys)')
      .option('--endpoint <url>', 'S3 and CloudTrail endpoint (an emulator, a VPC endpoint)')
      .option('--region <name>', 'region of the S3 client (default: AWS_REGION, us-east-1)')
      .option('--json', 'one line per file: {"file","kind","status","reason"}')
      .addHelpText('after', `\nExit codes: 0 nothing invalid, missing or unlisted; 1 otherwise; 2 usage error.`),
  run: (args, options, io) =>
    runVerify({ target: args[0] as string, ...(options as Omit<VerifyOptions, 'target'>) }, io),
};

export async function runVerify(options: VerifyOptions, io: CliIo): Promise<number> {
  const region = options.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (options.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(options.endpoint))
    throw new ConfigError(`--endpoint ${JSON.stringify(options.endpoint)} is not an http(s) URL`);
  const resolveKey = await keyResolver(options, region);
  const archive = options.target.startsWith('s3://')
    ? await s3Archive(options.target, region, options.endpoint)
    : await localArchive(options.target);

  const bar =
    io.errIsTty && !options.json && archive.entries.length >= PROGRESS_FROM
      ? new SingleBar({ stream: process.stderr, format: 'verifying [{bar}] {value}/{total} files', hideCursor: true })
      : undefined;
  bar?.start(archive.entries.length, 0);
  let results: FileResult[];
  let summary: Awaited<ReturnType<typeof verifyArchive>>['summary'];
  try {
    ({ results, summary } = await verifyArchive(archive.entries, archive.reader, {
      local: archive.local,
      resolveKey,
      onProgress: bar ? (done, total) => bar.update(done, { total }) : undefined,
      concurrency: archive.local ? 2 : 8,
    }));
  } finally {
    bar?.stop();
  }

  if (options.json) {
    for (const r of results) io.out(JSON.stringify({ file: r.file, kind: r.kind, status: r.status, reason: r.reason }));
  } else {
    for (const r of results)
      if (r.status !== 'valid') io.out(`${r.status.padEnd(12)} ${r.kind.padEnd(6)} ${r.file}: ${r.reason}`);
    io.err(
      [
        `${summary.files} files: ${summary.digests} digests, ${summary.logFiles} log files; ${summary.hoursCovered} hours covered`,
        `${Object.entries(summary.byStatus)
          .map(([status, n]) => `${n} ${status}`)
          .join(', ')}`,
        summary.gaps.length === 0
          ? 'no gaps in the digest chains'
          : `${summary.gaps.length} gap(s): ${summary.gaps.map((g) => `${g.stream} ${g.from} → ${g.to}`).join('; ')}`,
        summary.failures === 0 ? 'no failures' : `${summary.failures} failure(s) (invalid, missing or unlisted)`,
      ].join('\n'),
    );
  }
  if (results.length === 0) io.err('warning: no CloudTrail or CTS digest or log file found');
  return hasFailures(results) ? 1 : 0;
}

/** What `replay --verify` learned about its input files before replaying them. */
export interface ReplayIntegrity {
  results: FileResult[];
  /** Something is invalid, missing or unlisted. */
  failed: boolean;
  /** The verdict on one replayed file (a path as replay read it). */
  verdictOf(path: string): { file: string; status: FileResult['status']; reason: string };
  summaryLine: string;
}

/**
 * `replay --verify`: the files replay is about to read, verified as one local archive (digests and log
 * files matched by their `AWSLogs/…` path), with the keys `verify` would use.
 */
export async function checkReplayedFiles(
  paths: readonly string[],
  options: Pick<VerifyOptions, 'publicKeys' | 'endpoint' | 'region'>,
  io: CliIo,
): Promise<ReplayIntegrity> {
  const region = options.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const resolveKey = await keyResolver({ target: '', ...options }, region);
  const entries: ArchiveEntry[] = paths.map((path) => ({ name: path, key: path.split('\\').join('/') }));
  const { results, summary } = await verifyArchive(
    entries,
    { read: async (entry) => readFile(entry.name) },
    { local: true, resolveKey, concurrency: 2 },
  );
  const byFile = new Map(results.map((r) => [r.file, r]));
  return {
    results,
    failed: hasFailures(results),
    verdictOf: (path) => {
      const found = byFile.get(path);
      if (found) return { file: found.file, status: found.status, reason: found.reason };
      return {
        file: path === '-' ? 'stdin' : path,
        status: 'unverifiable',
        reason: path === '-' ? 'read from stdin' : 'not a CloudTrail or CTS log file',
      };
    },
    summaryLine:
      `verify: ${summary.digests} digest(s), ${summary.logFiles} log file(s); ` +
      (Object.entries(summary.byStatus)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${n} ${status}`)
        .join(', ') || 'nothing to check'),
  };
}

async function keyResolver(options: VerifyOptions, region: string): Promise<KeyResolver> {
  if (options.publicKeys !== undefined) {
    let text: string;
    try {
      text = await readFile(options.publicKeys, 'utf8');
    } catch (error) {
      throw new ConfigError(`--public-keys ${options.publicKeys}: ${errorMessage(error)}`);
    }
    return staticKeyResolver(parsePublicKeyList(text, `--public-keys ${options.publicKeys}`));
  }
  const clients = new Map<string, Promise<CloudTrailClient>>();
  return listPublicKeysResolver((keyRegion) => {
    let client = clients.get(keyRegion);
    if (!client) {
      client = import('@aws-sdk/client-cloudtrail').then(
        ({ CloudTrailClient }) =>
          new CloudTrailClient({
            region: keyRegion || region,
            ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          }),
      );
      clients.set(keyRegion, client);
    }
    return client;
  });
}

interface Archive {
  entries: ArchiveEntry[];
  reader: ArchiveReader;
  local: boolean;
}

async function localArchive(target: string): Promise<Archive> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(target);
  } catch (error) {
    throw new ConfigError(
      `${target}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : errorMessage(error)}`,
    );
  }
  const entries: ArchiveEntry[] = [];
  const visit = async (path: string): Promise<void> => {
    const here = await stat(path);
    if (here.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await visit(join(path, name));
    } else if (here.isFile()) {
      entries.push({
        name: path,
        key: relative(info.isDirectory() ? target : '.', path)
          .split('\\')
          .join('/'),
      });
    }
  };
  await visit(target);
  const byKey = new Map(entries.map((entry) => [entry.key, entry.name]));
  return {
    entries,
    local: true,
    reader: { read: async (entry) => readFile(byKey.get(entry.key) ?? entry.name) },
  };
}

function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new ConfigError(`${url} is not s3://bucket/prefix`);
  return { bucket: m[1], prefix: m[2] };
}

/**
 * An S3 prefix: objects listed once; digests' signatures read from their metadata (`x-amz-meta-signature`,
 * which the SDK returns as `Metadata.signature`) on the same GetObject that reads them.
 */
async function s3Archive(url: string, region: string, endpoint: string | undefined): Promise<Archive> {
  const { bucket, prefix } = parseS3Url(url);
  const { S3Client, ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const s3: S3Client = new S3Client({
    region,
    followRegionRedirects: true,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
  const entries: ArchiveEntry[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? [])
      if (object.Key) entries.push({ name: object.Key, bucket, key: object.Key });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const metadata = new Map<string, Record<string, string>>();
  const read = async (entry: ArchiveEntry): Promise<Uint8Array> => {
    const response = await s3.send(new GetObjectCommand({ Bucket: entry.bucket ?? bucket, Key: entry.key }));
    if (response.Metadata) metadata.set(entry.key, response.Metadata);
    if (!response.Body) throw new Error('object has no body');
    return response.Body.transformToByteArray();
  };
  return {
    entries,
    local: false,
    reader: {
      read,
      signatureOf: async (entry) => {
        if (!metadata.has(entry.key)) await read(entry);
        const meta = metadata.get(entry.key) ?? {};
        // CloudTrail: x-amz-meta-signature; CTS on OBS: meta-signature (the SDK strips either prefix).
        const signature = meta.signature;
        return signature ? { signature, algorithm: meta['signature-algorithm'] } : undefined;
      },
    },
  };
}
