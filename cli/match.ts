/**
 * `trailguard match '<pattern>' [file]`: CloudWatch's TestMetricFilter, offline. Each input line is one
 * log event message (JSON or not), or, in the AWS CLI's form, each `--log-event-messages` argument is
 * (so a message may hold a line break). Prints `true` or `false` per message, or with `--output json`
 * TestMetricFilter's response, `{"matches": [...]}`. Exit 2 with the error and its column on an invalid
 * pattern.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Command, Option } from 'commander';
import { ConfigError } from '../shared/errors';
import { type CompiledPattern, compileFilterPattern, FilterPatternError } from '../shared/detect/filter-pattern';
import { extractValues } from '../shared/detect/filter-pattern/extract-values';
import type { CliCommand } from './command';
import type { CliIo } from './io';

interface MatchOptions {
  logEventMessages?: string[];
  output: 'text' | 'json';
}

/** One element of TestMetricFilter's `matches`: eventNumber is 1-based, in input order. */
interface MetricFilterMatchRecord {
  eventNumber: number;
  eventMessage: string;
  extractedValues: Record<string, string>;
}

const REPLAY_HINT =
  "to run a pattern over whole trail files, use `FILTER_PATTERN='<pattern>' trailguard replay unauthorized-api <file>`, or `--rules <set or rule id>` for the built-in ones";

/**
 * Looks at what match is given for signs that it is not one log event per line: gzip bytes, a JSON
 * document spread over lines (a pretty-printed sample), a whole CloudTrail log file on one line. Warns
 * once, on stderr; the output stays what TestMetricFilter would answer for those lines.
 */
class InputShapeCheck {
  private warned = false;
  private sawContent = false;

  constructor(
    private readonly source: string,
    private readonly io: CliIo,
  ) {}

  firstBytes(chunk: Buffer): void {
    if (chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b)
      this.warn(`${this.source} is gzip-compressed: match reads text, one log event per line; ${REPLAY_HINT}`);
  }

  line(text: string, lineNumber: number): void {
    if (this.warned || this.sawContent) return;
    const trimmed = text.trim();
    if (trimmed === '') return;
    this.sawContent = true;
    if (trimmed[0] !== '{' && trimmed[0] !== '[') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      this.warn(
        `${this.source}: line ${lineNumber} starts a JSON document that spans several lines, but match tests each line as one log event; ${REPLAY_HINT}`,
      );
      return;
    }
    if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { Records?: unknown }).Records))
      this.warn(
        `${this.source}: line ${lineNumber} is a whole CloudTrail log file ({"Records": [...]}), tested as one log event, not record by record; ${REPLAY_HINT}`,
      );
  }

  private warn(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.io.err(`warning: ${message}`);
  }
}

/** Lines of a byte stream, UTF-8, without their `\n` or `\r\n`; a last line without a line end counts. */
async function* readLines(input: NodeJS.ReadableStream, onFirstChunk: (chunk: Buffer) => void): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let first = true;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    if (first) {
      first = false;
      onFirstChunk(bytes);
    }
    const text = rest + decoder.write(bytes);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end);
      start = end + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

async function openInput(file: string | undefined, io: CliIo): Promise<NodeJS.ReadableStream> {
  if (file === undefined || file === '-') return io.stdin ?? process.stdin;
  const stream = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

/** Tests every message, writing `true`/`false` as it goes (text) or collecting the matches (json). */
async function testMessages(
  compiled: CompiledPattern,
  messages: AsyncIterable<string> | Iterable<string>,
  options: MatchOptions,
  io: CliIo,
  onMessage: (message: string, eventNumber: number) => void = () => undefined,
): Promise<void> {
  const matches: MetricFilterMatchRecord[] = [];
  let eventNumber = 0;
  for await (const message of messages) {
    // The reader of stdout has gone (`| head -3`): stop reading, end quietly.
    if (io.outClosed?.()) return;
    eventNumber += 1;
    onMessage(message, eventNumber);
    const matched = compiled.matchesMessage(message);
    if (options.output === 'text') {
      io.out(matched ? 'true' : 'false');
      const draining = io.drain?.();
      if (draining) await draining;
    } else if (matched)
      matches.push({
        eventNumber,
        eventMessage: message,
        extractedValues: extractValues(compiled.source, message),
      });
  }
  // The AWS CLI's layout of the same response (four-space indent).
  if (options.output === 'json') io.out(JSON.stringify({ matches }, null, 4));
}

async function runMatch(args: readonly unknown[], options: MatchOptions, io: CliIo): Promise<number> {
  const [pattern, file] = args as [string, string | undefined];
  // A bad pattern is a usage error (exit 2) whatever the input: compile before opening anything.
  let compiled: CompiledPattern;
  try {
    compiled = compileFilterPattern(pattern);
  } catch (error) {
    if (error instanceof FilterPatternError) return patternError(pattern, error, io);
    throw error;
  }
  if (options.logEventMessages !== undefined) {
    if (file !== undefined) throw new ConfigError('match takes either a file or --log-event-messages, not both');
    await testMessages(compiled, options.logEventMessages, options, io);
    return 0;
  }
  const source = file === undefined || file === '-' ? 'stdin' : file;
  let input: NodeJS.ReadableStream;
  try {
    input = await openInput(file, io);
  } catch (error) {
    io.err(`error: ${file}: ${(error as Error).message}`);
    return 1;
  }
  if (source === 'stdin' && (input as { isTTY?: boolean }).isTTY)
    io.err(
      'reading log events from the terminal, one per line; Ctrl-D ends (a file name, or --log-event-messages, is quicker)',
    );
  const shape = new InputShapeCheck(source, io);
  await testMessages(
    compiled,
    readLines(input, (chunk) => shape.firstBytes(chunk)),
    options,
    io,
    (message, lineNumber) => shape.line(message, lineNumber),
  );
  return 0;
}

function patternError(pattern: string, error: FilterPatternError, io: CliIo): number {
  io.err(`error: invalid filter pattern at column ${error.column}: ${error.message}`);
  io.err(`  ${pattern}`);
  io.err(`  ${' '.repeat(Math.max(0, error.column - 1))}^`);
  return 2;
}

const MATCH_HELP_AFTER = `
Reads log events one per line from the file or stdin, or takes them from --log-event-messages (the
AWS CLI's form: each argument is one message, line breaks included), and prints true or false for
each, as CloudWatch Logs' TestMetricFilter does. With --output json it prints TestMetricFilter's
response instead: {"matches": [{"eventNumber", "eventMessage", "extractedValues"}]}, matching events
only, numbered from 1.

A pattern that starts with '-' goes after '--': trailguard match -- '-timeout' app.log

Exit codes: 0 ran fine (matches or not), 2 invalid pattern or usage error (the pattern's column is
shown), 1 the file could not be read.

Examples:
  trailguard match '{ $.errorCode = "AccessDenied*" }' events/log-events.txt
  trailguard match '{ $.errorCode = "AccessDenied*" }' --log-event-messages '{"errorCode":"AccessDenied"}' 'plain text'`;

export const matchCommand: CliCommand = {
  define: () =>
    new Command('match')
      .description('test a CloudWatch Logs filter pattern against log events, as TestMetricFilter does')
      .argument('<pattern>', 'the filter pattern (quote it)')
      .argument('[file]', 'log events, one per line (default: stdin; - too)')
      .option('--log-event-messages <message...>', 'the messages to test instead of a file, one per argument')
      .addOption(
        new Option('--output <format>', "text: true/false per message; json: TestMetricFilter's response")
          .choices(['text', 'json'])
          .default('text'),
      )
      .addHelpText('after', MATCH_HELP_AFTER),
  run: (args, options, io) => runMatch(args, options as unknown as MatchOptions, io),
};
