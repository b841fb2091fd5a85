/**
 * Filter-pattern evaluation cost, as ratios to hand-written checks measured in the same run.
 *
 * Run from the repository root (there is no ts-node; esbuild bundles the TypeScript):
 *
 *   npx esbuild bench/filter-pattern.bench.ts --bundle --platform=node --format=cjs | node
 *
 * It compiles the CIS 3.1 pattern (CloudWatch.2) and a few others, evaluates each over ~200k generated
 * CloudTrail-like records with `matchesValue` (already-parsed records, the pipeline's path), and prints
 * ns per evaluation and the ratio to the baselines. The `matchesMessage` rows include JSON.parse, which
 * dominates; their baseline is JSON.parse alone.
 */
import { CIS_PATTERNS, compileFilterPattern, DEFAULT_UNAUTHORIZED_PATTERN } from '../shared/detect/filter-pattern';

const RECORDS = 200_000;
const ROUNDS = 7;

// ---- deterministic records ---------------------------------------------------------------------------

let seed = 0x2f6b_1d3;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fff_ffff;
  return seed / 0x8000_0000;
}
function pick<T>(items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

const EVENT_NAMES = [
  'GetObject',
  'PutObject',
  'DescribeInstances',
  'RunInstances',
  'AssumeRole',
  'ConsoleLogin',
  'CreateTrail',
  'StopLogging',
  'PutBucketPolicy',
  'AuthorizeSecurityGroupIngress',
  'CreateVpc',
  'DeleteRoute',
  'PutUserPolicy',
  'ListBuckets',
  'Decrypt',
  'DisableKey',
  'CreateAccount',
] as const;
const SOURCES = [
  's3.amazonaws.com',
  'ec2.amazonaws.com',
  'sts.amazonaws.com',
  'signin.amazonaws.com',
  'kms.amazonaws.com',
  'cloudtrail.amazonaws.com',
  'iam.amazonaws.com',
  'organizations.amazonaws.com',
] as const;
const IDENTITY_TYPES = ['IAMUser', 'AssumedRole', 'AWSService', 'Root', 'FederatedUser'] as const;

function makeRecord(n: number): Record<string, unknown> {
  const eventName = pick(EVENT_NAMES);
  const type = pick(IDENTITY_TYPES);
  const roll = random();
  const record: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: {
      type,
      principalId: `AIDAEXAMPLE${n}`,
      arn: `arn:aws:iam::111122223333:user/user-${n % 97}`,
      accountId: '111122223333',
      ...(type === 'AWSService' ? { invokedBy: 'lambda.amazonaws.com' } : {}),
    },
    eventTime: '2024-06-03T17:22:09Z',
    eventSource: pick(SOURCES),
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: `198.51.100.${n % 250}`,
    userAgent: 'aws-cli/2.15.58',
    requestParameters: null,
    responseElements: eventName === 'ConsoleLogin' ? { ConsoleLogin: random() < 0.9 ? 'Success' : 'Failure' } : null,
    eventID: `evt-${n}`,
    eventType: eventName === 'ConsoleLogin' ? 'AwsConsoleSignIn' : 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
  if (eventName === 'ConsoleLogin') record.additionalEventData = { MFAUsed: random() < 0.7 ? 'Yes' : 'No' };
  if (roll < 0.05) record.errorCode = pick(['AccessDenied', 'AccessDeniedException']);
  else if (roll < 0.08) record.errorCode = 'Client.UnauthorizedOperation';
  else if (roll < 0.1) record.errorCode = pick(['ThrottlingException', 'NoSuchBucket', 'ValidationException']);
  if (record.errorCode !== undefined) record.errorMessage = 'You are not authorized to perform this operation.';
  return record;
}

const records = Array.from({ length: RECORDS }, (_, n) => makeRecord(n));
const messages = records.slice(0, RECORDS / 4).map((record) => JSON.stringify(record));

// ---- timing ------------------------------------------------------------------------------------------

/** Best of ROUNDS passes, in ns per call; returns the match count too so nothing is optimised away. */
function measure<T>(inputs: readonly T[], test: (input: T) => boolean): { ns: number; matches: number } {
  let best = Infinity;
  let matches = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < inputs.length; i++) if (test(inputs[i]!)) count++;
    const elapsed = Number(process.hrtime.bigint() - started);
    best = Math.min(best, elapsed / inputs.length);
    matches = count;
  }
  return { ns: best, matches };
}

type Row = { name: string; ns: number; matches: number; baseline: number };
const rows: Row[] = [];

const errorCodeIsAccessDenied = measure(records, (rec) => rec.errorCode === 'AccessDenied');
const handWrittenCis31 = measure(records, (rec) => {
  const code = Object.hasOwn(rec, 'errorCode') ? rec.errorCode : undefined;
  return typeof code === 'string' && (code.endsWith('UnauthorizedOperation') || code.startsWith('AccessDenied'));
});
rows.push({
  name: "baseline: rec.errorCode === 'AccessDenied'",
  ...errorCodeIsAccessDenied,
  baseline: errorCodeIsAccessDenied.ns,
});
rows.push({ name: 'baseline: hand-written CIS 3.1 check', ...handWrittenCis31, baseline: errorCodeIsAccessDenied.ns });

const cis = (id: string) => CIS_PATTERNS.find((entry) => entry.id === id)!.pattern;
const valuePatterns: [string, string][] = [
  ['CIS 3.1 / CloudWatch.2 (unauthorized)', cis('CloudWatch.2')],
  ['default unauthorized pattern', DEFAULT_UNAUTHORIZED_PATTERN],
  ['CloudWatch.1 (root usage, NOT EXISTS)', cis('CloudWatch.1')],
  ['CloudWatch.3 (console without MFA)', cis('CloudWatch.3')],
  ['CloudWatch.4 (16-way ||)', cis('CloudWatch.4')],
  ['CIS 4.15 (organizations, 18-way ||)', cis('CIS.4.15')],
  ['CIS v1.4 4.1 (with exclusions)', cis('CIS.4.1')],
  ['regex value', '{ $.sourceIPAddress = %^198\\.51\\.100\\.1[0-9]$% }'],
  ['wildcard selector', '{ $.userIdentity.* = "Root" }'],
  ['terms pattern (serializes the record)', 'AccessDenied'],
];
for (const [name, pattern] of valuePatterns) {
  const compiled = compileFilterPattern(pattern);
  rows.push({
    name: `matchesValue: ${name}`,
    ...measure(records, compiled.matchesValue),
    baseline: errorCodeIsAccessDenied.ns,
  });
}

const parseOnly = measure(messages, (message) => JSON.parse(message) !== null);
rows.push({ name: 'baseline: JSON.parse only', ...parseOnly, baseline: parseOnly.ns });
const cis31 = compileFilterPattern(cis('CloudWatch.2'));
rows.push({
  name: 'matchesMessage: CIS 3.1 (parses JSON)',
  ...measure(messages, cis31.matchesMessage),
  baseline: parseOnly.ns,
});

// ---- report ------------------------------------------------------------------------------------------

const width = Math.max(...rows.map((row) => row.name.length));
console.log(`node ${process.version}; ${RECORDS} records (${messages.length} messages); best of ${ROUNDS} rounds`);
console.log(`${'case'.padEnd(width)}  ${'ns/eval'.padStart(8)}  ${'ratio'.padStart(7)}  matches`);
for (const row of rows) {
  console.log(
    `${row.name.padEnd(width)}  ${row.ns.toFixed(1).padStart(8)}  ${(row.ns / row.baseline).toFixed(2).padStart(6)}x  ${row.matches}`,
  );
}
console.log('ratio: against the errorCode === check for matchesValue rows, against JSON.parse for matchesMessage rows');
