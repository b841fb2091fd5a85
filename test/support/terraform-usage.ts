/**
 * What a set of Terraform files uses, read through an HCL parser (@cdktf/hcl2json, which runs
 * HashiCorp's own HCL parser compiled to WebAssembly, offline): each resource type and every argument
 * and nested block it sets, as dotted paths (`metric.dimensions.name`). Meta-arguments (count,
 * for_each, depends_on, lifecycle, provider) are not arguments of the resource type. The parser runs
 * in a child process: its Go runtime keeps the event loop alive, which would hold jest open.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const META_ARGUMENTS = new Set([
  'count',
  'for_each',
  'depends_on',
  'lifecycle',
  'provider',
  'provisioner',
  'connection',
]);

export interface TerraformUsage {
  /** `resource_type` → set of argument paths. */
  resources: Map<string, Set<string>>;
  /** Provider local names → source addresses from required_providers. */
  providers: Map<string, string>;
  /** The parsed JSON of each file, by file name. */
  files: Map<string, Record<string, unknown>>;
}

type Json = Record<string, unknown>;

const isBlockList = (value: unknown): value is Json[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v));

function collect(body: Json, prefix: string, into: Set<string>): void {
  for (const [key, value] of Object.entries(body)) {
    if (prefix === '' && META_ARGUMENTS.has(key)) continue;
    if (key === 'dynamic' && value && typeof value === 'object' && !Array.isArray(value)) {
      // dynamic "name" { for_each, content { ... } } sets the nested block "name".
      for (const [name, blocks] of Object.entries(value as Json)) {
        into.add(`${prefix}${name}`);
        for (const block of blocks as Json[])
          for (const content of (block.content as Json[] | undefined) ?? [])
            collect(content, `${prefix}${name}.`, into);
      }
      continue;
    }
    into.add(`${prefix}${key}`);
    if (isBlockList(value)) for (const block of value) collect(block, `${prefix}${key}.`, into);
  }
}

export type ParseResult = { json: Json } | { error: string };

/** Parses HCL files in one child process: file name → the parser's JSON, or its error message. */
export function parseHcl(files: Array<{ name: string; text: string }>): Map<string, ParseResult> {
  const script = `
    const { parse } = require('@cdktf/hcl2json');
    let input = '';
    process.stdin.on('data', (c) => (input += c)).on('end', async () => {
      const out = {};
      for (const f of JSON.parse(input)) {
        try {
          out[f.name] = { json: await parse(f.name, f.text) };
        } catch (error) {
          out[f.name] = { error: String(error) };
        }
      }
      process.stdout.write(JSON.stringify(out));
      process.exit(0);
    });`;
  const result = spawnSync(process.execPath, ['-e', script], {
    input: JSON.stringify(files),
    encoding: 'utf8',
    cwd: join(__dirname, '..', '..'),
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`HCL parse failed: ${result.stderr || result.error}`);
  return new Map(Object.entries(JSON.parse(result.stdout) as Record<string, ParseResult>));
}

/** Every module folder's usage, all files parsed in one child process; a file that does not parse throws. */
export function readTerraformModules(dirs: string[]): Map<string, TerraformUsage> {
  const files = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.tf'))
      .sort()
      .map((name) => ({ dir, name, text: readFileSync(join(dir, name), 'utf8') })),
  );
  const parsed = parseHcl(files.map((f) => ({ name: join(f.dir, f.name), text: f.text })));
  const modules = new Map<string, TerraformUsage>();
  for (const dir of dirs) {
    const parsedFiles = new Map<string, Json>();
    for (const f of files.filter((file) => file.dir === dir)) {
      const result = parsed.get(join(dir, f.name)) as ParseResult;
      if ('error' in result) throw new Error(`${join(dir, f.name)} does not parse: ${result.error}`);
      parsedFiles.set(f.name, result.json);
    }
    modules.set(dir, usageOf(parsedFiles));
  }
  return modules;
}

function usageOf(parsedFiles: Map<string, Json>): TerraformUsage {
  const usage: TerraformUsage = { resources: new Map(), providers: new Map(), files: new Map() };
  for (const [file, json] of parsedFiles) {
    usage.files.set(file, json);
    for (const [type, byName] of Object.entries((json.resource as Json | undefined) ?? {})) {
      const paths = usage.resources.get(type) ?? new Set<string>();
      for (const blocks of Object.values(byName as Json))
        for (const block of blocks as Json[]) collect(block, '', paths);
      usage.resources.set(type, paths);
    }
    for (const terraform of (json.terraform as Json[] | undefined) ?? []) {
      for (const required of (terraform.required_providers as Json[] | undefined) ?? []) {
        for (const [name, spec] of Object.entries(required)) usage.providers.set(name, String((spec as Json).source));
      }
    }
  }
  return usage;
}
