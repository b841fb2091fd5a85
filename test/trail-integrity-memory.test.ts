/**
 * trail-integrity's tamper alerts go through the alert memory like every function's: a re-delivered
 * event alerts once, a burst of the same tampering folds into one alert and a roll-up sent by the
 * scheduled flush.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { invokeTrailIntegrity } from '../functions/trail-integrity/invoke-trail-integrity';
import { createMemoryStore, LIVENESS_PREFIX } from '../functions/trail-integrity/liveness';
import { trailIntegrity } from '../functions/trail-integrity/trail-integrity';
import { createMemoryStage } from '../shared/memory/create-memory-stage';
import { loadMemoryConfig } from '../shared/memory/memory-config';
import { ConfigProblems } from '../shared/platform/env-config';
import { createLogger } from '../shared/platform/logger';
import { memorySink } from './support/memory-sink';

const record = JSON.parse(readFileSync(join(__dirname, '..', 'events', 'aws', 'cloudtrail-stop-logging.json'), 'utf8'));
const config = trailIntegrity.loadConfig({});
const log = createLogger({ level: 'silent', name: 'test' });

function stage(env: Record<string, string> = {}) {
  const problems = new ConfigProblems();
  const memory = loadMemoryConfig({ STATE_STORE: 'memory', ...env }, problems);
  problems.throwIfAny('test');
  return createMemoryStage(memory);
}

const eventBridge = (id: string) => ({
  version: '0',
  id: `eb-${id}`,
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.cloudtrail',
  account: '111122223333',
  time: record.eventTime,
  region: record.awsRegion,
  detail: { ...record, eventID: id },
});

describe('trail-integrity through the alert memory', () => {
  it('the same event delivered twice alerts once', async () => {
    const memory = stage();
    const sink = memorySink();
    const deps = { log, memory, sinks: () => [sink] };
    await invokeTrailIntegrity(config, eventBridge('a1'), deps);
    await invokeTrailIntegrity(config, eventBridge('a1'), deps);
    expect(sink.alerts).toHaveLength(1);
  });

  it('a burst is one alert, then one roll-up from the scheduled flush once the window has ended', async () => {
    const memory = stage({ DEDUP_WINDOW: '15m' });
    const sink = memorySink();
    // The in-process store expires entries by the real clock: stay near it.
    const start = Date.now();
    let now = new Date(start);
    const deps = { log, memory, sinks: () => [sink], now: () => now };
    for (let i = 0; i < 5; i++) await invokeTrailIntegrity(config, eventBridge(`b${i}`), deps);
    expect(sink.alerts).toHaveLength(1);
    now = new Date(start + 20 * 60_000);
    const scheduled = {
      version: '0',
      id: 'tick',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '111122223333',
      time: now.toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {},
    };
    const result = await invokeTrailIntegrity(config, scheduled, deps);
    expect(sink.alerts).toHaveLength(2);
    expect(sink.alerts[1].count).toBe(4);
    expect(result.delivered).toBe(1);
  });
});

describe('trail-integrity on a backfill (an S3 Batch Operations task), whoever passes it on', () => {
  it("the task's log file alerts through the memory, and no arrival is recorded: the event's shape says it is a backfill", async () => {
    const key =
      'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/111122223333_CloudTrail_us-east-1_20261124T0905Z_x.json.gz';
    const logFile = gzipSync(JSON.stringify({ Records: [record] }));
    const task = {
      invocationSchemaVersion: '2.0',
      invocationId: 'inv-1',
      job: { id: 'job-1' },
      tasks: [{ taskId: 't-1', s3Key: key, s3VersionId: null, s3Bucket: 'org-trail' }],
    };
    const notification = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'org-trail' }, object: { key } },
        },
      ],
    };
    const store = createMemoryStore();
    const sink = memorySink();
    const deps = {
      log,
      memory: stage(),
      store,
      sinks: () => [sink],
      fetchObject: async (bucket: string, objectKey: string) => {
        expect([bucket, objectKey]).toEqual(['org-trail', key]);
        return logFile;
      },
    };
    const result = await invokeTrailIntegrity(config, task, deps);
    expect(result).toMatchObject({ records: 1, alerts: 1, arrivalsRecorded: 0, memory: { sent: 1 } });
    expect([...store.records.keys()].filter((k) => k.startsWith(LIVENESS_PREFIX))).toEqual([]);
    // The same file announced by S3 is an arrival (and its StopLogging was alerted already).
    const arrived = await invokeTrailIntegrity(config, notification, deps);
    expect(arrived).toMatchObject({ records: 1, alerts: 0, arrivalsRecorded: 1 });
    expect(sink.alerts).toHaveLength(1);
  });
});
