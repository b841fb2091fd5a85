/**
 * The prefilter's equivalence check (test/prefilter*.test.ts): everything a run shows (stats, rejections,
 * finding callbacks, alerts) must be the same with the detector's prefilter as with every record parsed.
 */
import { DETECTORS } from '../../functions/registry';
import type { Detector } from '../../shared/detect/detector';
import { DetectionRun } from '../../shared/pipeline';

export interface PrefilterConfig {
  fn: string;
  env: Record<string, string>;
}

/** Every function, with configs that sit on the prefilters' edges (custom patterns, bucket and key names). */
export const DEFAULT_CONFIGS: readonly PrefilterConfig[] = [
  { fn: 'login-whitelist', env: { IP_WHITELIST: '203.0.113.0/24, 2001:db8:1::/48', ALERT_ON_FAILED_LOGIN: 'true' } },
  { fn: 'login-whitelist', env: { IP_WHITELIST: '0.0.0.0/0', NON_IP_SOURCE: 'ignore' } },
  { fn: 'unauthorized-api', env: {} },
  { fn: 'unauthorized-api', env: { RULE_SETS: 'all' } },
  {
    fn: 'unauthorized-api',
    env: {
      RULE_SETS: 'unauthorized',
      CUSTOM_RULES: JSON.stringify([
        { name: 'root-anything', pattern: '{ $.userIdentity.type = "Root" }' },
        { name: 'bucket-glob', pattern: '{ $.requestParameters.bucketName = "acme-*-logs" }' },
        { name: 'event-glob', pattern: '{ $.eventName = "Delete*" && $.awsRegion = "us-east-1" }' },
      ]),
    },
  },
  { fn: 'config-compliance', env: {} },
  { fn: 'trail-integrity', env: {} },
  {
    fn: 'trail-integrity',
    env: {
      TRAIL_BUCKETS: 'acme-cloudtrail-logs',
      TRAIL_KMS_KEYS: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
  },
];

export function detectorOf(fn: string): Detector<unknown> {
  return DETECTORS[fn as keyof typeof DETECTORS] as Detector<unknown>;
}

/** Everything a run shows, as text. */
export async function runOutcome(
  { fn, env }: PrefilterConfig,
  bytes: Buffer,
  prefilter: boolean,
  name: string,
): Promise<string> {
  const detector = detectorOf(fn);
  const config = detector.loadConfig(env);
  const calls: string[] = [];
  const run = new DetectionRun(detector, config, {
    prefilter,
    onRejected: (rejected) => calls.push(`rejected ${JSON.stringify(rejected)}`),
    onFindings: (findings) => calls.push(`findings ${findings.map((f) => `${f.rule}/${f.event.id}`).join(',')}`),
  });
  await run.ingestBytes(bytes, name);
  return JSON.stringify({ stats: run.stats, alerts: run.alerts(), calls });
}

/** Throws, showing where the two differ, unless every config gives the same outcome both ways. */
export async function expectSameAnswers(
  bytes: Buffer,
  name: string,
  configs: readonly PrefilterConfig[] = DEFAULT_CONFIGS,
): Promise<void> {
  for (const config of configs) {
    const without = await runOutcome(config, bytes, false, name);
    const withPrefilter = await runOutcome(config, bytes, true, name);
    if (withPrefilter !== without) {
      const a = JSON.parse(withPrefilter) as { stats: unknown; alerts: { rule: string; eventIds: string[] }[] };
      const b = JSON.parse(without) as { stats: unknown; alerts: { rule: string; eventIds: string[] }[] };
      const brief = (o: typeof a) =>
        JSON.stringify({ stats: o.stats, alerts: o.alerts.map((x) => `${x.rule}:${x.eventIds.join('+')}`) });
      let at = 0;
      while (withPrefilter[at] === without[at]) at++;
      throw new Error(
        `${config.fn} ${JSON.stringify(config.env)} differs at ${at}:\nwith    …${withPrefilter.slice(at - 200, at + 200)}\nwithout …${without.slice(at - 200, at + 200)}\n${brief(a) === brief(b) ? '' : 'stats or alerts differ'}`,
      );
    }
  }
}
