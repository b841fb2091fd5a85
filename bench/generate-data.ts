/**
 * Realistic audit-trail files for the benchmark, from a seeded PRNG, so every run (and every machine)
 * measures the same bytes:
 * - CloudTrail log files `{"Records":[…]}` as CloudTrail writes them to S3: one line, gzip.
 * - CTS trace batches `{"traces":[…]}` (the CTS query API / OBS transfer shape), gzip.
 *
 * The record mix follows what a busy management + data-event trail holds: S3 data events, read-only
 * describes, service role assumptions, KMS calls from `AWS Internal`, service events, console sign-ins
 * (failures, IPv6, leading-zero IPv4 as seen in real fixtures), refused calls (`AccessDenied*`,
 * `Client.UnauthorizedOperation`), the configuration changes the CIS rules watch, and a few re-delivered
 * duplicates. Records carry the full field sets (sessionContext, tlsDetails, resources, request and
 * response elements), which puts them at 1–2 KB each like real ones.
 *
 * Files are cached in bench/data/ (git-ignored) by kind + seed + size + GENERATOR_VERSION.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';

/** What the files hold, for the results page. Keep in step with cloudTrailRecord and ctsTrace below. */
export const DATA_MIX = {
  cloudtrail:
    'S3 data events 40%, EC2 reads 23%, KMS 12%, service role assumptions 12%, service events (`AWS Internal`, service hosts) 5%, ' +
    'refused calls (`AccessDenied*`, `Client.UnauthorizedOperation`) 3%, CIS-watched configuration changes 2%, console sign-ins 2% ' +
    '(a fifth failed; IPv4, IPv6, leading-zero and IPv4-mapped sources), other errors 1%; 0.1% re-delivered duplicates; ~1.7 KB per record',
  cts: 'API calls 87% (request/response/user as objects or JSON text), refused calls (401/403) 5%, other failures 3%, IAM sign-ins and sign-outs 5% (a quarter failed); ~1.2 KB per trace',
} as const;

/** Bump when the generated content changes, so stale cached files are not reused. */
export const GENERATOR_VERSION = 7;

export const MIB = 1024 * 1024;

export type DataKind = 'cloudtrail' | 'cts';

export interface GeneratedFile {
  kind: DataKind;
  sizeMb: number;
  /** The gzip file, as delivered. */
  gzPath: string;
  /** The same bytes uncompressed (for jq). */
  jsonPath: string;
  records: number;
  rawBytes: number;
  gzBytes: number;
}

// ---- PRNG ----------------------------------------------------------------------------------------------

/** sfc32: small, fast, good enough statistically, and identical on every platform. */
export function createRandom(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b);
  let c = 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35);
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

class Gen {
  constructor(readonly random: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }
  /** Heavy-tailed pick: the first items are the busy ones, as principals and addresses are in real trails. */
  skewed<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.random() ** 3)] as T;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += '0123456789abcdef'[Math.floor(this.random() * 16)];
    return out;
  }
  upper(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[Math.floor(this.random() * 32)];
    return out;
  }
  /** A stable id for a name, like the principal ids IAM hands out (same user, same id). */
  stableId(prefix: string, name: string, length = 17): string {
    let h = 2166136261;
    let out = prefix;
    for (let i = 0; out.length < prefix.length + length; i++) {
      h = Math.imul(h ^ name.charCodeAt(i % name.length) ^ i, 16777619) >>> 0;
      out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[h % 32];
    }
    return out;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${this.hex(3)}-${this.hex(12)}`;
  }
}

// ---- CloudTrail ----------------------------------------------------------------------------------------

const ACCOUNTS = ['111122223333', '444455556666', '777788889999'];
const REGIONS = ['us-east-1', 'us-east-1', 'us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'us-west-2'];
const USERS = [
  'mira.okafor',
  'j.silva',
  'build-bot',
  'deploy',
  'k.nakamura',
  'terraform',
  'a.schmidt',
  'ops-readonly',
  'p.dubois',
  'backup-agent',
];
const ROLES = [
  'AdminRole',
  'ReadOnly',
  'DeployRole',
  'lambda-report-builder-exec',
  'ecsTaskExecutionRole',
  'OrganizationAccountAccessRole',
  'AWSReservedSSO_PowerUser_3f2a9c1e',
];
const BUCKETS = ['acme-logs-prod', 'acme-artifacts', 'acme-data-lake-raw', 'acme-backups-eu', 'cf-templates-1x9d0'];
const SERVICE_HOSTS = [
  'lambda.amazonaws.com',
  'ecs-tasks.amazonaws.com',
  'ec2.amazonaws.com',
  'cloudformation.amazonaws.com',
  'config.amazonaws.com',
  'elasticloadbalancing.amazonaws.com',
  'autoscaling.amazonaws.com',
];
const BROWSER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
];
const SDK_AGENTS = [
  'aws-cli/2.15.58 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#ec2.describe-instances',
  'aws-sdk-js/3.592.0 ua/2.0 os/linux#5.10.216-225.855.amzn2.x86_64 lang/js md/nodejs#20.13.1 api/s3#3.592.0 exec-env/AWS_Lambda_nodejs20.x',
  'Boto3/1.34.120 md/Botocore#1.34.120 ua/2.0 os/linux#5.10.217-205.860.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.120',
  'APN/1.0 HashiCorp/1.0 Terraform/1.8.4 (+https://www.terraform.io) terraform-provider-aws/5.52.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.27.0 ua/2.0 os/linux lang/go#1.22.3 md/GOOS#linux md/GOARCH#amd64',
  'console.amazonaws.com',
];
/** Addresses seen at the edge: mostly a few office/NAT ranges (some whitelisted), plus the odd stranger. */
function sourceIp(g: Gen): string {
  // Most calls come from a few busy addresses (offices, NAT gateways); the rest from anywhere.
  if (g.chance(0.85)) return g.skewed(ADDRESS_POOL);
  return freshAddress(g);
}

function freshAddress(g: Gen): string {
  const r = g.random();
  if (r < 0.35) return `203.0.113.${g.int(1, 254)}`;
  if (r < 0.6) return `198.51.100.${g.int(1, 254)}`;
  if (r < 0.75) return `${g.int(1, 223)}.${g.int(0, 255)}.${g.int(0, 255)}.${g.int(1, 254)}`;
  if (r < 0.85) return `2001:db8:${g.pick(['1', 'bad', '42'])}:${g.hex(4)}::${g.hex(3)}`;
  if (r < 0.88) return `0${g.int(10, 99)}.${g.int(100, 255)}.${g.int(100, 255)}.${g.int(100, 254)}`; // leading-zero IPv4
  if (r < 0.9) return `::ffff:192.0.2.${g.int(1, 254)}`;
  return `192.0.2.${g.int(1, 254)}`;
}

const ADDRESS_POOL: readonly string[] = (() => {
  const g = new Gen(createRandom(7));
  return Array.from({ length: 200 }, () => freshAddress(g));
})();

interface Principal {
  identity: Record<string, unknown>;
  userAgent: string;
  sourceIPAddress: string;
}

function iamUser(g: Gen, account: string, user = g.skewed(USERS), withKey = true): Record<string, unknown> {
  return {
    type: 'IAMUser',
    principalId: g.stableId('AIDA', `${account}/${user}`),
    arn: `arn:aws:iam::${account}:user/${user}`,
    accountId: account,
    accessKeyId: withKey ? `AKIA${g.upper(16)}` : '',
    userName: user,
  };
}

function assumedRole(g: Gen, account: string, mfa: boolean): Record<string, unknown> {
  const role = g.skewed(ROLES);
  // Sessions are people or service sessions that recur (a Lambda function's role session, a CI job id).
  const session = g.chance(0.5) ? g.skewed(USERS) : `1717400000${g.int(101, 103)}`;
  const roleId = g.stableId('AROA', `${account}/${role}`);
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    accountId: account,
    accessKeyId: `ASIA${g.upper(16)}`,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleId,
        arn: `arn:aws:iam::${account}:role/${role}`,
        accountId: account,
        userName: role,
      },
      webIdFederationData: {},
      attributes: { creationDate: '2024-06-03T06:12:44Z', mfaAuthenticated: mfa ? 'true' : 'false' },
      ...(g.chance(0.3) ? { sourceIdentity: g.pick(USERS), ec2RoleDelivery: '2.0' } : {}),
    },
  };
}

function awsService(g: Gen, host = g.pick(SERVICE_HOSTS)): Principal {
  return { identity: { type: 'AWSService', invokedBy: host }, userAgent: host, sourceIPAddress: host };
}

function humanOrRole(g: Gen, account: string): Principal {
  if (g.chance(0.35))
    return { identity: iamUser(g, account), userAgent: g.pick(SDK_AGENTS), sourceIPAddress: sourceIp(g) };
  if (g.chance(0.004)) {
    return {
      identity: {
        type: 'Root',
        principalId: account,
        arn: `arn:aws:iam::${account}:root`,
        accountId: account,
        accessKeyId: `ASIA${g.upper(16)}`,
      },
      userAgent: g.pick(BROWSER_AGENTS),
      sourceIPAddress: sourceIp(g),
    };
  }
  const viaService = g.chance(0.3);
  return {
    identity: assumedRole(g, account, g.chance(0.2)),
    userAgent: viaService ? g.pick(SERVICE_HOSTS) : g.pick(SDK_AGENTS),
    sourceIPAddress: viaService ? g.pick(['AWS Internal', g.pick(SERVICE_HOSTS)]) : sourceIp(g),
  };
}

interface Call {
  eventSource: string;
  eventName: string;
  readOnly: boolean;
  requestParameters: unknown;
  responseElements: unknown;
  resources?: unknown[];
  additionalEventData?: Record<string, unknown>;
  eventCategory?: string;
}

const EC2_READS = [
  'DescribeInstances',
  'DescribeSecurityGroups',
  'DescribeVolumes',
  'DescribeSubnets',
  'DescribeNetworkInterfaces',
];
const CONFIG_CHANGES: ((g: Gen, account: string, region: string) => Call)[] = [
  (g) => ({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    readOnly: false,
    requestParameters: {
      groupId: `sg-${g.hex(17)}`,
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            groups: {},
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0', description: 'temp ssh' }] },
            ipv6Ranges: {},
            prefixListIds: {},
          },
        ],
      },
    },
    responseElements: {
      requestId: g.uuid(),
      _return: true,
      securityGroupRuleSet: {
        items: [
          {
            groupOwnerId: '111122223333',
            groupId: `sg-${g.hex(17)}`,
            securityGroupRuleId: `sgr-${g.hex(17)}`,
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            cidrIpv4: '0.0.0.0/0',
          },
        ],
      },
    },
  }),
  (g, account) => ({
    eventSource: 's3.amazonaws.com',
    eventName: 'PutBucketPolicy',
    readOnly: false,
    requestParameters: {
      bucketName: g.pick(BUCKETS),
      Host: 's3.amazonaws.com',
      bucketPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AllowCloudTrail',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: `arn:aws:s3:::acme-logs-prod/AWSLogs/${account}/*`,
            Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
          },
        ],
      },
      policy: '',
    },
    responseElements: null,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': g.upper(40),
      bytesTransferredOut: 0,
    },
  }),
  (g, account) => ({
    eventSource: 'iam.amazonaws.com',
    eventName: g.pick(['PutUserPolicy', 'AttachRolePolicy', 'CreatePolicyVersion', 'DetachUserPolicy']),
    readOnly: false,
    requestParameters: {
      roleName: g.pick(ROLES),
      policyArn: `arn:aws:iam::${account}:policy/${g.pick(['deploy-s3', 'ci-ecr-push', 'readonly-extra'])}`,
    },
    responseElements: null,
  }),
  (g, account, region) => ({
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: g.pick(['StopLogging', 'UpdateTrail', 'StartLogging']),
    readOnly: false,
    requestParameters: { name: `arn:aws:cloudtrail:${region}:${account}:trail/management-events` },
    responseElements: null,
  }),
  (g) => ({
    eventSource: 'kms.amazonaws.com',
    eventName: g.pick(['DisableKey', 'ScheduleKeyDeletion']),
    readOnly: false,
    requestParameters: { keyId: g.uuid(), pendingWindowInDays: 30 },
    responseElements: {
      keyId: `arn:aws:kms:us-east-1:111122223333:key/${g.uuid()}`,
      deletionDate: 'Jul 3, 2024, 12:00:00 AM',
      keyState: 'PendingDeletion',
      pendingWindowInDays: 30,
    },
  }),
  (g) => ({
    eventSource: 'ec2.amazonaws.com',
    eventName: g.pick([
      'CreateRoute',
      'CreateNetworkAclEntry',
      'ModifyVpcAttribute',
      'CreateCustomerGateway',
      'AttachInternetGateway',
    ]),
    readOnly: false,
    requestParameters: {
      routeTableId: `rtb-${g.hex(17)}`,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: `igw-${g.hex(17)}`,
      vpcId: `vpc-${g.hex(17)}`,
    },
    responseElements: { requestId: g.uuid(), _return: true },
  }),
  (g) => ({
    eventSource: 'config.amazonaws.com',
    eventName: g.pick(['StopConfigurationRecorder', 'PutConfigurationRecorder', 'PutDeliveryChannel']),
    readOnly: false,
    requestParameters: { configurationRecorderName: 'default' },
    responseElements: null,
  }),
  (g, account) => ({
    eventSource: 'organizations.amazonaws.com',
    eventName: g.pick(['CreateAccount', 'InviteAccountToOrganization', 'UpdatePolicy']),
    readOnly: false,
    requestParameters: {
      accountName: 'sandbox-42',
      email: 'aws+sandbox42@example.com',
      roleName: 'OrganizationAccountAccessRole',
      policyId: `p-${g.hex(8)}`,
    },
    responseElements: {
      createAccountStatus: {
        id: `car-${g.hex(32)}`,
        accountName: 'sandbox-42',
        state: 'IN_PROGRESS',
        requestedTimestamp: 'Jun 3, 2024, 5:22:09 PM',
        accountId: account,
      },
    },
  }),
];

function s3DataEvent(g: Gen, account: string): Call {
  const bucket = g.pick(BUCKETS);
  const key = `AWSLogs/${account}/CloudTrail/us-east-1/2024/06/03/${account}_CloudTrail_us-east-1_20240603T17${g.int(10, 59)}Z_${g.upper(16)}.json.gz`;
  const put = g.chance(0.3);
  return {
    eventSource: 's3.amazonaws.com',
    eventName: put ? 'PutObject' : g.pick(['GetObject', 'HeadObject', 'GetObject']),
    readOnly: !put,
    requestParameters: {
      bucketName: bucket,
      Host: `${bucket}.s3.us-east-1.amazonaws.com`,
      key,
      ...(put ? { 'x-amz-server-side-encryption': 'aws:kms' } : {}),
    },
    responseElements: put
      ? {
          'x-amz-server-side-encryption': 'aws:kms',
          'x-amz-server-side-encryption-aws-kms-key-id': `arn:aws:kms:us-east-1:${account}:key/${g.uuid()}`,
        }
      : null,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: put ? g.int(100, 900000) : 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': `${g.upper(44)}=`,
      bytesTransferredOut: put ? 0 : g.int(100, 900000),
    },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
      { accountId: account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
    ],
    eventCategory: 'Data',
  };
}

function ec2Read(g: Gen): Call {
  return {
    eventSource: 'ec2.amazonaws.com',
    eventName: g.pick(EC2_READS),
    readOnly: true,
    requestParameters: {
      instancesSet: { items: [{ instanceId: `i-${g.hex(17)}` }, { instanceId: `i-${g.hex(17)}` }] },
      filterSet: {
        items: [
          { name: 'tag:Environment', valueSet: { items: [{ value: g.pick(['prod', 'staging', 'dev']) }] } },
          { name: 'instance-state-name', valueSet: { items: [{ value: 'running' }] } },
        ],
      },
      maxResults: 1000,
    },
    responseElements: null,
  };
}

function kmsCall(g: Gen, account: string, region: string): Call {
  const keyArn = `arn:aws:kms:${region}:${account}:key/${g.uuid()}`;
  return {
    eventSource: 'kms.amazonaws.com',
    eventName: g.pick(['Decrypt', 'GenerateDataKey', 'Encrypt']),
    readOnly: true,
    requestParameters: {
      encryptionContext: {
        'aws:s3:arn': `arn:aws:s3:::${g.pick(BUCKETS)}/${g.hex(24)}`,
        'aws:lambda:FunctionArn': `arn:aws:lambda:${region}:${account}:function:report-builder`,
      },
      encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      keyId: keyArn,
    },
    responseElements: null,
    resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: keyArn }],
  };
}

function stsAssumeRole(g: Gen, account: string): Call {
  const role = g.pick(ROLES);
  return {
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    readOnly: true,
    requestParameters: {
      roleArn: `arn:aws:iam::${account}:role/service-role/${role}`,
      roleSessionName: g.pick(USERS),
      durationSeconds: 3600,
    },
    responseElements: {
      credentials: {
        accessKeyId: `ASIA${g.upper(16)}`,
        sessionToken: `IQoJb3JpZ2luX2VjE${g.upper(60)}`,
        expiration: 'Jun 3, 2024, 6:22:09 PM',
      },
      assumedRoleUser: {
        assumedRoleId: `${g.stableId('AROA', `${account}/${role}`)}:${g.pick(USERS)}`,
        arn: `arn:aws:sts::${account}:assumed-role/${role}/${g.pick(USERS)}`,
      },
    },
    resources: [
      { accountId: account, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${account}:role/service-role/${role}` },
    ],
  };
}

const REFUSALS = [
  {
    code: 'AccessDenied',
    message: (arn: string, action: string) =>
      `User: ${arn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
  },
  {
    code: 'Client.UnauthorizedOperation',
    message: () =>
      'You are not authorized to perform this operation. User: arn:aws:sts::111122223333:assumed-role/ReadOnly/j.silva is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:111122223333:instance/* because no identity-based policy allows the ec2:RunInstances action. Encoded authorization failure message: 3T2lhWZ0aV1NWl9kN2RhZHY0ZmFrZWVuY29kZWQ',
  },
  {
    code: 'AccessDeniedException',
    message: (arn: string, action: string) =>
      `User: ${arn} is not authorized to perform: ${action} with an explicit deny in a service control policy`,
  },
];

interface Clock {
  ms: number;
}

function cloudTrailRecord(g: Gen, clock: Clock): Record<string, unknown> {
  const account = g.skewed(ACCOUNTS);
  const region = g.pick(REGIONS);
  clock.ms += g.int(0, 40);
  const eventTime = new Date(clock.ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const roll = g.random();
  let principal: Principal;
  let call: Call;
  let eventType = 'AwsApiCall';
  let extra: Record<string, unknown> = {};

  // The mix (share of records): console sign-ins 2%, refused calls 3%, other errors 1%, CIS-watched
  // configuration changes 2%, service events 5%, service role assumptions 12%, KMS 12%, EC2 reads 23%,
  // S3 data events 40%.
  if (roll < 0.02) {
    // Console sign-in, ~20% failed.
    const failed = g.chance(0.2);
    const kind = g.random();
    const identity =
      kind < 0.6
        ? iamUser(g, account, g.pick(USERS), false)
        : kind < 0.9
          ? assumedRole(g, account, true)
          : {
              type: 'Root',
              principalId: account,
              arn: `arn:aws:iam::${account}:root`,
              accountId: account,
              accessKeyId: '',
            };
    principal = { identity, userAgent: g.pick(BROWSER_AGENTS), sourceIPAddress: sourceIp(g) };
    eventType = 'AwsConsoleSignIn';
    call = {
      eventSource: 'signin.amazonaws.com',
      eventName: g.chance(0.92) ? 'ConsoleLogin' : g.pick(['CheckMfa', 'SwitchRole']),
      readOnly: false,
      requestParameters: null,
      responseElements: { ConsoleLogin: failed ? 'Failure' : 'Success' },
      additionalEventData: {
        LoginTo: `https://console.aws.amazon.com/console/home?region=${region}&state=hashArgs%23&isauthcode=true`,
        MobileVersion: 'No',
        MFAUsed: g.chance(0.6) ? 'Yes' : 'No',
      },
    };
    if (failed) extra = { errorMessage: 'Failed authentication' };
  } else if (roll < 0.05) {
    // A refused call.
    principal = humanOrRole(g, account);
    call = g.chance(0.5)
      ? { ...ec2Read(g), eventName: g.pick(['RunInstances', 'DescribeInstances', 'TerminateInstances']) }
      : g.pick([s3DataEvent, kmsCall, stsAssumeRole] as const)(g, account, region);
    const refusal = g.pick(REFUSALS);
    const action = `${call.eventSource.split('.')[0]}:${call.eventName}`;
    extra = {
      errorCode: refusal.code,
      errorMessage: refusal.message(String(principal.identity.arn ?? 'unknown'), action),
    };
    call.responseElements = null;
  } else if (roll < 0.06) {
    principal = humanOrRole(g, account);
    call = ec2Read(g);
    extra = {
      errorCode: g.pick(['ThrottlingException', 'Client.RequestLimitExceeded', 'NoSuchBucket', 'ValidationException']),
      errorMessage: 'Rate exceeded',
    };
  } else if (roll < 0.08) {
    principal = humanOrRole(g, account);
    call = g.pick(CONFIG_CHANGES)(g, account, region);
  } else if (roll < 0.13) {
    // Service event: no caller, AWS Internal or a service host as the source.
    principal = {
      identity: { accountId: account, invokedBy: g.pick(SERVICE_HOSTS) },
      userAgent: g.pick(SERVICE_HOSTS),
      sourceIPAddress: g.pick(['AWS Internal', 'AWS Internal/3', 'cloudtrail.amazonaws.com']),
    };
    eventType = 'AwsServiceEvent';
    call = {
      eventSource: g.pick(['kms.amazonaws.com', 'health.amazonaws.com', 'backup.amazonaws.com']),
      eventName: g.pick(['RotateKey', 'AWSHealthEvent', 'BackupJobCompleted']),
      readOnly: false,
      requestParameters: null,
      responseElements: null,
      resources: [
        { accountId: account, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${account}:key/${g.uuid()}` },
      ],
    };
    extra = {
      serviceEventDetails: {
        keyId: g.uuid(),
        backupVaultName: 'Default',
        state: 'COMPLETED',
        backupSizeInBytes: g.int(1, 1e9),
      },
    };
  } else if (roll < 0.25) {
    principal = awsService(g);
    call = stsAssumeRole(g, account);
    extra = { sharedEventID: g.uuid() };
  } else if (roll < 0.37) {
    principal = humanOrRole(g, account);
    call = kmsCall(g, account, region);
  } else if (roll < 0.6) {
    principal = humanOrRole(g, account);
    call = ec2Read(g);
  } else {
    principal = humanOrRole(g, account);
    call = s3DataEvent(g, account);
  }

  const record: Record<string, unknown> = {
    eventVersion: g.pick(['1.08', '1.09', '1.10', '1.11']),
    userIdentity: principal.identity,
    eventTime,
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: region,
    sourceIPAddress: principal.sourceIPAddress,
    userAgent: principal.userAgent,
    ...('errorCode' in extra ? { errorCode: extra.errorCode } : {}),
    ...('errorMessage' in extra ? { errorMessage: extra.errorMessage } : {}),
    requestParameters: call.requestParameters,
    responseElements: call.responseElements,
    ...(call.additionalEventData ? { additionalEventData: call.additionalEventData } : {}),
    requestID: g.uuid(),
    eventID: g.uuid(),
    readOnly: call.readOnly,
    ...(call.resources ? { resources: call.resources } : {}),
    eventType,
    managementEvent: call.eventCategory !== 'Data',
    recipientAccountId: account,
    ...('sharedEventID' in extra ? { sharedEventID: extra.sharedEventID } : {}),
    ...('serviceEventDetails' in extra ? { serviceEventDetails: extra.serviceEventDetails } : {}),
    eventCategory: call.eventCategory ?? 'Management',
    ...(eventType === 'AwsServiceEvent'
      ? {}
      : {
          tlsDetails: {
            tlsVersion: g.pick(['TLSv1.3', 'TLSv1.2']),
            cipherSuite: g.pick(['TLS_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256']),
            clientProvidedHostHeader: `${call.eventSource.split('.')[0]}.${region}.amazonaws.com`,
          },
          ...(g.chance(0.4) ? { sessionCredentialFromConsole: 'true' } : {}),
        }),
  };
  return record;
}

// ---- CTS -----------------------------------------------------------------------------------------------

const CTS_SERVICES = [
  { service: 'ECS', resource: 'ecs', names: ['createServer', 'deleteServer', 'rebootServer', 'updateServer'] },
  { service: 'VPC', resource: 'eip', names: ['deleteEip', 'createSecurityGroupRule', 'updatePort'] },
  { service: 'OBS', resource: 'bucket', names: ['createBucket', 'setBucketPolicy', 'deleteBucket'] },
  { service: 'IAM', resource: 'user', names: ['createCredential', 'updateUser', 'createPolicy'] },
];

function ctsTrace(g: Gen, clock: Clock): Record<string, unknown> {
  clock.ms += g.int(0, 80);
  const domainName = g.pick(['acme-cloud', 'tg-demo-account']);
  const domainId = g.stableId('', domainName, 32).toLowerCase();
  const name = g.pick(USERS);
  const user = {
    id: g.stableId('', `${domainName}/${name}`, 32).toLowerCase(),
    name,
    domain: { name: domainName, id: domainId },
    ...(g.chance(0.4) ? { access_key_id: `HPUA${g.upper(16)}` } : {}),
  };
  const roll = g.random();
  const base = {
    time: clock.ms,
    record_time: clock.ms + g.int(50, 400),
    trace_id: g.uuid(),
    api_version: g.pick(['2.0', '3.0']),
    domain_id: domainId,
    project_id: g.stableId('', `${domainId}/eu-de`, 32).toLowerCase(),
    request_id: g.hex(32),
    user_agent: g.pick([
      'huaweicloud-usdk-python/3.0',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/125.0',
      'terraform-provider-huaweicloud/1.64.0',
    ]),
  };
  // The mix: IAM sign-ins and sign-outs 5%, refused calls (401/403) 5%, other failures 3%, the rest
  // successful API calls.
  if (roll < 0.05) {
    const failed = g.chance(0.25);
    const logout = !failed && g.chance(0.2);
    return {
      ...base,
      user,
      request: {},
      response: {},
      code: failed ? 401 : 200,
      service_type: 'IAM',
      resource_type: 'user',
      resource_name: user.name,
      resource_id: user.id,
      source_ip: g.chance(0.1) ? '' : sourceIp(g),
      trace_name: failed ? g.pick(['loginFailed', 'loginfailed']) : logout ? 'logout' : 'login',
      trace_rating: failed ? 'warning' : 'normal',
      trace_type: 'ConsoleAction',
      trace_status: failed ? 'warning' : 'normal',
      read_only: false,
    };
  }
  const service = g.pick(CTS_SERVICES);
  const refused = roll < 0.1;
  const otherError = !refused && roll < 0.13;
  const response = refused
    ? g.pick([
        { error_code: 'IAM.0002', error_msg: 'You do not have permission to perform this action.' },
        { error: { code: 'Ecs.0319', message: "Policy doesn't allow ecs:servers:delete to be performed." } },
      ])
    : otherError
      ? { code: 'VPC.0514', message: 'Update port fail.' }
      : { server: { id: g.uuid(), name: `web-${g.int(1, 99)}`, status: 'ACTIVE', flavor: { id: 's6.large.2' } } };
  const request = {
    server: {
      name: `web-${g.int(1, 99)}`,
      imageRef: g.uuid(),
      flavorRef: 's6.large.2',
      vpcid: g.uuid(),
      nics: [{ subnet_id: g.uuid() }],
      root_volume: { volumetype: 'SSD', size: 40 },
    },
  };
  return {
    ...base,
    user: g.chance(0.3) ? JSON.stringify(user) : user,
    request: g.chance(0.5) ? JSON.stringify(request) : request,
    response: g.chance(0.5) ? JSON.stringify(response) : response,
    code: refused ? g.pick([403, 403, 401]) : otherError ? 400 : 200,
    service_type: service.service,
    resource_type: service.resource,
    resource_name: `web-${g.int(1, 99)}`,
    resource_id: g.uuid(),
    source_ip: g.chance(0.15) ? '' : sourceIp(g),
    trace_name: g.pick(service.names),
    trace_rating: refused || otherError ? 'warning' : 'normal',
    trace_type: g.pick(['ApiCall', 'ConsoleAction', 'SystemAction']),
    trace_status: refused || otherError ? 'warning' : 'normal',
    read_only: false,
    message: refused ? '{"reason":"Forbidden"}' : '',
  };
}

// ---- files ---------------------------------------------------------------------------------------------

function fileStem(kind: DataKind, seed: number, sizeMb: number): string {
  return `${kind}-v${GENERATOR_VERSION}-seed${seed}-${sizeMb}mb`;
}

/**
 * The cached file for kind/seed/size, generated when missing. The envelope is written by hand around
 * JSON.stringify'd records, through gzip, so even 250 MB never sits in memory at once.
 */
export async function ensureDataFile(
  dir: string,
  kind: DataKind,
  seed: number,
  sizeMb: number,
): Promise<GeneratedFile> {
  mkdirSync(dir, { recursive: true });
  const stem = fileStem(kind, seed, sizeMb);
  const gzPath = join(dir, `${stem}.json.gz`);
  const jsonPath = join(dir, `${stem}.json`);
  const metaPath = join(dir, `${stem}.meta.json`);
  if (existsSync(gzPath) && existsSync(jsonPath) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { records: number };
    return {
      kind,
      sizeMb,
      gzPath,
      jsonPath,
      records: meta.records,
      rawBytes: statSync(jsonPath).size,
      gzBytes: statSync(gzPath).size,
    };
  }

  const g = new Gen(createRandom(seed * 1000003 + sizeMb * 7 + (kind === 'cts' ? 1 : 0)));
  const clock: Clock = { ms: Date.UTC(2024, 5, 3, 0, 0, 0) };
  const target = sizeMb * MIB;
  const gzip = createGzip({ level: 6 });
  const gzOut = createWriteStream(`${gzPath}.tmp`);
  const rawOut = createWriteStream(`${jsonPath}.tmp`);
  gzip.pipe(gzOut);
  const write = async (text: string): Promise<void> => {
    gzip.write(text);
    rawOut.write(text);
    // Check each stream when its turn comes: one may drain while we wait for the other.
    if (gzip.writableNeedDrain) await once(gzip, 'drain');
    if (rawOut.writableNeedDrain) await once(rawOut, 'drain');
  };

  const open = kind === 'cloudtrail' ? '{"Records":[' : '{"traces":[';
  let written = open.length + 2;
  let records = 0;
  let chunk = open;
  const recent: string[] = [];
  while (written < target || records === 0) {
    let text: string;
    // CloudTrail re-delivers now and then: about one record in a thousand is a duplicate.
    if (recent.length > 0 && g.chance(0.001)) text = g.pick(recent);
    else {
      text = JSON.stringify(kind === 'cloudtrail' ? cloudTrailRecord(g, clock) : ctsTrace(g, clock));
      if (recent.length < 64) recent.push(text);
      else recent[g.int(0, 63)] = text;
    }
    const piece = records === 0 ? text : `,${text}`;
    if (written + piece.length > target && records > 0) break;
    chunk += piece;
    written += piece.length;
    records += 1;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(`${chunk}]}`);
  gzip.end();
  rawOut.end();
  await Promise.all([once(gzOut, 'close'), once(rawOut, 'close')]);
  renameSync(`${gzPath}.tmp`, gzPath);
  renameSync(`${jsonPath}.tmp`, jsonPath);
  writeFileSync(metaPath, JSON.stringify({ kind, seed, sizeMb, records, generator: GENERATOR_VERSION }));
  return { kind, sizeMb, gzPath, jsonPath, records, rawBytes: statSync(jsonPath).size, gzBytes: statSync(gzPath).size };
}
