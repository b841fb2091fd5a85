import type { Severity } from '../alert/alert';
import type { TraceEvent } from '../normalize/trace-event';
import type { GeoLookup } from '../enrich/geo';
import type { RecordPrefilter } from '../prefilter/need';

export const FUNCTION_NAMES = ['login-whitelist', 'unauthorized-api', 'config-compliance', 'trail-integrity'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** One thing a detector found in one event. Pure data; alert text is built later, per group. */
export interface Finding {
  rule: string;
  severity: Severity;
  event: TraceEvent;
  /**
   * Findings with the same key within one invocation become one alert with a count, so a log file
   * with 5,000 identical refusals sends one message, not 5,000.
   */
  groupKey: string;
}

/** Findings folded together by `groupKey`, first-seen order kept. */
export interface FindingGroup {
  rule: string;
  severity: Severity;
  groupKey: string;
  /** The first finding's event. */
  first: TraceEvent;
  eventIds: string[];
  count: number;
}

/**
 * A deployable function: a pure detector plus how its alerts read. The pipeline, the handlers and
 * the replay CLI all run it the same way.
 */
export interface Detector<Config> {
  readonly name: FunctionName;
  /** Pure: reads the given environment map, collects every problem, throws one ConfigError. */
  loadConfig(env: Readonly<Record<string, string | undefined>>): Config;
  /** Pure: what this event means for this function. Never throws on a valid TraceEvent. */
  detect(event: TraceEvent, config: Config): Finding[];
  /** Pure: the alert subject and message for one group of findings. */
  describe(group: FindingGroup, config: Config): { subject: string; message: string };
  /** Optional, pure: settings that are valid but probably not meant (shown at cold start and by check-config). */
  configWarnings?(config: Config): string[];
  /**
   * Optional, pure: what a record must show before it is parsed for this config to possibly find
   * something in it (shared/prefilter). Records that cannot matter are counted, not parsed.
   */
  prefilter?(config: Config): RecordPrefilter | undefined;
  /** Optional metric fed by each invocation's findings (unauthorized-api's AuthorizationFailureCount). */
  readonly metric?: MetricDefinition<Config>;
  /**
   * Optional: a rule that needs the country of each event (login-whitelist's COUNTRY_ALLOWLIST). When
   * `needed`, the edge opens the geo databases before the run and detects with `bind(config, lookup)`:
   * detect stays pure, the lookup is injected.
   */
  readonly geoRule?: {
    needed(config: Config): boolean;
    bind(config: Config, lookup: GeoLookup): Config;
  };
}

/** The config to detect with: the geo lookup bound in when the detector's geo rule is on. */
export async function bindGeoRule<Config>(
  detector: Detector<Config>,
  config: Config,
  geo: (() => Promise<GeoLookup>) | undefined,
): Promise<Config> {
  const rule = detector.geoRule;
  if (!rule || !geo || !rule.needed(config)) return config;
  return rule.bind(config, await geo());
}

export const METRIC_MODES = ['api', 'emf', 'off'] as const;
/** `api`: one PutMetricData call per invocation; `emf`: an Embedded Metric Format log line; `off`. */
export type MetricMode = (typeof METRIC_MODES)[number];

export interface MetricSettings {
  mode: MetricMode;
  namespace: string;
  name: string;
}

export interface MetricDefinition<Config> {
  settings(config: Config): MetricSettings;
  /** Whether this finding makes its event count toward the metric (an event counts once, however many rules match). */
  counts(finding: Finding, config: Config): boolean;
}

/**
 * Counts, for a detector's metric, the events of a run that hit a counting rule (each event once,
 * however many rules it matched). Pass `onFindings` to the DetectionRun; read `count()` at the end.
 */
export function metricCounter<Config>(
  detector: Detector<Config>,
  config: Config,
): { onFindings?: (findings: readonly Finding[]) => void; count(): number } {
  const metric = detector.metric;
  let count = 0;
  return {
    onFindings: metric
      ? (findings) => void (findings.some((finding) => metric.counts(finding, config)) && (count += 1))
      : undefined,
    count: () => count,
  };
}
