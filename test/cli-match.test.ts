/** `trailguard match`: TestMetricFilter's two input forms, its JSON response, and the input-shape warnings. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { main } from '../cli/main';
import { captureIo } from './support/cli-io';
import { EVENTS_DIR } from './support/fixtures';

const DENIED = '{ $.errorCode = "AccessDenied*" }';

function tempFile(name: string, content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trailguard-match-')), name);
  writeFileSync(path, content);
  return path;
}

describe('match --log-event-messages (the AWS CLI form)', () => {
  it('tests each argument as one message, line breaks included', async () => {
    const io = captureIo();
    const messages = ['{"errorCode": "AccessDenied"}', '{\n  "errorCode": "AccessDenied"\n}', 'plain'];
    expect(await main(['match', DENIED, '--log-event-messages', ...messages], io)).toBe(0);
    expect(io.stdout).toEqual(['true', 'true', 'false']);
    expect(io.stderr).toEqual([]);
  });

  it('refuses a file and messages together', async () => {
    const io = captureIo();
    expect(await main(['match', DENIED, 'file.log', '--log-event-messages', 'x'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('either a file or --log-event-messages');
  });
});

describe('match --output json', () => {
  it("prints TestMetricFilter's response: matching events only, numbered from 1", async () => {
    const io = captureIo();
    const messages = [
      '{"errorCode": "NoSuchKey"}',
      '{"errorCode": "AccessDenied"}',
      'x',
      '{"errorCode": "AccessDeniedException"}',
    ];
    expect(await main(['match', DENIED, '--output', 'json', '--log-event-messages', ...messages], io)).toBe(0);
    expect(JSON.parse(io.stdout.join('\n'))).toEqual({
      matches: [
        { eventNumber: 2, eventMessage: messages[1], extractedValues: {} },
        { eventNumber: 4, eventMessage: messages[3], extractedValues: {} },
      ],
    });
  });

  it('numbers the lines of a file the same way, and answers {"matches": []} when nothing matches', async () => {
    const file = tempFile('events.log', 'a\r\nERROR b\nc\nERROR d');
    const io = captureIo();
    expect(await main(['match', 'ERROR', file, '--output', 'json'], io)).toBe(0);
    expect(JSON.parse(io.stdout.join('\n')).matches.map((m: { eventNumber: number }) => m.eventNumber)).toEqual([2, 4]);
    const none = captureIo();
    expect(await main(['match', 'NOTHING', file, '--output', 'json'], none)).toBe(0);
    expect(JSON.parse(none.stdout.join('\n'))).toEqual({ matches: [] });
  });

  it('rejects an unknown output format', async () => {
    const io = captureIo();
    expect(await main(['match', DENIED, '--output', 'yaml', '--log-event-messages', 'x'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/Allowed choices are text, json/);
  });
});

describe('match on input that is not one event per line', () => {
  it.each([
    ['a pretty-printed JSON document', join(EVENTS_DIR, 'aws', 'cloudtrail-access-denied.json'), /spans several lines/],
    ['gzip bytes', join(EVENTS_DIR, 'aws', 'envelope-cloudtrail-log-file.json.gz'), /gzip-compressed/],
    [
      'a whole CloudTrail log file on one line',
      tempFile('trail.json', `${JSON.stringify({ Records: [{ errorCode: 'AccessDenied' }] })}\n`),
      /whole CloudTrail log file/,
    ],
  ])('warns once on stderr for %s, pointing to replay', async (_what, file, warning) => {
    const io = captureIo();
    expect(await main(['match', DENIED, file], io)).toBe(0);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(warning);
    expect(io.stderr[0]).toMatch(/^warning: .*trailguard replay unauthorized-api <file>.*--rules/);
    expect(io.stdout.length).toBeGreaterThan(0);
  });

  it('does not warn for one event per line, JSON or text, CRLF or not', async () => {
    const io = captureIo();
    expect(await main(['match', DENIED, join(EVENTS_DIR, 'log-events.txt')], io)).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(io.stdout).toEqual(['true', 'false', 'false', 'false']);
    const crlf = captureIo();
    expect(await main(['match', 'ERROR', tempFile('crlf.log', 'ERROR a\r\nb\r\n')], crlf)).toBe(0);
    expect(crlf.stdout).toEqual(['true', 'false']);
    expect(crlf.stderr).toEqual([]);
  });

  it('reads stdin when no file is given (and for -)', async () => {
    for (const args of [[], ['-']]) {
      const io = captureIo({}, { stdin: Readable.from([Buffer.from('ERROR x\nok\n')]) });
      expect(await main(['match', 'ERROR', ...args], io)).toBe(0);
      expect(io.stdout).toEqual(['true', 'false']);
    }
  });

  it('reports gzip on stdin too', async () => {
    const io = captureIo({}, { stdin: Readable.from([gzipSync('ERROR x\n')]) });
    expect(await main(['match', 'ERROR'], io)).toBe(0);
    expect(io.stderr[0]).toMatch(/^warning: stdin is gzip-compressed/);
  });

  it('exits 1 when the file cannot be read', async () => {
    const io = captureIo();
    expect(await main(['match', 'ERROR', '/no/such/file.log'], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/no\/such\/file\.log/);
  });
});
