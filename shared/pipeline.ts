/**
 * The shared pipeline: intake (envelopes) → normalize → validate → detect → aggregate → alerts.
 * One `DetectionRun` is one invocation's worth of state; nothing lives at module level, so several
 * invocations can share an instance (FunctionGraph) without seeing each other's findings.
 */
import { digestText } from './lazy-builtins';
import type { Alert } from './alert/alert';
import { capMessage, maskAccessKey, maskAccessKeyIds, safeSubject } from './alert/alert-text';
import type { Detector, Finding, FindingGroup } from './detect/detector';
import { errorMessage, FetchError, InvalidEventError } from './errors';
import { EventIdList, EventIdSet, NO_EVENT_IDS, type PackedEventIds } from './event-id-set';
import {
  createInflationBudget,
  type DecodedPiece,
  type DecodeOptions,
  decodePredecoded,
  type InflationBudget,
  type PredecodedInput,
  predecodeInput,
  type RecordList,
  releasePredecoded,
} from './intake/decode-input';
import type { IntakeItem } from './intake/intake-item';
import { emptyListItem, type ItemSink, listElementUnwrapper, unwrapEnvelopeTo } from './intake/unwrap-envelope';
import { normalizeRecord } from './normalize';
import type { PrintableEvent, TraceEvent } from './normalize/trace-event';
import { validateTraceEvent } from './normalize/validate-trace-event';
import { compilePrefilter, type ListPrefilter } from './prefilter/skip-records';
import { copyAsJson } from './json-data-copy';

/** Longest reason or position, and id, a rejection reports. */
const MAX_REPORTED_TEXT = 500;
const MAX_REPORTED_ID = 200;

function clip(text: string, max = MAX_REPORTED_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * From this decoded size on, a plain `{"Records":[…]}` / `{"traces":[…]}` file is read one record at a time
 * (decodeInput's recordList) instead of as one parsed document. Below it, one JSON.parse of the whole text
 * is faster; above it, the whole text and object graph would cost several times the file in memory.
 */
export const RECORD_LIST_BYTES = 32 * 1024 * 1024;

/** How many event ids a group keeps (the count goes on); bounds memory on huge files. */
const KEPT_EVENT_IDS = 100;

/**
 * How many rejections and skips a run keeps (and reports as they happen) in full; the rest are counted.
 * A 6 MB file of `{"Records":[1,1,…]}` is three million rejections: kept and logged one by one, they
 * took gigabytes and millions of log lines.
 */
export const REPORTED_IN_FULL = 100;

export interface RejectedInput {
  position: string;
  reason: string;
  recordId?: string;
}

export interface SkippedInput {
  position: string;
  reason: string;
  /** A short constant naming the kind (`digest`, `unfetched`), when intake gives one. */
  label?: string;
}

export interface RunStats {
  /** Records normalized (re-delivered duplicates included; only the first of an event id is run through the detector). */
  records: number;
  /** Records with the same event id as one already seen in this run (CloudTrail re-delivers), whatever the rules. */
  duplicates: number;
  findings: number;
  /** How many inputs were rejected. */
  rejected: number;
  /** The first REPORTED_IN_FULL of them. */
  rejections: RejectedInput[];
  /** How many inputs were skipped on purpose (digest files, CONTROL_MESSAGEs, …). */
  skipped: number;
  /** The first REPORTED_IN_FULL of them. */
  skips: SkippedInput[];
  /** Skips per label (`other` for unlabelled ones). */
  skippedByLabel: Record<string, number>;
  /** S3 objects fetched. */
  fetched: number;
  /** Bytes inflated (gunzip) or decoded (base64) over all inputs; each input's share is capped by MAX_DECOMPRESSED_MB. */
  inflated: number;
  /** Findings muted by a suppression (memory stage): counted, never dropped silently. */
  suppressed: number;
}

export type FetchObject = (bucket: string, key: string, region?: string) => Promise<Uint8Array>;

export interface RunOptions {
  /** Fetches an S3 object for `fetch` items; without it such items are rejected (or skipped, see `unfetchedHint`). */
  fetchObject?: FetchObject;
  /**
   * Without `fetchObject`: skip S3 references instead of rejecting them, saying this (the replay CLI: "pass
   * --fetch …"). A deployed function has no such choice: a reference it cannot follow is an error.
   */
  unfetchedHint?: string;
  maxDecompressedBytes?: number;
  /** Decoded size from which a plain log file is read one record at a time; default RECORD_LIST_BYTES. */
  recordListBytes?: number;
  /** Called for each of the first REPORTED_IN_FULL rejected inputs as it happens (structured logging at the edge). */
  onRejected?: (rejected: RejectedInput) => void;
  /** Called once per event that produced findings, with all of them (metrics count events, not rules). */
  onFindings?: (findings: readonly Finding[]) => void;
  /** The memory stage's suppress step: the findings it keeps (shared/memory). */
  suppress?: (findings: Finding[]) => Finding[];
  /**
   * false: parse every record, even those the detector's prefilter says cannot matter (the equivalence
   * tests run both ways). Default: the detector's prefilter, when it declares one.
   */
  prefilter?: boolean;
  /**
   * Record what each input gives (RunOutcome) instead of counting it: a worker thread of the replay CLI
   * runs its files so, and the run that owns the order (ids seen, groups, stats) replays them with
   * applyOutcome. Every record is detected, since only that run knows which are duplicates.
   */
  recordOutcome?: boolean;
  /**
   * Inflate each input into buffers used again from one input to the next (spare-inflate.ts): for a run
   * over many files (the replay CLI). Off by default: a function keeps no such buffers between invocations.
   */
  reuseBuffers?: boolean;
}

/** The items of a RunOutcome. */
export const OUTCOME_RECORD = 0;
export const OUTCOME_FINDINGS = 1;
export const OUTCOME_DETECT_FAILED = 2;
export const OUTCOME_REJECTED = 3;
export const OUTCOME_SKIPPED = 4;
export const OUTCOME_FETCH = 5;

/** What DetectionRun.predecode gave for a file: plain data, which a worker thread can hand over. */
export interface Predecoded {
  input: PredecodedInput;
  /** Bytes of the file's inflation budget its gunzip spent. */
  spent: number;
}

/**
 * One input as a `recordOutcome` run saw it, in input order: one code per item, the event id of each
 * record (packed: no string per record crosses between threads), and the payload of each item that has
 * one (its findings, the rejection, the skip, the S3 object to fetch). Plain data, so it crosses to another
 * thread as is.
 */
export interface RunOutcome {
  codes: number[];
  ids: PackedEventIds;
  payloads: unknown[];
  /** Bytes inflated within the input's budget. */
  inflated: number;
}

function emptyOutcome(): RunOutcome {
  return { codes: [], ids: NO_EVENT_IDS, payloads: [], inflated: 0 };
}

/** A detector's result for one event: its findings, or the rejection of a detector that threw. */
type Detected = Finding[] | RejectedInput;

type FetchItem = Extract<IntakeItem, { type: 'fetch' }>;

export class DetectionRun<Config> {
  readonly stats: RunStats = {
    records: 0,
    duplicates: 0,
    findings: 0,
    rejected: 0,
    rejections: [],
    skipped: 0,
    skips: [],
    skippedByLabel: {},
    fetched: 0,
    inflated: 0,
    suppressed: 0,
  };
  private readonly groupsByKey = new Map<string, FindingGroup>();
  /**
   * Every event id seen: a re-delivered record is a duplicate by its id alone, whichever rules it matches
   * (dropping only alerted ones made RULE_SETS=cis count more duplicates than the default rules).
   */
  private readonly seenEventIds = new EventIdSet();
  /** Retryable fetch failures, thrown once the rest of the input has been ingested. */
  private readonly fetchFailures: FetchError[] = [];

  /** The detector's prefilter for this config, compiled once; undefined when it skips nothing. */
  private readonly prefilter: ListPrefilter | undefined;
  /** With `recordOutcome`: what the inputs gave since the last takeOutcome, and its rejections and skips. */
  private outcome: RunOutcome | undefined;
  /** With `recordOutcome`: the event ids of the outcome being recorded (its `ids` once taken). */
  private readonly outcomeIds = new EventIdList();
  private outcomeRejected = 0;
  private outcomeSkipped = 0;

  constructor(
    readonly detector: Detector<Config>,
    readonly config: Config,
    private readonly options: RunOptions = {},
  ) {
    this.prefilter = options.prefilter === false ? undefined : prefilterFor(detector, config);
    if (options.recordOutcome) this.outcome = emptyOutcome();
  }

  /** The skim keys of this run's prefilter (decodeDocuments' skimKeys), when it has one. */
  get skimKeys(): ListPrefilter['keys'] | undefined {
    return this.prefilter?.keys;
  }

  /** With `recordOutcome`: what the inputs ingested since the last call gave. */
  takeOutcome(): RunOutcome {
    const outcome = this.outcome ?? emptyOutcome();
    outcome.ids = this.outcomeIds.take();
    this.outcome = emptyOutcome();
    this.outcomeRejected = 0;
    this.outcomeSkipped = 0;
    return outcome;
  }

  /**
   * Part of a big log file's record list, read by itself (the replay CLI's worker threads): its items, as
   * ingestBytes gives them for the whole list. The caller checks the parts add up to the whole.
   */
  async ingestListPart(list: RecordList): Promise<void> {
    const budget = this.newBudget();
    await this.ingestRecordList(list, budget, true);
    this.stats.inflated += budget.spent;
    if (this.outcome) this.outcome.inflated += budget.spent;
  }

  /**
   * What a `recordOutcome` run gave for one top-level input (ingestBytes of a file), counted here as if
   * this run had ingested the input itself: the same stats, groups, callbacks and rejections, in order.
   */
  async applyOutcome(outcome: RunOutcome): Promise<void> {
    const { codes, ids, payloads } = outcome;
    const seen = this.seenEventIds;
    let id = 0;
    let word = 0;
    let text = 0;
    // The next id's first sighting (see PackedEventIds).
    const next = (): boolean => {
      if (ids.canonical[id++] !== 1) return this.counted(seen.add(ids.texts[text++]));
      word += 4;
      return this.counted(seen.addWords(ids.words, word - 4));
    };
    let payload = 0;
    for (const code of codes) {
      if (code === OUTCOME_RECORD) next();
      else if (code === OUTCOME_FINDINGS || code === OUTCOME_DETECT_FAILED) {
        const detected = payloads[payload++] as Detected;
        if (next()) this.keep(detected);
      } else if (code === OUTCOME_REJECTED) this.reject(payloads[payload++] as RejectedInput);
      else if (code === OUTCOME_SKIPPED) this.skip(payloads[payload++] as SkippedInput);
      else await this.fetch(payloads[payload++] as FetchItem, true);
    }
    this.stats.inflated += outcome.inflated;
    this.throwFetchFailures();
  }

  /**
   * A parsed input of any supported envelope. Never throws for bad input. A fetch that may succeed on
   * retry throws, after every other item has been ingested, so their findings are not held back.
   */
  async ingest(input: unknown, position: string): Promise<void> {
    const budget = this.newBudget();
    await this.ingestDocument(input, position, budget, true);
    this.stats.inflated += budget.spent;
    this.throwFetchFailures();
  }

  /**
   * Raw bytes of a file or object: gzip or plain, JSON or NDJSON. The file is one input: one inflation
   * budget covers it and everything nested in it. Documents are read one at a time.
   */
  async ingestBytes(bytes: Uint8Array, name: string, allowFetch = true): Promise<void> {
    const budget = this.newBudget();
    // With a prefilter every plain log file of a kind it skims is read one record at a time, whatever its
    // size (decodeDocuments' skimKeys): that is what lets records that cannot matter go unparsed.
    const input = predecodeInput(bytes, this.decodeOptions(budget));
    try {
      await this.ingestPieces(decodePredecoded(input, name), budget, allowFetch);
    } finally {
      releasePredecoded(input);
    }
  }

  /**
   * ingestBytes' first half, which holds no state of the run and may run on another thread (`replay
   * --threads 2`, cli/replay-workers.ts): the gunzip and record-list scan of a file, as plain data, and
   * what its gunzip spent of the input's budget. ingestPredecoded on it does what ingestBytes does.
   */
  predecode(bytes: Uint8Array): Predecoded {
    const budget = this.newBudget();
    const input = predecodeInput(bytes, this.decodeOptions(budget));
    return { input, spent: budget.spent };
  }

  /**
   * ingestBytes' second half, for what predecode (here or on another thread) gave for a file. A spare
   * buffer its bytes lie in goes to `release` afterwards (default: this thread's spares).
   */
  async ingestPredecoded(
    predecoded: Predecoded,
    name: string,
    release: (input: PredecodedInput) => void = releasePredecoded,
  ): Promise<void> {
    const budget = this.newBudget();
    budget.spent = Math.min(predecoded.spent, budget.limit);
    try {
      await this.ingestPieces(decodePredecoded(predecoded.input, name), budget, true);
    } finally {
      release(predecoded.input);
    }
  }

  private decodeOptions(budget: InflationBudget): DecodeOptions {
    return {
      budget,
      spareOutput: this.options.reuseBuffers === true,
      recordListsFrom: this.options.recordListBytes ?? RECORD_LIST_BYTES,
      skimKeys: this.prefilter?.keys,
    };
  }

  private async ingestPieces(pieces: Iterable<DecodedPiece>, budget: InflationBudget, allowFetch: boolean) {
    for (const piece of pieces) {
      if (piece.type === 'rejected') this.reject(piece);
      else if (piece.type === 'recordList' && this.parseWhole(piece.list))
        await this.ingestDocument(
          JSON.parse(piece.list.data.toString('utf8')),
          piece.list.position,
          budget,
          allowFetch,
        );
      else if (piece.type === 'recordList') await this.ingestRecordList(piece.list, budget, allowFetch);
      else await this.ingestDocument(piece.value, piece.position, budget, allowFetch);
    }
    this.stats.inflated += budget.spent;
    if (this.outcome) this.outcome.inflated += budget.spent;
    if (allowFetch) this.throwFetchFailures();
  }

  /**
   * A list read one element at a time only for the prefilter (below RECORD_LIST_BYTES) that it does not
   * skim, or whose elements are tiny (`{"Records":[1,1,…]}`, no real record is under 128 bytes) is parsed whole as before: skipping
   * cannot pay there, and a JSON.parse per element would cost several times the one parse. The scan has
   * validated the text, so this parse does not throw; the document is the one decodeDocuments would give.
   */
  private parseWhole(list: RecordList): boolean {
    if (this.options.recordListBytes !== undefined || list.data.length >= RECORD_LIST_BYTES) return false;
    // A list kind the prefilter does not skim (unauthorized-api's CTS traces) gains nothing either.
    if (!list.skim) return true;
    return list.count > 0 && list.data.length / list.count < 128;
  }

  private newBudget(): InflationBudget {
    return createInflationBudget(this.options.maxDecompressedBytes);
  }

  /** One document: its items are handled as they are unwrapped; the S3 objects it names are fetched after. */
  private async ingestDocument(
    value: unknown,
    position: string,
    budget: InflationBudget,
    allowFetch: boolean,
  ): Promise<void> {
    const fetches: FetchItem[] = [];
    unwrapEnvelopeTo(value, position, this.itemSink(budget, fetches));
    for (const item of fetches) await this.fetch(item, allowFetch);
  }

  private itemSink(budget: InflationBudget, fetches: FetchItem[]): ItemSink {
    return {
      budget,
      push: (item) => {
        if (item.type === 'record') this.ingestRecord(item.kind, item.record, item.position);
        else if (item.type === 'rejected')
          this.reject({ position: item.position, reason: item.reason, recordId: item.recordId });
        else if (item.type === 'skipped')
          this.skip({ position: item.position, reason: item.reason, label: item.label });
        else fetches.push(item);
      },
    };
  }

  /**
   * A big log file one record at a time: the same items in the same order as unwrapping the whole
   * document, but only one record is parsed at a time, so memory stays near the size of the file.
   */
  private async ingestRecordList(list: RecordList, budget: InflationBudget, allowFetch: boolean): Promise<void> {
    const fetches: FetchItem[] = [];
    const sink = this.itemSink(budget, fetches);
    if (list.count === 0) sink.push(emptyListItem(list.key, list.position));
    const unwrapElement = listElementUnwrapper(list.key, list.position, sink);
    const skim = list.skim;
    const skippable = skim && this.prefilter ? this.prefilter.forList(list.key, skim) : undefined;
    for (let i = 0; i < list.count; i++) {
      const idAt = skippable && skim ? skippable(i) : -1;
      if (idAt >= 0 && skim) {
        this.countUnparsed(skim.data, skim.fields[idAt], skim.fields[idAt + 1]);
        continue;
      }
      let element: unknown;
      try {
        element = list.at(i);
      } catch (error) {
        // Cannot happen (the whole document was validated before); if it did, lose one record, not the file.
        this.reject({ position: `${list.position}#${list.key}[${i}]`, reason: `invalid JSON: ${errorMessage(error)}` });
        continue;
      }
      unwrapElement(element, i);
    }
    // Almost never: a list element that is an S3 notification. Fetched after the list, as ingestDocument
    // does, so the order of findings and rejections is the same whichever reader read the file.
    for (const item of fetches) await this.fetch(item, allowFetch);
  }

  private throwFetchFailures(): void {
    const failures = this.fetchFailures.splice(0);
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1)
      throw new FetchError(`${failures.length} objects could not be fetched; first: ${failures[0].message}`, true, {
        cause: failures[0],
      });
  }

  private async fetch(item: FetchItem, allowFetch: boolean): Promise<void> {
    if (this.outcome) {
      this.outcome.codes.push(OUTCOME_FETCH);
      this.outcome.payloads.push(item);
      return;
    }
    const where = `s3://${item.bucket}/${item.key}`;
    if (!allowFetch) {
      this.reject({
        position: item.position,
        reason: `refusing to follow a reference to ${where} found inside a fetched object`,
      });
      return;
    }
    if (!this.options.fetchObject) {
      if (this.options.unfetchedHint !== undefined)
        this.skip({
          position: item.position,
          reason: `points at ${where}; ${this.options.unfetchedHint}`,
          label: 'unfetched',
        });
      else
        this.reject({
          position: item.position,
          reason: `${where} needs fetching but no object store is configured (replay the log file itself instead)`,
        });
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.options.fetchObject(item.bucket, item.key, item.region);
    } catch (error) {
      // A missing object will not appear on retry; anything else (throttling, network) might.
      if (error instanceof FetchError && !error.retryable) {
        this.reject({ position: item.position, reason: `could not fetch ${where}: ${error.message}` });
        return;
      }
      this.fetchFailures.push(
        error instanceof FetchError
          ? error
          : new FetchError(`could not fetch ${where}: ${errorMessage(error)}`, true, { cause: error }),
      );
      return;
    }
    this.stats.fetched += 1;
    await this.ingestBytes(bytes, where, false);
  }

  /**
   * A record the prefilter showed to normalize with the id `data[start, end)` and to give no finding:
   * counted exactly as ingestRecord counts such a record (a record, and a duplicate when its id was seen
   * before). No id string is built for a canonical UUID id.
   */
  private countUnparsed(data: Buffer, start: number, end: number): void {
    if (this.outcome) {
      this.outcome.codes.push(OUTCOME_RECORD);
      this.outcomeIds.pushBytes(data, start, end);
    } else this.counted(this.seenEventIds.addBytes(data, start, end));
  }

  /** Exposed for the streaming reader of huge log files, which yields records one by one. */
  ingestRecord(kind: Parameters<typeof normalizeRecord>[0], record: unknown, position: string): void {
    let event: TraceEvent;
    try {
      event = normalizeRecord(kind, record);
      validateTraceEvent(event);
    } catch (error) {
      const recordId = error instanceof InvalidEventError ? error.recordId : undefined;
      this.reject({ position, reason: errorMessage(error), recordId });
      return;
    }
    if (!this.outcome) {
      if (this.counted(this.seenEventIds.add(event.id))) this.keep(this.detect(event, position));
      return;
    }
    const detected = this.detect(event, position);
    const none = Array.isArray(detected) && detected.length === 0;
    this.outcome.codes.push(none ? OUTCOME_RECORD : Array.isArray(detected) ? OUTCOME_FINDINGS : OUTCOME_DETECT_FAILED);
    this.outcomeIds.push(event.id);
    if (!none) this.outcome.payloads.push(detected);
  }

  /** The detector's findings for one event, or the rejection when it threw. */
  private detect(event: TraceEvent, position: string): Detected {
    try {
      return this.detector.detect(event, this.config);
    } catch (error) {
      return { position, reason: `detector failed: ${errorMessage(error)}`, recordId: event.id };
    }
  }

  /**
   * Counts a record whose id was new (true: a first sighting, the detector runs for those only) or seen
   * before (false, a duplicate); gives `isNew` back.
   */
  private counted(isNew: boolean): boolean {
    this.stats.records += 1;
    if (!isNew) this.stats.duplicates += 1;
    return isNew;
  }

  /** A first sighting's detection: its findings kept (after suppression), or its rejection. */
  private keep(detected: Detected): void {
    if (!Array.isArray(detected)) {
      this.reject(detected);
      return;
    }
    let findings = detected;
    if (findings.length === 0) return;
    if (this.options.suppress) {
      const kept = this.options.suppress(findings);
      this.stats.suppressed += findings.length - kept.length;
      if (kept.length === 0) return;
      findings = kept;
    }
    this.options.onFindings?.(findings);
    for (const finding of findings) this.addFinding(finding);
  }

  private addFinding(finding: Finding): void {
    this.stats.findings += 1;
    const group = this.groupsByKey.get(finding.groupKey);
    if (group) {
      group.count += 1;
      if (group.eventIds.length < KEPT_EVENT_IDS) group.eventIds.push(finding.event.id);
      return;
    }
    this.groupsByKey.set(finding.groupKey, {
      rule: finding.rule,
      severity: finding.severity,
      groupKey: finding.groupKey,
      first: finding.event,
      eventIds: [finding.event.id],
      count: 1,
    });
  }

  private reject(input: RejectedInput): void {
    if (this.outcome) {
      // The run that replays this keeps the first REPORTED_IN_FULL over all inputs: no more can come from one.
      this.outcome.codes.push(OUTCOME_REJECTED);
      this.outcome.payloads.push(++this.outcomeRejected <= REPORTED_IN_FULL ? input : { position: '', reason: '' });
      return;
    }
    this.stats.rejected += 1;
    if (this.stats.rejections.length >= REPORTED_IN_FULL) return;
    // Reasons quote attacker-chosen text; a megabyte of it must not become a megabyte log line.
    const rejected: RejectedInput = { position: clip(input.position), reason: clip(input.reason) };
    if (input.recordId !== undefined) rejected.recordId = clip(input.recordId, MAX_REPORTED_ID);
    this.stats.rejections.push(rejected);
    this.options.onRejected?.(rejected);
  }

  private skip(input: SkippedInput): void {
    if (this.outcome) {
      this.outcome.codes.push(OUTCOME_SKIPPED);
      this.outcome.payloads.push(
        ++this.outcomeSkipped <= REPORTED_IN_FULL ? input : { position: '', reason: '', label: input.label },
      );
      return;
    }
    this.stats.skipped += 1;
    const label = input.label ?? 'other';
    this.stats.skippedByLabel[label] = (this.stats.skippedByLabel[label] ?? 0) + 1;
    if (this.stats.skips.length >= REPORTED_IN_FULL) return;
    const skipped: SkippedInput = { position: clip(input.position), reason: clip(input.reason) };
    if (input.label !== undefined) skipped.label = input.label;
    this.stats.skips.push(skipped);
  }

  groups(): FindingGroup[] {
    return [...this.groupsByKey.values()];
  }

  /** One alert per finding group, in first-seen order. */
  alerts(): Alert[] {
    return this.groups().map((group) => buildAlert(this.detector, this.config, group));
  }
}

/**
 * Compiled prefilters by config object: a config is loaded once per instance and used by every invocation,
 * and reading a prefilter off a config (unauthorized-api parses its filter patterns) is not free. Holds
 * nothing of any invocation; a config that is garbage takes its entry with it.
 */
const PREFILTERS = new WeakMap<object, Map<string, ListPrefilter | undefined>>();

function prefilterFor<Config>(detector: Detector<Config>, config: Config): ListPrefilter | undefined {
  if (!detector.prefilter) return undefined;
  if (typeof config !== 'object' || config === null) return compilePrefilter(detector.prefilter(config));
  let byDetector = PREFILTERS.get(config);
  if (!byDetector) PREFILTERS.set(config, (byDetector = new Map()));
  if (!byDetector.has(detector.name)) byDetector.set(detector.name, compilePrefilter(detector.prefilter(config)));
  return byDetector.get(detector.name);
}

export function buildAlert<Config>(detector: Detector<Config>, config: Config, group: FindingGroup): Alert {
  const { subject, message } = detector.describe(group, config);
  const keys = [group.first.actor.accessKeyId];
  return {
    function: detector.name,
    rule: group.rule,
    severity: group.severity,
    // Every detector's subject is made safe here again: one unsafe subject fails the whole SNS publish.
    subject: safeSubject(maskAccessKeyIds(subject, keys)),
    message: capMessage(maskAccessKeyIds(message, keys)),
    event: maskEventAccessKeys(group.first),
    eventIds: group.eventIds,
    count: group.count,
    dedupId: digestText('sha256', `${detector.name}\u0000${group.rule}\u0000${group.eventIds.join('\u0000')}`, 'hex'),
    ...enrichmentOf(group.first),
  };
}

/** The enrichment stage's findings (shared/enrich) as the Alert carries them: `geo`, `accountName`, when known. */
function enrichmentOf(event: TraceEvent): Pick<Alert, 'geo' | 'accountName'> {
  const out: Pick<Alert, 'geo' | 'accountName'> = {};
  if (event.geo) out.geo = { ...event.geo };
  if (event.accountName !== undefined) out.accountName = event.accountName;
  return out;
}

/** The alert's copy of the event shows access key ids masked, like the alert text. */
function maskEventAccessKeys(event: TraceEvent): PrintableEvent {
  const keys = [event.actor.accessKeyId];
  // Without the raw record, and without the enrichment, which the alert carries itself (alert.geo,
  // alert.accountName): its event stays the normalized one. Left out here rather than deleted from the
  // copy, which would turn the copy into a slow dictionary object for everything after (JSON.stringify).
  const { raw: _raw, geo: _geo, accountName: _accountName, ...printable } = event;
  // A validated event is plain data, copied directly (the round trip ran per alert and was most of an
  // alert's cost); anything else takes the JSON round trip.
  const masked = copyAsJson<PrintableEvent>(printable, (value) => maskAccessKeyIds(value, keys));
  if (masked.actor.accessKeyId !== undefined)
    masked.actor.accessKeyId = maskAccessKey(event.actor.accessKeyId as string);
  return masked;
}
