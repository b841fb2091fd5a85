import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** File names a folder walk picks up; a file named explicitly is read whatever its name. */
const INPUT_FILE = /\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i;

export interface InputFile {
  path: string;
  size: number;
}

/** Expands files and folders (recursively, sorted) into input files; problems are returned, not thrown. */
export async function collectInputFiles(paths: readonly string[]): Promise<{ files: InputFile[]; problems: string[] }> {
  const files: InputFile[] = [];
  const problems: string[] = [];
  async function visit(path: string, explicit: boolean): Promise<void> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      problems.push(
        `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`,
      );
      return;
    }
    if (info.isDirectory()) {
      const entries = (await readdir(path)).sort();
      for (const entry of entries) await visit(join(path, entry), false);
    } else if (info.isFile() && (explicit || INPUT_FILE.test(path))) {
      files.push({ path, size: info.size });
    }
  }
  for (const path of paths) {
    if (path === '-') files.push({ path: '-', size: 0 });
    else await visit(path, true);
  }
  return { files, problems };
}

export async function readInput(file: InputFile): Promise<Buffer> {
  if (file.path !== '-') return readFile(file.path);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
