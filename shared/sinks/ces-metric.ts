/**
 * The per-invocation metric on FunctionGraph: one Cloud Eye (CES) custom-metric datum per invocation,
 * `POST /V1.0/{project_id}/metric-data` (docs/cloud-eye-metric.md has the facts and their sources),
 * authenticated like SMN: the agency's token, or its temporary AK/SK signed with SDK-HMAC-SHA256.
 * Bounded retries; a failure is a SinkError, which the invocation logs (with the count) without failing.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { MetricSettings } from '../detect/detector';
import { ConfigError, SinkError } from '../errors';
import { ConfigProblems, readEnv, type Env } from '../platform/env-config';
import { type MetricPublisher, OUTCOME_DIMENSION, SUPPRESSED_OUTCOME } from './metrics';
import { type AkSkCredentials, signRequest } from './sign-sdk-hmac-sha256';
import type { SmnCloud } from './sink-config';

export type CesAuth = { token: string } | AkSkCredentials;

/** "service.item", 3 to 32 characters, each part a letter then letters, digits and "_". */
const NAMESPACE = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$/;
/** Service names the API reserves ("cannot start with SYS, AGT or SRE"; SERVICE.BMS is taken). */
const RESERVED_SERVICE = /^(SYS|AGT|SRE)/i;
/** Not documented on the API page; system metric names follow it, so a name within it is safe. */
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const DIMENSION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const DIMENSION_VALUE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$/;
const REGION = /^[a-z]{2}(-[a-z0-9]+){1,4}$/;
const PROJECT_ID = /^[A-Za-z0-9-]{1,64}$/;
/** Header values must be visible ASCII: anything else would make fetch throw an error that quotes the value. */
const CREDENTIAL = /^[\x21-\x7e]+$/;

/** The API's ttl range is 1 to 604,800 s; the longest keeps a week of history for the console. */
export const CES_TTL_SECONDS = 604_800;
export const CES_MAX_DIMENSIONS = 3;
/** Used when METRIC_NAMESPACE is not set: CloudWatch's default, CloudTrailMetrics, is not a CES namespace. */
export const CES_DEFAULT_NAMESPACE = 'TRAILGUARD.CloudTrailMetrics';
export const CES_DIMENSION_NAME = 'function';

export interface CesDimension {
  name: string;
  value: string;
}

export interface CesDatum {
  metric: { namespace: string; metric_name: string; dimensions: CesDimension[] };
  ttl: number;
  collect_time: number;
  value: number;
  unit: string;
  type: 'int';
}

/** The problems of a namespace, metric name or dimension as CES would see them; empty when fine. */
export function cesMetricProblems(namespace: string, metricName: string, dimensions: CesDimension[]): string[] {
  const problems: string[] = [];
  if (!(NAMESPACE.test(namespace) && namespace.length >= 3 && namespace.length <= 32))
    problems.push(
      `Cloud Eye namespace ${JSON.stringify(namespace)} must be service.item, 3-32 characters, each part a letter followed by letters, digits or _`,
    );
  else if (RESERVED_SERVICE.test(namespace) || namespace.toUpperCase() === 'SERVICE.BMS')
    problems.push(`Cloud Eye namespace ${JSON.stringify(namespace)} is reserved (SYS*, AGT*, SRE*, SERVICE.BMS)`);
  if (!METRIC_NAME.test(metricName))
    problems.push(
      `Cloud Eye metric name ${JSON.stringify(metricName)} must be 1-64 letters, digits or _, starting with a letter`,
    );
  if (dimensions.length < 1 || dimensions.length > CES_MAX_DIMENSIONS)
    problems.push(`Cloud Eye takes 1 to ${CES_MAX_DIMENSIONS} dimensions, got ${dimensions.length}`);
  for (const { name, value } of dimensions) {
    if (!DIMENSION_NAME.test(name) || !DIMENSION_VALUE.test(value))
      problems.push(
        `Cloud Eye dimension ${JSON.stringify(`${name}=${value}`)}: names are 1-32 letters, digits, _ or - starting with a letter; values 1-256 starting with a letter or digit`,
      );
  }
  return problems;
}

/** One datum: the invocation's count (0 included), collected now, as an integer count. */
export function cesMetricBody(
  namespace: string,
  metricName: string,
  dimensions: CesDimension[],
  count: number,
  timestamp: Date,
  suppressed = 0,
): CesDatum[] {
  const datum = (value: number, dims: CesDimension[]): CesDatum => ({
    metric: { namespace, metric_name: metricName, dimensions: dims },
    ttl: CES_TTL_SECONDS,
    collect_time: timestamp.getTime(),
    value,
    unit: 'count',
    type: 'int',
  });
  // Suppressed events: a second datum with one more dimension (a separate Cloud Eye metric, so an alarm
  // rule on the function's datum is unchanged). Dropped when the dimensions are already full.
  if (suppressed <= 0 || dimensions.length >= CES_MAX_DIMENSIONS) return [datum(count, dimensions)];
  return [
    datum(count, dimensions),
    datum(suppressed, [...dimensions, { name: OUTCOME_DIMENSION, value: SUPPRESSED_OUTCOME }]),
  ];
}

/**
 * The https base URL of Cloud Eye in a cloud's region. Huawei Cloud: the SDK's CesRegion table (every
 * region under myhuaweicloud.com); OTC: the published eu-de and eu-nl hosts; Flexible Engine: the
 * provider's host scheme (`{service}.{region}.prod-cloud-ocb.orange-business.com`).
 */
export function cesEndpoint(cloud: SmnCloud, region: string): string {
  if (!REGION.test(region))
    throw new SinkError(`Cloud Eye region ${JSON.stringify(region)} is not a region name like eu-de`, 'ces', false);
  switch (cloud) {
    case 'huaweicloud':
      return `https://ces.${region}.myhuaweicloud.com`;
    case 'otc':
      if (region !== 'eu-de' && region !== 'eu-nl')
        throw new SinkError(
          `no known Cloud Eye endpoint for Open Telekom Cloud region ${region} (known: eu-de, eu-nl); set METRIC_ENDPOINT`,
          'ces',
          false,
        );
      return `https://ces.${region}.otc.t-systems.com`;
    case 'flexibleengine':
      return `https://ces.${region}.prod-cloud-ocb.orange-business.com`;
    default:
      throw new SinkError(`unknown cloud ${JSON.stringify(cloud)}`, 'ces', false);
  }
}

export interface CesMetricConfig {
  namespace: string;
  /** METRIC_ENDPOINT, when set. */
  endpoint?: string;
}

/**
 * The CES side of the metric settings, read at cold start: METRIC_NAMESPACE (a CES namespace, default
 * TRAILGUARD.CloudTrailMetrics), METRIC_NAME (checked against CES's rules) and METRIC_ENDPOINT.
 */
export function loadCesMetricConfig(env: Env, problems: ConfigProblems, functionName: string): CesMetricConfig {
  const namespace = readEnv(env, 'METRIC_NAMESPACE')?.value ?? CES_DEFAULT_NAMESPACE;
  const metricName = readEnv(env, 'METRIC_NAME')?.value ?? 'AuthorizationFailureCount';
  const off = readEnv(env, 'METRIC_MODE')?.value.toLowerCase() === 'off';
  if (!off)
    for (const problem of cesMetricProblems(namespace, metricName, [{ name: CES_DIMENSION_NAME, value: functionName }]))
      problems.add(`METRIC_NAMESPACE/METRIC_NAME: ${problem}`);
  const endpoint = readEnv(env, 'METRIC_ENDPOINT')?.value;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      problems.add(`METRIC_ENDPOINT=${JSON.stringify(endpoint)} is not a URL`);
    }
    if (url && url.protocol !== 'https:' && url.protocol !== 'http:')
      problems.add(`METRIC_ENDPOINT must be an http(s) URL, got ${url.protocol}`);
    if (url && (url.search || url.hash || url.username || url.password))
      problems.add('METRIC_ENDPOINT must be a base URL without query, fragment or user info');
  }
  return { namespace, endpoint };
}

/**
 * Runs `load` (the function's own configuration) and adds the CES problems to its ConfigError, so one
 * error still lists every problem at cold start.
 */
export function withCesMetricConfig<T>(
  env: Env,
  functionName: string,
  load: () => T,
): { loaded: T; ces: CesMetricConfig } {
  const problems = new ConfigProblems();
  const ces = loadCesMetricConfig(env, problems, functionName);
  let loaded: T;
  try {
    loaded = load();
  } catch (error) {
    if (!(error instanceof ConfigError) || problems.problems.length === 0) throw error;
    const all = new ConfigProblems();
    for (const problem of [...error.problems, ...problems.problems]) all.add(problem);
    all.throwIfAny(functionName);
    throw error;
  }
  problems.throwIfAny(functionName);
  return { loaded, ces };
}

export interface CesRetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface CesMetricOptions {
  /** Base URL, e.g. https://ces.eu-de.otc.t-systems.com, or a local endpoint. */
  endpoint: string;
  projectId: string;
  auth: CesAuth;
  settings: MetricSettings;
  dimensions: CesDimension[];
  fetch?: typeof fetch;
  retry?: CesRetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** Per attempt, covering the response body too. */
  timeoutMs?: number;
  /** The signing clock (tests); the datum's own time is the one `publish` is given. */
  now?: () => Date;
}

const DEFAULT_RETRY: CesRetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };
const DEFAULT_TIMEOUT_MS = 5000;

function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `{error_code, error_msg}` (gateway), `{code, message}`, `{error: {code, message}}`: whichever is there. */
function describeErrorBody(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown> | null;
    const inner = (body?.error ?? {}) as Record<string, unknown>;
    const parts = [inner.code ?? body?.error_code ?? body?.code, inner.message ?? body?.error_msg ?? body?.message];
    const found = parts.filter((part): part is string => typeof part === 'string' && part !== '');
    if (found.length) return found.join(': ');
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 200);
}

export function createCesMetricPublisher(options: CesMetricOptions): MetricPublisher {
  const { auth, settings, dimensions } = options;
  const problems = cesMetricProblems(settings.namespace, settings.name, dimensions);
  if (!PROJECT_ID.test(options.projectId)) problems.push('the project id must be 1-64 letters, digits or -');
  const given: unknown[] = 'token' in auth ? [auth.token] : [auth.accessKey, auth.secretKey];
  if (!('token' in auth) && auth.securityToken !== undefined) given.push(auth.securityToken);
  const secrets = given.filter((secret): secret is string => typeof secret === 'string' && secret !== '');
  if (!given.every((secret) => typeof secret === 'string' && CREDENTIAL.test(secret)))
    problems.push('the credentials are missing or contain characters that cannot go into an HTTP header');
  if (problems.length) throw new SinkError(`Cloud Eye metric: ${problems.join('; ')}`, 'ces', false);

  const url = `${options.endpoint.replace(/\/+$/, '')}/V1.0/${options.projectId}/metric-data`;
  const doFetch = options.fetch ?? fetch;
  const retry = options.retry ?? DEFAULT_RETRY;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  const redact = (text: string) =>
    secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text).slice(0, 500);
  const what = `Cloud Eye ${settings.namespace}/${settings.name}`;

  function headersFor(body: string): Record<string, string> {
    const headers = { 'Content-Type': 'application/json' };
    if ('token' in auth) return { ...headers, 'X-Auth-Token': auth.token };
    return signRequest({ method: 'POST', url, headers, body }, auth, now());
  }

  return {
    async publish(count, timestamp, counts = {}) {
      const body = JSON.stringify(
        cesMetricBody(settings.namespace, settings.name, dimensions, count, timestamp, counts.suppressed ?? 0),
      );
      for (let attempt = 1; ; attempt++) {
        let detail: string;
        let retryable: boolean;
        try {
          const response = await doFetch(url, {
            method: 'POST',
            headers: headersFor(body),
            body,
            // A redirect would carry the token to wherever it points.
            redirect: 'manual',
            signal: AbortSignal.timeout(timeoutMs),
          });
          const text = await response.text();
          if (response.ok) return;
          detail = redact(`HTTP ${response.status} ${describeErrorBody(text)}`.trim());
          retryable = retryableStatus(response.status);
        } catch (error) {
          const name = (error as { name?: string })?.name;
          detail =
            name === 'TimeoutError' || name === 'AbortError'
              ? `no response within ${timeoutMs} ms`
              : redact(error instanceof Error ? error.message : String(error));
          retryable = true;
        }
        if (!retryable)
          throw new SinkError(
            `${what} failed: ${detail} (not retried: check the agency's ces:metricData:create permission and the project)`,
            'ces',
            false,
          );
        if (attempt >= retry.attempts)
          throw new SinkError(
            `${what} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${detail}`,
            'ces',
            true,
          );
        const step = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
        await sleep(Math.round(step / 2 + (Math.random() * step) / 2));
      }
    },
  };
}

/** What FunctionGraph knows when it makes the publisher: the context's project and credentials. */
export interface FunctionGraphMetricFacts {
  ces: CesMetricConfig;
  cloud: SmnCloud;
  /** ALERT_REGION / RegionName, else the topic URN's region. */
  region?: string;
  projectId?: string;
  auth?: CesAuth;
  functionName: string;
}

/**
 * The FunctionGraph metric publisher. Never throws: what is missing (agency, project, region) makes
 * `publish` fail, which the invocation logs with the count instead of failing.
 */
export function functionGraphMetricPublisher(
  settings: MetricSettings,
  facts: FunctionGraphMetricFacts,
): MetricPublisher {
  try {
    if (!facts.auth)
      throw new SinkError(
        'Cloud Eye needs credentials: give the function an agency with ces:metricData:create',
        'ces',
        false,
      );
    if (!facts.projectId)
      throw new SinkError('Cloud Eye needs the project id (context getProjectID(), or PROJECT_ID)', 'ces', false);
    if (!facts.ces.endpoint && !facts.region)
      throw new SinkError('Cloud Eye needs the region (ALERT_REGION or RegionName) or METRIC_ENDPOINT', 'ces', false);
    return createCesMetricPublisher({
      endpoint: facts.ces.endpoint ?? cesEndpoint(facts.cloud, facts.region as string),
      projectId: facts.projectId,
      auth: facts.auth,
      settings: { ...settings, namespace: facts.ces.namespace },
      dimensions: [{ name: CES_DIMENSION_NAME, value: facts.functionName }],
    });
  } catch (error) {
    return { publish: () => Promise.reject(error) };
  }
}
