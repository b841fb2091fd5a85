/**
 * The geo databases on disk: where the embedded ones are (geo/ beside the bundle, in every zip), the
 * cold-start check of a path (exists, is a MaxMind DB), and opening them with the `maxmind` reader on
 * first need. The reader's code sits in its own chunk on Lambda (a dynamic import) and the files are
 * read only when an alert or a rule needs an address looked up: a cold start reads neither.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type GeoLookup, geoOf, isPublicIp } from './geo';

/** The embedded databases' file names, in geo/ next to the bundle (scripts/geo-db.mjs writes them). */
export const EMBEDDED_COUNTRY_DB = 'country.mmdb';
export const EMBEDDED_ASN_DB = 'asn.mmdb';

/** Marks the metadata section, within the last 128 KiB of every MaxMind DB file (MaxMind DB spec 2.0). */
const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);
const METADATA_WINDOW = 128 * 1024;

/** What the cold start needs from the file system (the edges pass nodeGeoFiles; pure tests a fake). */
export interface GeoFiles {
  /** The folder holding the embedded databases, if this installation has one. */
  embeddedDir(): string | undefined;
  /** A problem with the file at `path` (missing, not a file, not a MaxMind DB), or undefined when it is fine. */
  check(path: string): string | undefined;
}

/** This output file's folder (every bundle is CommonJS; the lazy ES-module chunks never ask). */
function bundleDir(): string | undefined {
  return typeof __dirname === 'string' ? __dirname : undefined;
}

/**
 * Where geo/ is, from the running code: beside the bundle (zips: `geo/` at the root, next to the entry
 * file; chunks one level down), dist/geo for the bundles in dist/, and dist/geo from the sources (tests).
 */
export function embeddedGeoDirs(dir = bundleDir()): string[] {
  if (dir === undefined) return [];
  return [join(dir, 'geo'), join(dir, '..', 'geo'), join(dir, '..', '..', 'geo'), join(dir, '..', '..', 'dist', 'geo')];
}

/** The first MaxMind DB problem of a file, read from its tail only (cheap at cold start). */
export function checkMaxMindFile(path: string): string | undefined {
  let fd: number | undefined;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return 'is not a file';
    if (stat.size === 0) return 'is empty';
    const length = Math.min(stat.size, METADATA_WINDOW);
    const tail = Buffer.alloc(length);
    fd = openSync(path, 'r');
    readSync(fd, tail, 0, length, stat.size - length);
    if (tail.lastIndexOf(METADATA_MARKER) < 0)
      return 'is not a MaxMind DB (.mmdb) file: no metadata section (a gzip or tar.gz download must be unpacked first)';
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'EACCES') return 'cannot be read (permission denied)';
    return `cannot be read: ${(error as Error).message}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export const nodeGeoFiles: GeoFiles = {
  embeddedDir() {
    for (const dir of embeddedGeoDirs()) if (checkMaxMindFile(join(dir, EMBEDDED_COUNTRY_DB)) === undefined) return dir;
    return undefined;
  },
  check: checkMaxMindFile,
};

/** The databases a lookup reads: a country one and an ASN one (either may be off). */
export interface GeoDatabasePaths {
  country?: string;
  asn?: string;
}

interface MmdbReader {
  get(ip: string): unknown;
}

/**
 * Opens the databases with the maxmind reader and returns the lookup. The reader is imported here, on
 * first need, so its code loads only then (its own chunk in the Lambda build).
 */
export async function openGeoDatabases(paths: GeoDatabasePaths): Promise<GeoLookup> {
  const loaded = await import('maxmind');
  // maxmind is CommonJS: from an ES module (the Lambda build) its exports are the namespace's default.
  const maxmind =
    typeof loaded.open === 'function' ? loaded : (loaded as unknown as { default: typeof loaded }).default;
  const open = (path: string | undefined): Promise<MmdbReader | undefined> =>
    path === undefined
      ? Promise.resolve(undefined)
      : maxmind.open(path, { cache: { max: 5_000 } }).catch((error: unknown) => {
          throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
        });
  const [country, asn] = await Promise.all([open(paths.country), open(paths.asn)]);
  return (ip) => {
    if (!isPublicIp(ip)) return undefined;
    // A lookup never throws into the pipeline: an address the reader refuses simply has no geo.
    try {
      return geoOf(country?.get(ip), asn?.get(ip));
    } catch {
      return undefined;
    }
  };
}
