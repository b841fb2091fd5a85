/**
 * The memory stage for `trailguard replay --state memory|<url>`: the same suppress → remember → alert
 * as a deployed function, with the state in this process (default) or in a shared store, so overlapping
 * replays with --sink do not alert twice.
 */
import { readFileSync } from 'node:fs';
import type { Alert } from '../shared/alert/alert';
import type { Detector, Finding, FindingGroup } from '../shared/detect/detector';
import { createMemoryStage } from '../shared/memory/create-memory-stage';
import { loadMemoryConfig, type MemoryConfig } from '../shared/memory/memory-config';
import { emptySummary, type MemorySummary, rememberGroups, suppressFindings } from '../shared/memory/memory-stage';
import { ConfigProblems, type Env, readEnv } from '../shared/platform/env-config';

export interface ReplayMemory {
  suppress: (findings: Finding[]) => Finding[];
  remember<Config>(detector: Detector<Config>, config: Config, groups: FindingGroup[]): Promise<Alert[]>;
  summaryLine(suppressed: number): string;
  /** The settings and the counts of the remember step (replay --report / --stats). */
  readonly config: MemoryConfig;
  summary(): MemorySummary;
  close(): Promise<void>;
}

export function replayMemory(state: string | true | undefined, env: Env): ReplayMemory {
  const problems = new ConfigProblems();
  const overridden = typeof state === 'string' ? { ...env, STATE_STORE: state } : env;
  const memoryConfig = loadMemoryConfig(overridden, problems, { readFile: (path) => readFileSync(path, 'utf8') });
  problems.throwIfAny('replay');
  const stage = createMemoryStage(memoryConfig, {
    dynamodb: (table, config) =>
      import('../shared/memory/dynamodb-store').then(({ createDynamoDbStore }) =>
        createDynamoDbStore({
          table,
          endpoint: config.endpoint,
          requestTimeoutMs: Math.max(1_000, config.timeoutMs),
          region: readEnv(env, 'AWS_REGION', 'AWS_DEFAULT_REGION')?.value ?? 'us-east-1',
        }),
      ),
    redis: (url, config) =>
      import('../shared/memory/redis-store').then(({ createRedisStore }) =>
        createRedisStore({ url, password: config.password, timeoutMs: config.timeoutMs }),
      ),
  });
  const now = Date.now();
  let summary: MemorySummary = emptySummary();
  let opened = false;
  return {
    suppress: (findings) => suppressFindings(findings, memoryConfig, now).kept,
    async remember(detector, config, groups) {
      opened = true;
      const outcome = await rememberGroups(detector, config, groups, stage, now);
      summary = outcome.summary;
      return outcome.alerts;
    },
    config: memoryConfig,
    summary: () => summary,
    summaryLine: (suppressed) =>
      `memory (${memoryConfig.store.kind}): ${summary.sent} alert(s) sent, ${summary.held} held for roll-up, ` +
      `${summary.rolledUp} rolled up, ${suppressed} suppressed, ${summary.belowThreshold} below threshold` +
      (summary.duplicates > 0 ? `, ${summary.duplicates} already seen` : '') +
      (summary.unavailable > 0 ? `, ${summary.unavailable} without memory (state unavailable)` : ''),
    async close() {
      if (!opened || memoryConfig.store.kind === 'memory') return;
      try {
        await (await stage.store()).close();
      } catch {
        // nothing to close
      }
    },
  };
}
