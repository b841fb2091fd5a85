/**
 * Issue #10 items 1–3 on every intake path of both clouds, in process (the child-process bounds on the
 * built artifacts are in hardening-intake-bounds.test.ts):
 * - one MAX_DECOMPRESSED_MB budget per input, whatever wraps the CloudWatch Logs payloads in it;
 * - a thousand bad records: each counted, the first 100 logged, one line for the rest;
 * - more records than a spread into `push` survives: the good login among them is still alerted.
 */
import { gzipSync } from 'node:zlib';
import { loginWhitelist, RULE_OUTSIDE_WHITELIST } from '../functions/login-whitelist/login-whitelist';
import { FetchError } from '../shared/errors';
import { decodeInput } from '../shared/intake';
import { createLogger } from '../shared/platform/logger';
import { invokeDetector } from '../shared/platform/invoke';
import { DetectionRun, REPORTED_IN_FULL } from '../shared/pipeline';
import { captureLog } from './support/capture-log';
import { apiCallText, awslogsEnvelope } from './support/hostile-inputs';
import { BUCKET, goodLogin, INTAKE_PATHS, type Batch, type IntakePath } from './support/intake-paths';
import { memorySink } from './support/memory-sink';

const WHITELIST = '203.0.113.0/24, 2001:db8:1::/48';
const config = loginWhitelist.loadConfig({ IP_WHITELIST: WHITELIST });
const MiB = 1024 * 1024;

function fetchFrom(batch: Batch) {
  return async (bucket: string, key: string) => {
    const object = bucket === BUCKET ? batch.objects.get(key) : undefined;
    if (!object) throw new FetchError(`NoSuchKey: ${key}`, false);
    return object;
  };
}

/** A record in the path's cloud that is not a record at all: rejected wherever it is put. */
const badText = (path: IntakePath): string => (path.carriesText ? '12345' : '{"eventName":7,"eventSource":"x"}');

describe.each(INTAKE_PATHS.map((path) => [path.name, path] as const))('%s', (_name, path) => {
  const good = goodLogin(path.cloud);
  const goodAlerted = (ids: string[][]) => ids.filter((eventIds) => eventIds.includes(good.id)).length;

  it('a thousand bad records: all counted, the first 100 logged, one line for the rest, the good login alerted', async () => {
    const count = path.name.includes('from S3 notifications') ? 300 : 1_000;
    const texts = Array.from({ length: count }, () => badText(path));
    texts.splice(count >> 1, 0, good.text);
    const batch = path.build(texts);
    const log = captureLog();
    const sink = memorySink();
    const result = await invokeDetector(loginWhitelist, config, batch.event, {
      log: createLogger({ level: 'debug', name: 'login-whitelist' }, log.destination),
      sinks: () => [sink],
      fetchObject: fetchFrom(batch),
    });
    expect(result.rejected).toBe(count);
    expect(log.find('record rejected')).toHaveLength(REPORTED_IN_FULL);
    expect(log.find('more records rejected')).toEqual([
      expect.objectContaining({ rejected: count, notLogged: count - REPORTED_IN_FULL }),
    ]);
    expect(goodAlerted(sink.alerts.map((alert) => alert.eventIds))).toBe(1);
  });

  it('more records than a spread survives: the good login among them is alerted', async () => {
    // Lists and NDJSON files past the ~125k elements a spread into `push` survives; the event-batch
    // envelopes (whose size the platform limits) and the S3 path (one object per record) with fewer.
    const count = /NDJSON|raw|log file$|trace list/.test(path.name)
      ? 130_000
      : path.name.includes('from S3 notifications')
        ? 2_000
        : 20_000;
    const filler =
      path.cloud === 'aws'
        ? apiCallText('filler')
        : good.text.replace(good.id, 'filler').replace(/"source_ip":"[^"]*"/, '"source_ip":"203.0.113.9"');
    const texts = Array.from({ length: count }, () => filler);
    texts.splice(count >> 1, 0, good.text);
    const batch = path.build(texts);
    const run = new DetectionRun(loginWhitelist, config, { fetchObject: fetchFrom(batch) });
    await run.ingest(batch.event, 'event');
    expect(run.stats.rejected).toBe(0);
    expect(run.stats.records).toBe(count + 1);
    const alerts = run.alerts();
    expect(
      alerts.filter((alert) => alert.rule === RULE_OUTSIDE_WHITELIST && alert.eventIds.includes(good.id)),
    ).toHaveLength(1);
  }, 60_000);

  if (path.carriesText) {
    it('CloudWatch Logs payloads in it share one budget per input; the good login is alerted', async () => {
      const payloads = [0, 1, 2].map((i) => awslogsEnvelope([apiCallText(`padded-${i}`) + ' '.repeat(MiB)]));
      const batch = path.build([...payloads, good.text]);
      const cap = 2.5 * MiB;
      const run = new DetectionRun(loginWhitelist, config, {
        fetchObject: fetchFrom(batch),
        maxDecompressedBytes: cap,
      });
      await run.ingest(batch.event, 'event');
      // Each payload is either read (its one record) or rejected; never more than the cap per input.
      expect(run.stats.records - 1 + run.stats.rejected).toBe(3);
      expect(run.stats.inflated).toBeLessThanOrEqual(cap * (1 + run.stats.fetched));
      expect(run.stats.rejected).toBeGreaterThanOrEqual(1);
      for (const { reason } of run.stats.rejections)
        expect(reason).toMatch(/decompressed size exceeds|inside a log event message|not a usable|expected/);
      expect(goodAlerted(run.alerts().map((alert) => alert.eventIds))).toBe(1);
    });
  }
});

describe('decodeInput on huge NDJSON', () => {
  it('200,000 lines come back one document each, no stack overflow', () => {
    const text = `${'{"a":1}\n'.repeat(200_000)}`;
    for (const bytes of [Buffer.from(text), gzipSync(text)]) {
      const decoded = decodeInput(bytes, 'big.ndjson');
      expect(decoded.rejected).toEqual([]);
      expect(decoded.documents).toHaveLength(200_000);
      expect(decoded.documents[199_999].position).toBe('big.ndjson:line 200000');
    }
  });

  it('a broken line among them is rejected by its line number, the rest read', () => {
    const lines = Array.from({ length: 150_000 }, (_, i) => (i === 77_777 ? '{"cut": ' : '{}'));
    const decoded = decodeInput(Buffer.from(lines.join('\n')), 'f');
    expect(decoded.documents).toHaveLength(149_999);
    expect(decoded.rejected).toEqual([{ position: 'f:line 77778', reason: expect.stringMatching(/^invalid JSON/) }]);
  });
});
