/**
 * `replay --threads 2` splits each file in two: a worker thread does DetectionRun.predecode (read, gunzip,
 * record-list scan) and posts the plain data to the main thread, whose run does ingestPredecoded. That
 * split must not change an answer: for every function and every kind of input (gzip or plain, byte-order
 * marks, CloudTrail and CTS lists, NDJSON, corrupt and truncated gzip, a budget overrun, empty and odd
 * lists, bad records), predecode → message → ingestPredecoded gives the stats, groups and rejections
 * (positions and reasons) that ingestBytes gives. The message is a real structured clone, with the
 * transfer list the worker uses, so what arrives is what a worker's message delivers.
 */
import { gzipSync } from 'node:zlib';
import { decodedTransfer, revived } from '../cli/replay-workers';
import { DETECTORS } from '../functions/registry';
import type { Detector } from '../shared/detect/detector';
import { DetectionRun, type Predecoded, RECORD_LIST_BYTES } from '../shared/pipeline';
import { fixture } from './support/fixtures';
import { apiCallText, awslogsEnvelope } from './support/hostile-inputs';

const ENV = {
  IP_WHITELIST: '203.0.113.0/24',
  RULE_SETS: 'all',
  CTS_RULE: 'true',
  ALERT_ON_FAILED_LOGIN: 'true',
  METRIC_MODE: 'off',
};

type Records = Array<Record<string, unknown>>;
const cloudTrail = (fixture('aws/envelope-cloudtrail-log-file.json') as { Records: Records }).Records;
const trace = fixture('huaweicloud/cts-api-call-forbidden.json') as Record<string, unknown>;

function many(tag: string, copies: number): Records {
  const out: Records = [];
  for (let c = 0; c < copies; c++)
    for (const record of cloudTrail) out.push({ ...record, eventID: `${String(record.eventID)}-${tag}-${c}` });
  return out;
}

const list = JSON.stringify({ Records: many('a', 30) });
const traces = JSON.stringify({
  traces: Array.from({ length: 40 }, (_, k) => ({ ...trace, trace_id: `${String(trace.trace_id)}-${k}` })),
});
const good = gzipSync(list);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const INPUTS: Array<[string, Buffer]> = [
  ['a gzip CloudTrail log file', good],
  ['a plain one', Buffer.from(list)],
  ['a gzip one with a byte-order mark inside', gzipSync(Buffer.concat([BOM, Buffer.from(list)]))],
  ['a plain one with two byte-order marks', Buffer.concat([BOM, BOM, Buffer.from(list)])],
  ['a UTF-16 one', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(list, 'utf16le')])],
  ['a gzip CTS trace list', gzipSync(traces)],
  [
    'a gzip NDJSON of records',
    gzipSync(
      many('n', 3)
        .map((record) => JSON.stringify(record))
        .join('\n'),
    ),
  ],
  ['a list with bad records', gzipSync(JSON.stringify({ Records: [1, null, ...many('b', 2), 'x', {}] }))],
  ['a list broken at the end', gzipSync(`${list.slice(0, -2)},]}`)],
  ['an empty list', gzipSync('{"Records":[]}')],
  ['a list of tiny elements', gzipSync(`{"Records":[${'1,'.repeat(500)}1]}`)],
  ['a list with a second member', gzipSync(`{"Records":[],"x":${list}}`)],
  ['a truncated gzip', good.subarray(0, good.length - 20)],
  ['a corrupt gzip', Buffer.concat([good.subarray(0, 10), Buffer.alloc(200, 7)])],
  ['blank after gunzip', gzipSync(' \n\t '.repeat(100))],
  ['an empty file', Buffer.alloc(0)],
  ['a gzip of nothing', gzipSync(Buffer.alloc(0))],
  ['not JSON', gzipSync('<html>nope</html>')],
  ['over the budget', gzipSync(Buffer.alloc(3 * 1024 * 1024, 0x20))],
  ['a gzip inside a gzip', gzipSync(good)],
  // 1.2 MB outer and 1.2 MB inner: each fits the 2 MiB budget, together they do not (the outer gunzip's
  // share, spent on the worker, counts on the main thread).
  ['a nested bomb', gzipSync(awslogsEnvelope([apiCallText('nested') + ' '.repeat(1_200_000)]) + ' '.repeat(1_200_000))],
  ['a CloudWatch Logs payload', gzipSync(awslogsEnvelope([apiCallText('fits')]))],
];

function through(run: DetectionRun<unknown>) {
  return { stats: { ...run.stats }, groups: JSON.parse(JSON.stringify(run.groups())) as unknown };
}

/** A run of `detector`, and what it rejected, in order. */
function runOf(
  detector: Detector<unknown>,
  options: { maxDecompressedBytes: number; recordListBytes?: number; reuseBuffers?: boolean },
) {
  const rejected: string[] = [];
  const run = new DetectionRun(detector, detector.loadConfig(ENV), {
    ...options,
    onRejected: (r) => rejected.push(`${r.position}: ${r.reason}`),
  });
  return { run, rejected };
}

/** What a worker's message would deliver: a structured clone, with decodedTransfer's buffers moved. */
function posted(predecoded: Predecoded): Predecoded {
  const result = { decoded: predecoded };
  const moved = structuredClone(result, { transfer: decodedTransfer(result) });
  return revived(moved.decoded);
}

describe('predecode + ingestPredecoded = ingestBytes', () => {
  const detectors = Object.values(DETECTORS) as Detector<unknown>[];
  for (const detector of detectors)
    for (const recordListBytes of [undefined, 64])
      it(`${detector.name}${recordListBytes ? ', every list read one record at a time' : ''}: every kind of input`, async () => {
        const options = { maxDecompressedBytes: 2 * 1024 * 1024, recordListBytes };
        const whole = runOf(detector, options);
        // The split runs inflate into spare buffers, as the replay CLI's do (spare-inflate.ts).
        const split = runOf(detector, { ...options, reuseBuffers: true });
        const worker = runOf(detector, { ...options, reuseBuffers: true });
        for (const [name, bytes] of INPUTS) {
          await whole.run.ingestBytes(Buffer.from(bytes), name);
          await split.run.ingestPredecoded(posted(worker.run.predecode(Buffer.from(bytes))), name);
        }
        expect(split.rejected).toEqual(whole.rejected);
        expect(through(split.run)).toEqual(through(whole.run));
        // The worker's own run holds nothing of what it decoded.
        expect(worker.rejected).toEqual([]);
        expect(worker.run.stats.records).toBe(0);
        expect(whole.rejected.length).toBeGreaterThan(8);
        expect(whole.run.stats.records).toBeGreaterThan(100);
        // And ingestBytes itself with spare buffers, file after file.
        const reusing = runOf(detector, { ...options, reuseBuffers: true });
        for (const [name, bytes] of INPUTS) await reusing.run.ingestBytes(Buffer.from(bytes), name);
        expect(reusing.rejected).toEqual(whole.rejected);
        expect(through(reusing.run)).toEqual(through(whole.run));
      });

  it('the decoded bytes and the scan travel without a copy, and never the shared pool of small buffers', () => {
    const detector = DETECTORS['unauthorized-api'] as Detector<unknown>;
    const { run } = runOf(detector, { maxDecompressedBytes: RECORD_LIST_BYTES });
    const predecoded = run.predecode(good);
    expect(predecoded.input.type).toBe('recordList');
    const transfer = decodedTransfer({ decoded: predecoded });
    expect(transfer.length).toBeGreaterThan(0);
    expect(new Set(transfer).size).toBe(transfer.length);
    const small = run.predecode(Buffer.from('{"Records":[]}'));
    expect(small.input.type === 'rejected' ? undefined : small.input.data.buffer.byteLength).toBeDefined();
    for (const buffer of decodedTransfer({ decoded: small }))
      expect(buffer.byteLength).toBeGreaterThan(Buffer.poolSize);
  });
});
