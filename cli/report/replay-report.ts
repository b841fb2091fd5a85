/**
 * The edge of `replay --report <file>` and `--stats`: watches the run, then builds the report once
 * and writes the HTML file and/or the text lines (stderr, like every summary of the CLI; stdout keeps
 * the alerts).
 */
import { writeFile } from 'node:fs/promises';
import type { Alert } from '../../shared/alert/alert';
import type { Detector, Finding } from '../../shared/detect/detector';
import { errorMessage } from '../../shared/errors';
import type { MemoryConfig } from '../../shared/memory/memory-config';
import type { MemorySummary } from '../../shared/memory/memory-stage';
import type { RunStats } from '../../shared/pipeline';
import { inlineValue } from '../../shared/alert/alert-text';
import type { CliIo } from '../io';
import { forecastNoise } from './noise-forecast';
import { createReportCollector } from './report-collector';
import { buildReport } from './report-model';
import { renderHtml } from './render-html';
import { renderStats } from './render-stats';

export interface ReplayReportRequest {
  /** Where the HTML goes, if asked. */
  path?: string;
  /** Print the numbers as text on stderr. */
  stats: boolean;
  /** No "report written" line. */
  quiet: boolean;
}

export interface ReplayReporter {
  watchSuppress(suppress: (findings: Finding[]) => Finding[]): (findings: Finding[]) => Finding[];
  /** The metric counter with the report watching its onFindings hook (the findings suppression kept). */
  watchCounter<Counter extends { onFindings?: (findings: readonly Finding[]) => void }>(counter: Counter): Counter;
  /** Builds and writes what was asked; false when the file could not be written (said on stderr). */
  finish(
    run: { files: number; stats: RunStats; alerts: readonly Alert[]; memorySummary: MemorySummary },
    io: CliIo,
  ): Promise<boolean>;
}

export function createReplayReporter<Config>(
  detector: Detector<Config>,
  config: Config,
  memoryConfig: MemoryConfig,
  request: ReplayReportRequest,
): ReplayReporter {
  const collector = createReportCollector(memoryConfig, Date.now());
  return {
    watchSuppress: (suppress) => collector.watchSuppress(suppress),
    watchCounter: (counter) => ({ ...counter, onFindings: collector.watchFindings(counter.onFindings) }),
    async finish(run, io) {
      const forecast = await forecastNoise(detector, config, memoryConfig, collector.collected);
      const report = buildReport({
        function: detector.name,
        files: run.files,
        stats: run.stats,
        alerts: run.alerts,
        memoryConfig,
        memorySummary: run.memorySummary,
        collected: collector.collected,
        forecast,
      });
      if (request.stats) for (const line of renderStats(report)) io.err(line);
      if (request.path === undefined) return true;
      try {
        await writeFile(request.path, renderHtml(report));
        if (!request.quiet) io.err(`report written to ${inlineValue(request.path, 300)}`);
        return true;
      } catch (error) {
        io.err(`error: cannot write the report ${inlineValue(request.path, 300)}: ${errorMessage(error)}`);
        return false;
      }
    },
  };
}
