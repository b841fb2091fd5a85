/**
 * A worker thread of `replay --threads N` (cli/replay-workers.ts), bundled as dist/cli/replay-worker.js. It
 * loads the function's config from the same environment as the main thread and answers each job with what
 * its input gave (a RunOutcome); the main thread replays that in input order.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { DETECTORS } from '../functions/registry';
import { bindGeoRule } from '../shared/detect/detector';
import { createEnricher } from '../shared/enrich/enricher';
import { nodeGeoFiles } from '../shared/enrich/geo-database';
import { errorMessage } from '../shared/errors';
import { adoptSpare } from '../shared/intake/spare-inflate';
import { DetectionRun } from '../shared/pipeline';
import { loadFunctionConfig } from '../shared/platform/load-function-config';
import {
  decodedTransfer,
  decodeFile,
  EARLY_WORKER,
  type FileResult,
  ingestFile,
  ingestPart,
  type Job,
  type PartResult,
  type SetupMessage,
  type WorkerSetup,
} from './replay-workers';
import { readInputNow } from './read-inputs';

async function startRun(setup: WorkerSetup): Promise<DetectionRun<unknown>> {
  const detector = DETECTORS[setup.functionName as keyof typeof DETECTORS];
  if (!detector) throw new Error(`unknown function ${setup.functionName}`);
  const checked = loadFunctionConfig(detector, setup.env, 'cli', {
    sink: false,
    geoFiles: nodeGeoFiles,
    readFile: (path) => readFileSync(path, 'utf8'),
  });
  let geoFailed: unknown;
  const enricher = createEnricher(checked.enrich, { onError: (_what, error) => (geoFailed = error) });
  const config = await bindGeoRule(detector, checked.config, enricher.geo);
  // Without its geo databases this thread would detect otherwise than the main thread: it does nothing.
  if (geoFailed !== undefined) throw new Error(`geo databases: ${errorMessage(geoFailed)}`);
  return new DetectionRun(detector, config, {
    maxDecompressedBytes: checked.maxDecompressedBytes,
    recordOutcome: true,
    reuseBuffers: true,
  });
}

function answer(run: DetectionRun<unknown>, job: Exclude<Job, { type: 'spare' }>): Promise<FileResult | PartResult> {
  if (job.type === 'part') return ingestPart(run, job.bytes);
  const file = { path: job.path, size: 0 };
  return job.type === 'decode' ? decodeFile(run, file, readInputNow) : ingestFile(run, file, readInputNow);
}

const port = parentPort;
if (port) {
  // Started early (bin/trailguard.js, while the CLI loads; see adoptEarlyWorker): the setup is the first message.
  const setup: Promise<WorkerSetup> =
    workerData === EARLY_WORKER
      ? new Promise((resolve) => port.once('message', (message: SetupMessage) => resolve(message.setup)))
      : Promise.resolve(workerData as WorkerSetup);
  const ready = setup.then(startRun);
  // A config this thread cannot load ends it: the main thread then does everything itself.
  ready.then(
    () => port.postMessage('ready'),
    () => process.exit(1),
  );
  // One job at a time, in the order they came.
  let queue: Promise<unknown> = ready;
  port.on('message', (job: Job | SetupMessage) => {
    if (job.type === 'setup') return;
    if (job.type === 'spare') return adoptSpare(job.buffer);
    queue = queue.then(async () => {
      const run = await ready;
      let result: FileResult | PartResult;
      try {
        result = await answer(run, job);
      } catch {
        run.takeOutcome();
        result = { lost: true };
      }
      // A part's buffer goes back, for the next part.
      if (job.type === 'part')
        port.postMessage({ id: job.id, result, bytes: job.bytes }, [job.bytes.buffer as ArrayBuffer]);
      else if (job.type === 'decode') {
        // A decoded file's bytes and scan travel without a copy (decodedTransfer); if they cannot, copied.
        try {
          port.postMessage({ id: job.id, result }, decodedTransfer(result as FileResult));
        } catch {
          try {
            port.postMessage({ id: job.id, result });
          } catch {
            port.postMessage({ id: job.id, result: { lost: true } });
          }
        }
      } else port.postMessage({ id: job.id, result });
    });
  });
}
