#!/usr/bin/env node
// The three Terraform modules (deploy/terraform/<cloud>) share their function variables and locals.
// One source, deploy/terraform/_shared/{variables,locals}.tf, is copied into each module as
// shared_variables.tf / shared_locals.tf (Terraform reads every .tf file of a module folder; a module
// cannot include files from elsewhere, and a submodule would make every variable be passed twice).
//
//   node scripts/terraform-sync.mjs          write the copies
//   node scripts/terraform-sync.mjs --check  exit 1 if a copy is out of date (test/terraform.test.ts does the same)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'terraform');
export const CLOUDS = ['huaweicloud', 'opentelekomcloud', 'flexibleengine'];
export const SHARED = ['variables.tf', 'locals.tf'];

/** The text of `<cloud>/shared_<name>`: a header naming its source, then the source. */
export function sharedCopy(name) {
  const source = readFileSync(join(root, '_shared', name), 'utf8');
  return `# GENERATED from deploy/terraform/_shared/${name} by \`node scripts/terraform-sync.mjs\`: edit that file, then run it.\n\n${source}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const cloud of CLOUDS) {
    for (const name of SHARED) {
      const target = join(root, cloud, `shared_${name}`);
      const want = sharedCopy(name);
      let have = '';
      try {
        have = readFileSync(target, 'utf8');
      } catch {}
      if (have === want) continue;
      if (check) stale.push(`${cloud}/shared_${name}`);
      else writeFileSync(target, want);
    }
  }
  if (stale.length > 0) {
    console.error(`out of date (run node scripts/terraform-sync.mjs): ${stale.join(', ')}`);
    process.exit(1);
  }
}
