/**
 * The Terraform modules under deploy/terraform, checked offline (they cannot be applied here): they
 * parse with HashiCorp's HCL parser; every resource type and argument they use is in
 * docs/terraform-resources.md with its provider documentation source; they follow `terraform fmt`
 * layout; every variable the functions read (README) is wired; the three clouds offer the same knobs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CTS_PUBLIC_KEY_SPKI } from '../functions/trail-integrity/public-keys';
import { FUNCTION_NAMES } from '../shared/detect/detector';
import { functionGraphContext } from './support/functiongraph-context';
import { parseHcl, readTerraformModules, type TerraformUsage } from './support/terraform-usage';
import { readZip } from './support/unzip';
import { buildBundles } from './support/build-once';

const ROOT = join(__dirname, '..');
const CLOUDS = ['huaweicloud', 'opentelekomcloud', 'flexibleengine'] as const;
const PROVIDERS = {
  huaweicloud: 'huaweicloud/huaweicloud',
  opentelekomcloud: 'opentelekomcloud/opentelekomcloud',
  flexibleengine: 'FlexibleEngineCloud/flexibleengine',
};
const moduleDir = (cloud: string) => join(ROOT, 'deploy', 'terraform', cloud);

type Json = Record<string, unknown>;

/** The real `terraform` binary, when installed: fmt and variable validation run offline (no providers). */
const terraform = (args: string[], cwd: string) =>
  spawnSync('terraform', args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
  });
const HAVE_TERRAFORM = terraform(['version'], ROOT).status === 0;
if (!HAVE_TERRAFORM)
  console.warn('terraform is not installed: `terraform fmt -check` and the validation-block runs are SKIPPED');
const withTerraform = HAVE_TERRAFORM ? it : it.skip;

/** The resource types of the module's DCS instance: the attributes the module reads from it. */
const DCS_TYPES = {
  huaweicloud: 'huaweicloud_dcs_instance',
  opentelekomcloud: 'opentelekomcloud_dcs_instance_v2',
  flexibleengine: 'flexibleengine_dcs_instance_v1',
};

/** docs/terraform-resources.md, section "Attributes read": type → attributes. */
function documentedAttributes(): Map<string, Set<string>> {
  const text = readFileSync(join(ROOT, 'docs', 'terraform-resources.md'), 'utf8');
  const section = text.split(/^## /m).find((part) => part.startsWith('Attributes read')) ?? '';
  const table = new Map<string, Set<string>>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const type = /^`([a-z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (type) table.set(type, new Set([...cells[2].matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1])));
  }
  return table;
}

const parsedModules = readTerraformModules(CLOUDS.map(moduleDir));
const usage = new Map<string, TerraformUsage>(
  CLOUDS.map((cloud) => [cloud, parsedModules.get(moduleDir(cloud)) as TerraformUsage]),
);

/** Every `variable` of a module, from all its files (variables.tf and the generated shared_variables.tf). */
function variablesOf(cloud: string): Record<string, Json[]> {
  const files = [...(usage.get(cloud)?.files.values() ?? [])];
  return Object.assign({}, ...files.map((json) => (json.variable as Json | undefined) ?? {}));
}

/** Every local of a module, merged over its `locals` blocks (main.tf and shared_locals.tf). */
function localsOf(cloud: string): Json {
  const files = [...(usage.get(cloud)?.files.values() ?? [])];
  return Object.assign({}, ...files.flatMap((json) => (json.locals as Json[] | undefined) ?? []));
}

/** docs/terraform-resources.md: `| \`type\` | \`arg\`, \`arg.nested\` | source |` rows. */
function documentedResources(): Map<string, { args: Set<string>; source: string }> {
  const table = new Map<string, { args: Set<string>; source: string }>();
  const text = readFileSync(join(ROOT, 'docs', 'terraform-resources.md'), 'utf8');
  for (const line of text.split(/^## Attributes read/m)[0].split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const type = /^`([a-z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!type || !/_/.test(type) || cells.length < 5) continue;
    const args = new Set([...cells[2].matchAll(/`([a-z0-9_.]+)`/g)].map((m) => m[1]));
    table.set(type, { args, source: cells[3] });
  }
  return table;
}

/** Variables named in README's variable tables (first column, every backticked NAME and alias). */
function readmeVariables(): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n')) {
    const first = line.split('|')[1] ?? '';
    if (!line.startsWith('| `')) continue;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]);
  }
  return names;
}

function tfFiles(cloud: string): Array<{ name: string; text: string }> {
  return readdirSync(moduleDir(cloud))
    .filter((name) => name.endsWith('.tf'))
    .map((name) => ({ name: `${cloud}/${name}`, text: readFileSync(join(moduleDir(cloud), name), 'utf8') }));
}

/**
 * `terraform fmt` layout, re-implemented from hclwrite's formatter (hashicorp/hcl hclwrite/format.go):
 * a line's indent is two spaces per open bracket group (a line opening several brackets opens one
 * level); a line `name = <one-line expression>` joins the run of such lines around it, whose `=`
 * all sit one space after the longest name; a multi-line expression, a blank line, a comment or a
 * bracket line ends the run. Also: no tabs, no trailing blanks, one final newline.
 */
function fmtProblems(name: string, text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('\n') || text.endsWith('\n\n')) problems.push(`${name}: must end with exactly one newline`);
  const lines = text.split('\n').slice(0, -1);
  const indents: number[] = [];
  let chain: Array<{ line: number; leadEnd: number; eq: number }> = [];
  const closeChain = () => {
    const want = Math.max(...chain.map((c) => c.leadEnd)) + 1;
    for (const c of chain)
      if (c.eq !== want) problems.push(`${name}:${c.line}: "=" at column ${c.eq}, expected ${want}`);
    chain = [];
  };
  const net = (code: string) => (code.match(/[{[(]|\$\{/g) ?? []).length - (code.match(/[}\])]/g) ?? []).length;
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (/\t/.test(raw)) problems.push(`${name}:${n}: tab`);
    if (/\s+$/.test(raw)) problems.push(`${name}:${n}: trailing white space`);
    const line = raw.trim();
    // Strings (with their interpolations) and comments do not open or close anything.
    const code = line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/(^|\s)#.*$/, '');
    const lineNet = net(code);
    if (line !== '') {
      if (lineNet < 0) {
        let closed = -lineNet;
        while (closed > 0 && indents.length > 0) {
          const top = indents[indents.length - 1];
          if (closed > top) {
            closed -= top;
            indents.pop();
          } else if (closed < top) {
            indents[indents.length - 1] -= closed;
            closed = 0;
          } else {
            indents.pop();
            closed = 0;
          }
        }
      }
      const want = 2 * indents.length;
      const have = raw.length - raw.trimStart().length;
      if (have !== want) problems.push(`${name}:${n}: indent ${have}, expected ${want}`);
      if (lineNet > 0) indents.push(lineNet);
    }
    const attr = /^(\s*[A-Za-z0-9_"-]+)(\s*)=(?!=)/.exec(raw);
    const rhsNet = attr ? net(code.slice(code.indexOf('=') + 1)) : 0;
    if (attr && rhsNet === 0) {
      chain.push({ line: n, leadEnd: attr[1].length, eq: attr[1].length + attr[2].length });
    } else {
      if (chain.length) closeChain();
      if (attr && attr[2] !== ' ') problems.push(`${name}:${n}: one space before "=" of a multi-line value`);
    }
  });
  if (chain.length) closeChain();
  if (indents.length !== 0) problems.push(`${name}: unbalanced brackets`);
  return problems;
}

describe.each(CLOUDS)('the %s module', (cloud) => {
  const used = usage.get(cloud) as TerraformUsage;
  const table = documentedResources();

  it('parses, and requires its own provider only', () => {
    expect(used.files.size).toBeGreaterThanOrEqual(3);
    expect([...used.providers]).toEqual([[cloud, PROVIDERS[cloud]]]);
    for (const type of used.resources.keys()) expect(type.startsWith(`${cloud}_`)).toBe(true);
  });

  it('uses only resource types and arguments listed in docs/terraform-resources.md, each with a source', () => {
    const missing: string[] = [];
    for (const [type, args] of used.resources) {
      const row = table.get(type);
      if (!row) {
        missing.push(`${type} (no row)`);
        continue;
      }
      expect(row.source).toMatch(new RegExp(`^${cloud}: docs/resources/[a-z0-9_]+\\.md @ [0-9a-f]{8}`));
      for (const arg of args) if (!row.args.has(arg)) missing.push(`${type}.${arg}`);
    }
    expect(missing).toEqual([]);
  });

  it('declares every var.* and local.* it references (the files of one module share them)', () => {
    const text = tfFiles(cloud)
      .map((file) => file.text.replace(/^\s*#.*$/gm, ''))
      .join('\n');
    const declaredVars = new Set(Object.keys(variablesOf(cloud)));
    const declaredLocals = new Set(Object.keys(localsOf(cloud)));
    const refs = (kind: string) =>
      new Set([...text.matchAll(new RegExp(`\\b${kind}\\.([a-z0-9_]+)`, 'g'))].map((m) => m[1]));
    expect([...refs('var')].filter((name) => !declaredVars.has(name))).toEqual([]);
    expect([...refs('local')].filter((name) => !declaredLocals.has(name))).toEqual([]);
    // and nothing declared goes unused
    expect([...declaredVars].filter((name) => !refs('var').has(name))).toEqual([]);
    expect([...declaredLocals].filter((name) => !refs('local').has(name))).toEqual([]);
  });

  it('follows terraform fmt layout', () => {
    expect(tfFiles(cloud).flatMap((file) => fmtProblems(file.name, file.text))).toEqual([]);
  });

  it('deploys every function from its zip in dist/functiongraph, with initializer and Node.js 20', () => {
    const variables = variablesOf(cloud);
    expect(variables.functions[0].default).toEqual([...FUNCTION_NAMES]);
    const main = readFileSync(join(moduleDir(cloud), 'main.tf'), 'utf8');
    expect(main).toContain('filebase64("${local.package_dir}/${each.key}.zip")');
    expect(localsOf(cloud).package_dir).toBe(
      '${coalesce(var.package_dir, "${path.module}/../../../dist/functiongraph")}',
    );
    expect(main).toMatch(/handler\s+= "index\.handler"/);
    expect(main).toMatch(/initializer_handler\s+= "index\.initializer"/);
    expect(variables.runtime[0].default).toBe('Node.js20.15');
    // An empty whitelist is refused at plan time, as the function refuses it at cold start.
    expect(main).toContain('each.key != "login-whitelist" || length(var.ip_whitelist) > 0');
  });

  it('passes every variable the functions read (README) to them', () => {
    const locals = localsOf(cloud);
    const wired = new Set([
      ...Object.keys(locals.common_environment as Json),
      ...Object.values(locals.function_environment as Record<string, Json>).flatMap((env) => Object.keys(env)),
    ]);
    // Lambda-only or platform-default settings, and aliases of names that are wired.
    const notForFunctionGraph = new Set([
      'ALERT_SINK',
      'S3_ENDPOINT',
      'SNS_TOPIC_ARN',
      'AWS_REGION',
      'IP',
      'SMN_Topic',
      // DynamoDB and CloudTrail endpoints: AWS only.
      'STATE_ENDPOINT',
      'CLOUDTRAIL_ENDPOINT',
      // trail-integrity's S3 bucket and KMS key rules: AWS only (on CTS it watches the CTS service).
      'TRAIL_BUCKETS',
      'TRAIL_KMS_KEYS',
      // AWS Organizations ListAccounts: AWS only (Huawei alerts name the domain from the trace).
      'ACCOUNT_NAMES_FROM_ORGANIZATIONS',
      'ORGANIZATIONS_ENDPOINT',
    ]);
    const aliases = new Set(['SMN_TOPIC_URN', 'RegionName']);
    const wanted = [...readmeVariables()].filter((name) => !notForFunctionGraph.has(name) && !aliases.has(name));
    expect(wanted).toEqual(
      expect.arrayContaining(['IP_WHITELIST', 'RULE_SETS', 'METRIC_NAMESPACE', 'NOTIFY_ON', 'LOG_LEVEL']),
    );
    expect(wanted.filter((name) => !wired.has(name))).toEqual([]);
    expect(wired.has('FILTER_RULE_NAME') && wired.has('FILTER_SEVERITY')).toBe(true);
    // OBS_ENDPOINT / CTS_PUBLIC_KEY: what the FunctionGraph package reads for digests on OBS (README, "CTS digests").
    expect(Object.keys((locals.function_environment as Record<string, Json>)['trail-integrity']).sort()).toEqual([
      'CTS_PUBLIC_KEY',
      'DELIVERY_GAP',
      'OBS_ENDPOINT',
    ]);
  });

  it('checks the IP whitelist and the other checkable variables with validation blocks', () => {
    const variables = variablesOf(cloud);
    const validated = Object.entries(variables)
      .filter(([, [body]]) => Array.isArray(body.validation))
      .map(([name]) => name);
    expect(validated).toEqual(
      expect.arrayContaining([
        'ip_whitelist',
        'region',
        'non_ip_source',
        'metric_namespace',
        'metric_name',
        'notify_on',
        'log_level',
        'subscriptions',
        'custom_rules',
        'flush_schedule',
        'delivery_gap',
      ]),
    );
    for (const [name, [body]] of Object.entries(variables))
      expect([name, typeof body.description]).toEqual([name, 'string']);
    const ipChecks = (variables.ip_whitelist[0].validation as Json[]).map((v) => String(v.condition));
    expect(ipChecks.join(' ')).toMatch(/cidrhost/);
  });
});

describe.each(CLOUDS)('the %s module and trail-integrity, the DCS state store, terraform itself', (cloud) => {
  const main = readFileSync(join(moduleDir(cloud), 'main.tf'), 'utf8');
  const locals = () => localsOf(cloud);
  const variables = () => variablesOf(cloud);

  it('deploys trail-integrity: SMN publish, OBS read of trace_bucket, CTS operations on CTS, always a timer', () => {
    expect((locals().project_actions as Json)['trail-integrity']).toEqual(['smn:topic:publish']);
    expect(locals().reads_trace_files).toEqual(expect.arrayContaining(['trail-integrity']));
    // The flush timer is how delivery gaps are found: trail-integrity has it whatever memory_flush says.
    expect(locals().flush_functions).toBe(
      '${var.memory_flush ? var.functions : setintersection(var.functions, ["trail-integrity"])}',
    );
    expect(main).toMatch(/"flush" \{\n {2}for_each = local\.flush_functions\n/);
    if (cloud === 'flexibleengine') {
      // No CTS trigger: the key-event topic's SMN trigger reaches trail-integrity too.
      expect(String(locals().cts_functions)).toContain('"trail-integrity"');
      expect(variables().trail_integrity_operations).toBeUndefined();
    } else {
      expect((locals().cts_operations as Json)['trail-integrity']).toBe('${var.trail_integrity_operations}');
      expect(variables().trail_integrity_operations[0].default).toEqual([
        'CTS:tracker;notification:deleteTracker;updateTracker;deleteNotification;updateNotification;updateNotificationStatus',
      ]);
    }
  });

  it('points STATE_STORE / STATE_PASSWORD at the DCS instance it creates, reading only documented attributes', () => {
    const type = DCS_TYPES[cloud];
    const env = locals().common_environment as Json;
    expect([env.STATE_STORE, env.STATE_PASSWORD]).toEqual(['${local.state_store}', '${local.state_password}']);
    expect(locals().state_store).toBe('${var.state_store != null ? var.state_store : local.dcs_address}');
    expect(locals().state_password).toBe(
      '${var.state_password != null ? var.state_password : (var.dcs == null || var.state_store != null ? null : var.dcs.password)}',
    );
    const host = cloud === 'flexibleengine' ? 'ip' : 'domain_name';
    expect(locals().dcs_address).toBe(
      `\${var.dcs == null ? null : "redis://\${${type}.state[0].${host}}:\${coalesce(${type}.state[0].port, 6379)}"}`,
    );
    const documented = documentedAttributes().get(type);
    expect(documented).toBeDefined();
    const text = tfFiles(cloud)
      .map((file) => file.text)
      .join('\n');
    const read = [...text.matchAll(new RegExp(`\\b${type}\\.[a-z0-9_]+(?:\\[[^\\]]*\\])?\\.([a-z0-9_]+)`, 'g'))].map(
      (m) => m[1],
    );
    expect(read.length).toBeGreaterThan(0);
    expect(read.filter((attr) => !documented?.has(attr))).toEqual([]);
  });

  withTerraform('is as `terraform fmt -check` wants it (the real binary)', () => {
    const result = terraform(['fmt', '-check', '-recursive', '-no-color', '.'], moduleDir(cloud));
    expect([result.status, result.stdout.trim()]).toEqual([0, '']);
  });

  withTerraform(
    'its validation blocks pass good values and refuse bad ones (terraform plan of the variable files)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), `tg-tf-${cloud}-`));
      try {
        for (const name of ['variables.tf', 'shared_variables.tf'])
          cpSync(join(moduleDir(cloud), name), join(dir, name));
        expect(terraform(['init', '-input=false', '-no-color'], dir).status).toBe(0);
        const plan = (vars: Json) => {
          writeFileSync(join(dir, 'case.tfvars.json'), JSON.stringify(vars));
          const r = terraform(['plan', '-input=false', '-no-color', '-var-file=case.tfvars.json'], dir);
          return { status: r.status, out: `${r.stdout}${r.stderr}`.replace(/[│╷╵]/g, '').replace(/\s+/g, ' ') };
        };
        const region =
          cloud === 'opentelekomcloud' ? 'eu-de' : cloud === 'flexibleengine' ? 'eu-west-0' : 'ap-southeast-1';
        const good = plan({
          region,
          functions: [...FUNCTION_NAMES],
          ip_whitelist: ['203.0.113.0/24', '198.51.100.7', '2001:db8::/48'],
          delivery_gap: 'logs=2h, digests=90m',
          subscriptions: [{ protocol: 'email', endpoint: 'secops@example.com' }],
          dcs: { vpc_id: 'v', subnet_id: 's', password: 'Secret_123', availability_zones: ['a'], product_id: 'p' },
          trace_bucket: 'cts-traces',
          obs_trigger_prefix: 'CloudTraces/eu-de/',
          obs_trigger_suffix: '.json',
          obs_endpoint: 'https://obs.eu-de.otc.t-systems.com',
          cts_public_key: CTS_PUBLIC_KEY_SPKI,
          alert_format: 'structured',
          routes: JSON.stringify([{ match: { severity: '>=high' }, topics: ['urn:smn:eu-de:0123:oncall'] }]),
          webhook_url: 'https://hooks.slack.com/services/T0/B0/x',
          webhook_format: 'slack',
        });
        expect(good).toEqual({ status: 0, out: expect.stringContaining('No changes') });
        const bad = plan({
          region: 'Mars',
          functions: ['trail-integrity', 'nope'],
          ip_whitelist: ['10.0.0.300'],
          delivery_gap: 'digests=30m',
          log_level: 'loud',
          flush_schedule: '90m',
          obs_trigger_prefix: '/CloudTraces/',
          obs_trigger_suffix: '.txt',
          obs_endpoint: 'obs.eu-de.otc.t-systems.com',
          cts_public_key: '-----BEGIN PUBLIC KEY-----',
          alert_format: 'chatbot',
          routes: '{"match":{}}',
          webhook_url: 'http://hooks.example/x',
          webhook_format: 'xml',
        });
        expect(bad.status).not.toBe(0);
        for (const message of [
          'The region must be a region name',
          'The functions are login-whitelist, unauthorized-api, config-compliance and trail-integrity.',
          'Every whitelist entry must be an IPv4 or IPv6 address or a CIDR range.',
          'DELIVERY_GAP: digests are delivered hourly',
          'The log level is one of',
          'The rate is 1m to 60m.',
          'obs_trigger_prefix is an object key prefix',
          'obs_trigger_suffix is .json.gz, .json, .gz or null',
          'OBS_ENDPOINT is an http(s) URL of a host',
          'CTS_PUBLIC_KEY is the base64 DER',
          'ALERT_FORMAT on SMN is text or structured',
          'ROUTES is a JSON array of routes.',
          'WEBHOOK_URL must be an https URL.',
          'WEBHOOK_FORMAT is slack, teams or json.',
        ])
          expect(bad.out).toContain(message);
        // delivery_gap is in shared_variables.tf, the same bytes in every module: its cases once.
        if (cloud === 'huaweicloud') {
          for (const gap of ['0', 'soon', 'logs=30x', 'digests=59m'])
            expect([gap, plan({ region, delivery_gap: gap }).status]).toEqual([gap, 1]);
          for (const gap of ['30m', '45', 'logs=30m,digests=2h', 'digests=1d'])
            expect([gap, plan({ region, delivery_gap: gap }).status]).toEqual([gap, 0]);
        }
        // The prefix and suffix are in shared_variables.tf too: their edge cases once.
        if (cloud === 'huaweicloud') {
          for (const prefix of ['CloudTraces/', 'CloudTraces/eu-de/2026/', null])
            expect([prefix, plan({ region, obs_trigger_prefix: prefix }).status]).toEqual([prefix, 0]);
          for (const prefix of ['/', 'Cloud Traces/', 'a\\b', 'x'.repeat(1025)])
            expect([prefix.slice(0, 20), plan({ region, obs_trigger_prefix: prefix }).status]).toEqual([
              prefix.slice(0, 20),
              1,
            ]);
          for (const suffix of ['.json.gz', '.json', '.gz', null])
            expect([suffix, plan({ region, obs_trigger_suffix: suffix }).status]).toEqual([suffix, 0]);
          expect(plan({ region, obs_trigger_suffix: '' }).status).toBe(1);
        }
        if (cloud !== 'flexibleengine')
          expect(plan({ region, trail_integrity_operations: ['CTS deleteTracker'] }).out).toContain(
            'At most 10 operations entries',
          );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

/** The trigger resource of trail-integrity on trace_bucket, per cloud: its type and where its OBS settings are. */
const OBS_TRIGGER_TYPES = {
  huaweicloud: 'huaweicloud_fgs_function_trigger',
  opentelekomcloud: 'opentelekomcloud_fgs_trigger_v2',
  flexibleengine: 'flexibleengine_fgs_trigger',
} as const;

describe.each(CLOUDS)('the %s module: the OBS trigger of trail-integrity on trace_bucket', (cloud) => {
  const main = [...(usage.get(cloud)?.files.entries() ?? [])].find(([name]) => name === 'main.tf')?.[1] as Json;
  const triggers = (main.resource as Record<string, Record<string, Json[]>>)[OBS_TRIGGER_TYPES[cloud]];
  const trigger = triggers?.trace_bucket?.[0] as Json;

  it('is an OBS-type trigger of trail-integrity, its settings from the variables', () => {
    expect(trigger).toBeDefined();
    expect(trigger.type).toBe('OBS');
    expect(trigger.count).toBe('${local.obs_trigger ? 1 : 0}');
    expect(String(trigger.function_urn)).toContain('.function["trail-integrity"].urn');
    expect(localsOf(cloud).obs_trigger).toBe(
      '${var.trace_bucket != null && var.obs_trigger && contains(var.functions, "trail-integrity")}',
    );
    // The agency already reads the bucket (trace_bucket_read): the function fetches the digest it is told of.
    expect(localsOf(cloud).reads_trace_files).toEqual(expect.arrayContaining(['trail-integrity']));
    if (cloud === 'flexibleengine') {
      // FE's provider has a typed obs block (events ObjectCreated = Put, Post, Copy, CompleteMultipartUpload).
      expect(trigger.status).toBe('ACTIVE');
      expect(trigger).not.toHaveProperty('event_data');
    } else expect(String(trigger.event_data)).toContain('"s3:ObjectCreated:*"');
  });

  // What the trigger would be created with, computed by terraform from the module's own expressions: the
  // variable files, shared_locals.tf, the provider-derived locals stubbed, and outputs of the trigger's
  // count, its OBS settings, and trail-integrity's environment (Terraform's JSON syntax takes the parsed HCL).
  withTerraform(
    'exists only with trace_bucket and trail-integrity, on object-created events under CloudTraces/, ending .json.gz',
    () => {
      const dir = mkdtempSync(join(tmpdir(), `tg-tf-obs-${cloud}-`));
      try {
        for (const name of ['variables.tf', 'shared_variables.tf', 'shared_locals.tf'])
          cpSync(join(moduleDir(cloud), name), join(dir, name));
        const settings = cloud === 'flexibleengine' ? (trigger.obs as Json[])[0] : trigger.event_data;
        const stub = {
          locals: {
            smn_cloud: 'stub',
            topic_urn: 'urn:smn:eu-de:0123456789abcdef:trailguard-alerts',
            dcs_address: null,
            default_obs_endpoint: localsOf(cloud).default_obs_endpoint,
          },
          output: {
            count: { value: trigger.count },
            settings: { value: settings },
            env: {
              value:
                '${{ for k, v in merge(local.common_environment, local.function_environment["trail-integrity"]) : k => v if v != null }}',
              sensitive: true,
            },
          },
        };
        writeFileSync(join(dir, 'stub.tf.json'), JSON.stringify(stub));
        expect(terraform(['init', '-input=false', '-no-color'], dir).status).toBe(0);
        const region = { huaweicloud: 'ap-southeast-1', opentelekomcloud: 'eu-de', flexibleengine: 'eu-west-0' }[cloud];
        const evaluate = (vars: Json) => {
          writeFileSync(
            join(dir, 'case.tfvars.json'),
            JSON.stringify({ region, ip_whitelist: ['203.0.113.0/24'], ...vars }),
          );
          const apply = terraform(
            ['apply', '-auto-approve', '-input=false', '-no-color', '-var-file=case.tfvars.json'],
            dir,
          );
          expect([apply.status, apply.stderr]).toEqual([0, expect.any(String)]);
          const out = JSON.parse(terraform(['output', '-json', '-no-color'], dir).stdout) as Record<
            string,
            { value: unknown }
          >;
          const value = (name: string) => out[name]?.value;
          const raw = value('settings');
          return {
            count: value('count'),
            settings: (typeof raw === 'string' ? JSON.parse(raw) : raw) as Json,
            env: value('env') as Record<string, string>,
          };
        };
        const defaultEndpoint = {
          huaweicloud: undefined,
          opentelekomcloud: 'https://obs.eu-de.otc.t-systems.com',
          flexibleengine: 'https://oss.eu-west-0.prod-cloud-ocb.orange-business.com',
        }[cloud];

        // trace_bucket set: one trigger, CTS's key layout (huawei-facts §8; UNVERIFIED against real files).
        const on = evaluate({ trace_bucket: 'cts-traces' });
        expect(on.count).toBe(1);
        if (cloud === 'flexibleengine') {
          expect(on.settings).toEqual({
            bucket_name: 'cts-traces',
            event_notification_name: 'trailguard_trail_integrity_digests',
            events: ['ObjectCreated'],
            prefix: 'CloudTraces/',
            suffix: '.json.gz',
          });
        } else {
          expect(on.settings).toEqual({
            bucket: 'cts-traces',
            events: ['s3:ObjectCreated:*'],
            prefix: 'CloudTraces/',
            suffix: '.json.gz',
          });
        }
        // A CTS digest key and a gzip trace file key both match; the function tells them apart by name.
        const matches = (key: string) =>
          key.startsWith(String(on.settings.prefix)) && key.endsWith(String(on.settings.suffix));
        expect(
          matches(
            'CloudTraces/eu-de/2026/11/24/system/Digest/ECS/trace_CloudTrace-Digest_eu-de_2026-11-24T10-00-00Z.json.gz',
          ),
        ).toBe(true);
        expect(
          matches('CloudTraces/eu-de/2026/11/24/system/ECS/trace_CloudTrace_eu-de_2026-11-24T10-01-02Z_ab12.json.gz'),
        ).toBe(true);
        expect(matches('other/report.csv')).toBe(false);
        expect(on.env.OBS_ENDPOINT).toBe(defaultEndpoint);
        expect(on.env).not.toHaveProperty('CTS_PUBLIC_KEY');

        // No suffix (trackers that do not compress), the whole bucket, an endpoint and key of one's own.
        const open = evaluate({
          trace_bucket: 'cts-traces',
          obs_trigger_prefix: null,
          obs_trigger_suffix: null,
          obs_endpoint: 'https://obs.vpc.example:8443',
          cts_public_key: CTS_PUBLIC_KEY_SPKI,
        });
        expect(open.count).toBe(1);
        if (cloud === 'flexibleengine') expect([open.settings.prefix, open.settings.suffix]).toEqual([null, null]);
        else expect(open.settings).toEqual({ bucket: 'cts-traces', events: ['s3:ObjectCreated:*'] });
        expect([open.env.OBS_ENDPOINT, open.env.CTS_PUBLIC_KEY]).toEqual([
          'https://obs.vpc.example:8443',
          CTS_PUBLIC_KEY_SPKI,
        ]);

        // No trace_bucket, no trail-integrity, or obs_trigger = false: no trigger (and no default endpoint).
        const off = evaluate({});
        expect(off.count).toBe(0);
        expect(off.env).not.toHaveProperty('OBS_ENDPOINT');
        expect(evaluate({ trace_bucket: 'cts-traces', functions: ['login-whitelist'] }).count).toBe(0);
        expect(evaluate({ trace_bucket: 'cts-traces', obs_trigger: false }).count).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});

describe('the shared locals, evaluated by terraform (huaweicloud variables; the locals are one copy)', () => {
  // The module's variable files and shared_locals.tf, with the three provider-derived locals stubbed and
  // outputs of what the functions would get: `terraform apply` of outputs only needs no provider.
  const STUB = `locals {
  smn_cloud   = "huaweicloud"
  topic_urn   = "urn:smn:ap-southeast-1:0123456789abcdef:trailguard-alerts"
  dcs_address = var.dcs == null ? null : "redis://dcs.example.internal:6379"

  default_obs_endpoint = null
}

output "env" {
  sensitive = true
  value = { for fn in var.functions : fn => {
    for k, v in merge(local.common_environment, local.function_environment[fn], var.extra_environment) : k => v if v != null
  } }
}

output "flush" {
  value = local.flush_functions
}

output "obs" {
  value = local.obs_functions
}
`;
  const cases: Array<{ name: string; vars: Json; check: (out: Record<string, Json>) => void }> = [
    {
      name: 'defaults: trail-integrity alone has the timer, no state store',
      vars: {},
      check: (out) => {
        expect(out.flush).toEqual(['trail-integrity']);
        expect(out.obs).toEqual([]);
        const env = out.env as Record<string, Json>;
        expect(Object.keys(env).sort()).toEqual([...FUNCTION_NAMES].sort());
        expect(env['trail-integrity']).not.toHaveProperty('DELIVERY_GAP');
        expect(env['trail-integrity']).not.toHaveProperty('STATE_STORE');
        expect(env['trail-integrity'].SMN_CLOUD).toBe('huaweicloud');
      },
    },
    {
      name: 'a DCS instance becomes STATE_STORE, its password STATE_PASSWORD',
      vars: {
        dcs: { vpc_id: 'v', subnet_id: 's', password: 'Secret_123', availability_zones: ['a'] },
        delivery_gap: 'logs=2h,digests=3h',
        memory_flush: true,
        trace_bucket: 'cts-traces',
      },
      check: (out) => {
        const env = out.env as Record<string, Json>;
        for (const fn of FUNCTION_NAMES) {
          expect(env[fn].STATE_STORE).toBe('redis://dcs.example.internal:6379');
          expect(env[fn].STATE_PASSWORD).toBe('Secret_123');
        }
        expect(env['trail-integrity'].DELIVERY_GAP).toBe('logs=2h,digests=3h');
        expect((out.flush as unknown as string[]).sort()).toEqual([...FUNCTION_NAMES].sort());
        expect((out.obs as unknown as string[]).sort()).toEqual([
          'login-whitelist',
          'trail-integrity',
          'unauthorized-api',
        ]);
      },
    },
    {
      name: 'state_store wins over the DCS instance, and then its password is not sent',
      vars: {
        dcs: { vpc_id: 'v', subnet_id: 's', password: 'Secret_123', availability_zones: ['a'] },
        state_store: 'rediss://other.example:6380',
        functions: ['login-whitelist'],
      },
      check: (out) => {
        const env = (out.env as Record<string, Json>)['login-whitelist'];
        expect(env.STATE_STORE).toBe('rediss://other.example:6380');
        expect(env).not.toHaveProperty('STATE_PASSWORD');
        expect(out.flush).toEqual([]);
      },
    },
    {
      name: 'state_password wins over the DCS password',
      vars: {
        dcs: { vpc_id: 'v', subnet_id: 's', password: 'Secret_123', availability_zones: ['a'] },
        state_password: 'Other_456',
      },
      check: (out) => {
        const env = (out.env as Record<string, Json>)['config-compliance'];
        expect([env.STATE_STORE, env.STATE_PASSWORD]).toEqual(['redis://dcs.example.internal:6379', 'Other_456']);
      },
    },
  ];

  /** The outputs of `terraform apply` of the stubbed locals for these variables. */
  function evaluate(vars: Json): Record<string, Json> {
    const dir = mkdtempSync(join(tmpdir(), 'tg-tf-locals-'));
    try {
      for (const name of ['variables.tf', 'shared_variables.tf', 'shared_locals.tf'])
        cpSync(join(moduleDir('huaweicloud'), name), join(dir, name));
      writeFileSync(join(dir, 'stub.tf'), STUB);
      writeFileSync(
        join(dir, 'case.tfvars.json'),
        JSON.stringify({ region: 'ap-southeast-1', ip_whitelist: ['203.0.113.0/24'], ...vars }),
      );
      expect(terraform(['init', '-input=false', '-no-color'], dir).status).toBe(0);
      const apply = terraform(
        ['apply', '-auto-approve', '-input=false', '-no-color', '-var-file=case.tfvars.json'],
        dir,
      );
      expect([apply.status, apply.stderr]).toEqual([0, expect.any(String)]);
      const out = JSON.parse(terraform(['output', '-json', '-no-color'], dir).stdout) as Record<
        string,
        { value: Json }
      >;
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  withTerraform.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => c.check(evaluate(c.vars)));

  // What the module hands each function (user_data) must pass that function's configuration check at
  // cold start, in the package that is uploaded: build, unzip, run its initializer with those variables.
  withTerraform(
    'the shipped packages (dist/functiongraph/<fn>.zip) start with the variables the module gives them',
    () => {
      const env = evaluate({
        ip_whitelist: ['203.0.113.0/24', '2001:db8::/48'],
        alert_on_failed_login: true,
        non_ip_source: 'ignore',
        rule_sets: ['unauthorized', 'cis'],
        custom_rules: JSON.stringify([
          { name: 'root-use', pattern: '{ $.userIdentity.type = "Root" }', severity: 'high' },
        ]),
        filter_pattern: '{ $.errorCode = "AccessDenied" }',
        filter_rule_name: 'denied',
        filter_severity: 'medium',
        metric_namespace: 'ACME.Trail',
        notify_on: ['NON_COMPLIANT', 'COMPLIANT'],
        rule_include: ['iam-*'],
        delivery_gap: 'logs=2h,digests=3h',
        max_decompressed_mb: 64,
        state_store: 'memory',
        dedup_ttl: '24h',
        dedup_window: '15m',
        log_level: 'silent',
        sink_endpoint: 'http://127.0.0.1:9',
        project_id: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
        trace_bucket: 'cts-traces',
        obs_endpoint: 'https://obs.eu-de.otc.t-systems.com',
        cts_public_key: CTS_PUBLIC_KEY_SPKI,
        alert_format: 'structured',
        webhook_url: 'https://hooks.slack.com/services/T0/B0/x',
        webhook_format: 'slack',
      }).env as Record<string, Record<string, string>>;
      expect(env['trail-integrity']).toMatchObject({
        OBS_ENDPOINT: 'https://obs.eu-de.otc.t-systems.com',
        CTS_PUBLIC_KEY: CTS_PUBLIC_KEY_SPKI,
      });
      const built = buildBundles();
      expect([built.status, built.stderr]).toEqual([0, '']);
      const unpacked = mkdtempSync(join(tmpdir(), 'tg-tf-packages-'));
      try {
        for (const fn of FUNCTION_NAMES) {
          const dir = join(unpacked, fn);
          mkdirSync(dir);
          for (const entry of readZip(readFileSync(join(ROOT, 'dist', 'functiongraph', `${fn}.zip`)))) {
            // The zips hold folders too (geo/ beside the bundle).
            mkdirSync(dirname(join(dir, entry.name)), { recursive: true });
            writeFileSync(join(dir, entry.name), entry.data);
          }
          let mod: { initializer: (ctx: unknown, cb: (error: Error | null) => void) => void } | undefined;
          jest.isolateModules(() => {
            mod = require(join(dir, 'index.js'));
          });
          const userData = env[fn];
          let outcome: Error | null | undefined;
          mod?.initializer(
            functionGraphContext({
              userData,
              projectId: userData.PROJECT_ID,
              token: 'MIIZfake-token',
              keys: { accessKey: 'AK', secretKey: 'SK' },
            }),
            (error) => {
              outcome = error;
            },
          );
          expect([fn, outcome?.message ?? outcome]).toEqual([fn, null]);
        }
      } finally {
        rmSync(unpacked, { recursive: true, force: true });
      }
    },
    180_000,
  );
});

describe('the three modules', () => {
  it('offer the same variables, but for how CTS events arrive', () => {
    const names = (cloud: string) =>
      Object.keys(variablesOf(cloud))
        .filter(
          (name) =>
            ![
              'login_operations',
              'unauthorized_api_operations',
              'trail_integrity_operations',
              'cts_events_topic_name',
              'key_events',
            ].includes(name),
        )
        .sort();
    expect(names('opentelekomcloud')).toEqual(names('huaweicloud'));
    expect(names('flexibleengine')).toEqual(names('huaweicloud'));
  });

  it('share one source of their common variables and locals (deploy/terraform/_shared), copied in sync', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'terraform-sync.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect([result.status, result.stderr]).toEqual([0, '']);
    for (const cloud of CLOUDS)
      for (const name of ['variables.tf', 'locals.tf']) {
        const copy = readFileSync(join(moduleDir(cloud), `shared_${name}`), 'utf8');
        const source = readFileSync(join(ROOT, 'deploy', 'terraform', '_shared', name), 'utf8');
        expect(copy).toBe(
          `# GENERATED from deploy/terraform/_shared/${name} by \`node scripts/terraform-sync.mjs\`: edit that file, then run it.\n\n${source}`,
        );
      }
    // What stays per module is what differs: provider resources, the region, the console URL, the DCS
    // flavour argument, and how CTS events arrive.
    for (const cloud of CLOUDS)
      expect(Object.keys((usage.get(cloud)?.files.get('variables.tf')?.variable as Json) ?? {}).length).toBeLessThan(8);
    expect(
      fmtProblems('_shared/variables.tf', readFileSync(join(ROOT, 'deploy/terraform/_shared/variables.tf'), 'utf8')),
    ).toEqual([]);
    expect(
      fmtProblems('_shared/locals.tf', readFileSync(join(ROOT, 'deploy/terraform/_shared/locals.tf'), 'utf8')),
    ).toEqual([]);
  });

  it('every row of docs/terraform-resources.md is used by a module (no stale rows)', () => {
    const usedTypes = new Set(CLOUDS.flatMap((cloud) => [...(usage.get(cloud)?.resources.keys() ?? [])]));
    expect([...documentedResources().keys()].filter((type) => !usedTypes.has(type))).toEqual([]);
  });

  it('the fmt check itself catches a misaligned "=" and a wrong indent', () => {
    const bad = 'resource "a_b" "c" {\n  name = "x"\n  description = "y"\n   type = "z"\n}\n';
    expect(fmtProblems('bad.tf', bad)).toEqual(
      expect.arrayContaining([expect.stringMatching(/bad\.tf:2: "="/), expect.stringMatching(/bad\.tf:4: indent 3/)]),
    );
    expect(fmtProblems('good.tf', 'resource "a_b" "c" {\n  name        = "x"\n  description = "y"\n}\n')).toEqual([]);
  });

  it('the HCL parser refuses a broken file, so a passing parse means something', () => {
    const result = parseHcl([{ name: 'broken.tf', text: 'resource "a" "b" {\n' }]).get('broken.tf');
    expect(result).toEqual({ error: expect.stringMatching(/Unclosed configuration block/) });
  });
});
