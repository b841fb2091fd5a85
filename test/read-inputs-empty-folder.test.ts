/**
 * A folder named on the command line with nothing to read gets a warning (as an empty bucket prefix does):
 * "0 file(s)" and exit 0 alone read like a run that found nothing wrong.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectInputFiles } from '../cli/read-inputs';

const NO_LOG_FILES =
  /: no log files in this folder \(a folder is searched, with its subfolders, for \.json, \.jsonl, \.ndjson and \.gz files\)$/;

describe('collectInputFiles: a folder without log files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trailguard-empty-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an empty folder, and one holding only other files and empty subfolders: one warning each, no problem', async () => {
    const empty = join(dir, 'empty');
    const others = join(dir, 'others');
    mkdirSync(empty);
    mkdirSync(join(others, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(others, 'README.txt'), 'not a log file');
    writeFileSync(join(others, 'sub', 'notes.md'), 'neither');
    const { files, problems, warnings } = await collectInputFiles([empty, others]);
    expect(files).toEqual([]);
    expect(problems).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0].startsWith(`${empty}: `)).toBe(true);
    expect(warnings[0]).toMatch(NO_LOG_FILES);
    expect(warnings[1].startsWith(`${others}: `)).toBe(true);
    expect(warnings[1]).toMatch(NO_LOG_FILES);
  });

  it('a log file anywhere below the folder: no warning (nor for the empty subfolders beside it)', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'empty-sub'), { recursive: true });
    mkdirSync(join(tree, 'a', 'b'), { recursive: true });
    writeFileSync(join(tree, 'a', 'b', 'trail.json.gz'), '');
    const { files, warnings } = await collectInputFiles([tree]);
    expect(files.map((file) => file.path)).toEqual([join(tree, 'a', 'b', 'trail.json.gz')]);
    expect(warnings).toEqual([]);
  });

  it('files left out by --since/--until, or a problem inside: those are said instead, not this warning', async () => {
    const dated = join(dir, 'dated');
    mkdirSync(dated);
    writeFileSync(join(dated, '111122223333_CloudTrail_us-east-1_20240603T0000Z_x.json.gz'), '');
    const ranged = await collectInputFiles([dated], { range: { since: Date.UTC(2025, 0, 1) } });
    expect(ranged.outOfRange).toBe(1);
    expect(ranged.warnings).toEqual([]);
    const unreadable = join(dir, 'unreadable');
    mkdirSync(unreadable);
    symlinkSync(join(dir, 'no-such-file.json'), join(unreadable, 'gone.json'));
    const broken = await collectInputFiles([unreadable]);
    expect(broken.problems).toHaveLength(1);
    expect(broken.warnings).toEqual([]);
  });

  it('a folder whose only content was read already (named before it, or a link to it) gets no such warning', async () => {
    const outer = join(dir, 'outer');
    const inner = join(outer, 'inner');
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(inner, 'trail.json'), '{}');
    const named = await collectInputFiles([inner, outer]);
    expect(named.files).toHaveLength(1);
    expect(named.warnings).toEqual([]);
    const linked = join(dir, 'linked');
    mkdirSync(linked);
    symlinkSync(inner, join(linked, 'to-inner'));
    const viaLink = await collectInputFiles([inner, linked]);
    expect(viaLink.files).toHaveLength(1);
    expect(viaLink.warnings).toEqual([]);
  });

  it('a file named on the command line, or the same folder named twice, gets no such warning', async () => {
    const tree = join(dir, 'twice');
    mkdirSync(tree);
    writeFileSync(join(tree, 'trail.json'), '{}');
    const { files, warnings } = await collectInputFiles([tree, tree, join(tree, 'trail.json')]);
    expect(files).toHaveLength(2);
    expect(warnings).toEqual([]);
  });
});
