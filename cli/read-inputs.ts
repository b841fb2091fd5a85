import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SPARE_BYTES, releaseSpare, takeSpare } from '../shared/intake/spare-inflate';
import { type BucketLocation, type DateRange, inRange, parseBucketUrl } from './s3-inputs';

/** File names a folder walk picks up; a file named explicitly is read whatever its name. */
const INPUT_FILE = /\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i;
/** INPUT_FILE in words, for the warning about a folder without any. */
const LOG_FILE_NAMES = 'a folder is searched, with its subfolders, for .json, .jsonl, .ndjson and .gz files';

export interface InputFile {
  path: string;
  size: number;
  /** An object in a bucket (`s3://bucket/prefix` inputs): read from there, not from disk. */
  object?: { bucket: string; key: string };
  /** An `s3://bucket/prefix` (or `obs://`) input not listed yet: replay lists it as it reads (page by page). */
  listing?: BucketLocation;
}

export interface CollectOptions {
  /** `--since` / `--until`: files and objects whose path or key dates them outside the range are left out. */
  range?: DateRange;
  /**
   * Whether `s3://bucket/prefix` (or `obs://`) inputs can be read: each is then one entry with `listing`,
   * listed by the reader (cli/replay.ts); without it such a path is a problem.
   */
  buckets?: boolean;
}

export interface CollectedInputs {
  files: InputFile[];
  /** Paths that could not be read: the run goes on, and exits 1. */
  problems: string[];
  /** Worth saying, not failing for: a symbolic link that loops back into the walk. */
  warnings: string[];
  /** Files and objects left out by --since / --until. */
  outOfRange: number;
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'ELOOP') return 'symbolic link loop';
  return (error as Error).message;
}

/**
 * Expands files and folders (recursively, sorted) into input files; problems are returned, not thrown.
 * Every folder is read once, by its device and inode: a symbolic link back to a folder above it (or two
 * links to each other) is a loop, reported once, not a walk that doubles at each level.
 */
export async function collectInputFiles(
  paths: readonly string[],
  options: CollectOptions = {},
): Promise<CollectedInputs> {
  const files: InputFile[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const range = options.range ?? {};
  let outOfRange = 0;
  const visitedFolders = new Set<string>();
  /** Folders met again (read already, or a loop): a folder holding one is not "without log files". */
  let revisits = 0;
  const reportedLoops = new Set<string>();

  async function visit(path: string, explicit: boolean, ancestors: ReadonlySet<string>): Promise<void> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      problems.push(`${path}: ${describeError(error)}`);
      return;
    }
    if (info.isDirectory()) {
      const folder = `${info.dev}:${info.ino}`;
      if (visitedFolders.has(folder)) {
        if (ancestors.has(folder) && !reportedLoops.has(folder)) {
          reportedLoops.add(folder);
          const target = await realpath(path).catch(() => path);
          warnings.push(`${path}: symbolic link loop back to ${target}, not followed`);
        }
        // A second link to a folder already read: its files were read once, and that is enough.
        revisits += 1;
        return;
      }
      visitedFolders.add(folder);
      let entries: string[];
      try {
        entries = (await readdir(path)).sort();
      } catch (error) {
        problems.push(`${path}: ${describeError(error)}`);
        return;
      }
      const inside = new Set(ancestors).add(folder);
      const before = { files: files.length, problems: problems.length, outOfRange, revisits };
      for (const entry of entries) await visit(join(path, entry), false, inside);
      // A folder named on the command line that holds nothing to read is worth a word (exit 0 and "0 file(s)"
      // alone read like a run that found nothing wrong), as an empty bucket prefix is.
      if (
        explicit &&
        files.length === before.files &&
        problems.length === before.problems &&
        outOfRange === before.outOfRange &&
        revisits === before.revisits
      )
        warnings.push(`${path}: no log files in this folder (${LOG_FILE_NAMES})`);
    } else if (info.isFile() && (explicit || INPUT_FILE.test(path))) {
      if (explicit || inRange(path, range)) files.push({ path, size: info.size });
      else outOfRange += 1;
    }
  }
  for (const path of paths) {
    const location = parseBucketUrl(path);
    if (path === '-') files.push({ path: '-', size: 0 });
    else if (location && !options.buckets) problems.push(`${path}: reading from a bucket is not available here`);
    else if (location) files.push({ path, size: 0, listing: location });
    else await visit(path, true, new Set());
  }
  return { files, problems, warnings, outOfRange };
}

/**
 * A local file's bytes read at once, without the thread pool's four hops (open, stat, read, close): for a
 * thread with nothing else to do meanwhile (a replay worker, the main thread of `--threads 1`). Stdin as
 * readInput reads it.
 */
export async function readInputNow(file: InputFile): Promise<Buffer> {
  return file.path !== '-' ? readIntoSpare(file.path) : readInput(file);
}

/** Reads of a bigger file than this take readFileSync: replay reads such files in parts anyway. */
const SPARE_READ_MAX = MAX_SPARE_BYTES / 2;

/**
 * readFileSync's bytes, read into a spare buffer (shared/intake/spare-inflate.ts) rather than fresh
 * memory (a page fault per 4 KiB, ~10 µs each on the bench machine); the caller gives it back with
 * releaseInput once nothing reads the bytes any more. The same bytes and the same errors as readFileSync:
 * a regular file up to the size it had when opened (unless it said 0), anything else to its end.
 */
function readIntoSpare(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const stats = fstatSync(fd);
    if (stats.size > SPARE_READ_MAX) return readFileSync(fd);
    // As readFileSync: a regular file's stated size, unless it says 0 (/proc), else read to the end.
    const size = stats.isFile() ? stats.size : 0;
    const regular = size > 0;
    let buffer = takeSpare(regular ? size + 1 : 64 * 1024);
    let length = 0;
    for (;;) {
      if (regular && length === size) break;
      if (length === buffer.length) {
        const bigger = takeSpare(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        releaseSpare(buffer.buffer);
        buffer = bigger;
      }
      const read = readSync(fd, buffer, length, regular ? size - length : buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * After a file's bytes from readInputNow were ingested (and nothing reads them any more): their spare
 * buffer back for the next file. Bytes of any other origin are left alone.
 */
export function releaseInput(bytes: Uint8Array): void {
  releaseSpare(bytes.buffer);
}

export async function readInput(file: InputFile): Promise<Buffer> {
  if (file.path !== '-') return readFile(file.path);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
