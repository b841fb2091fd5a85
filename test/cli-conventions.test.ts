/** Conventions every trailguard command shares (commander): help, version, strict options, exit codes. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, main } from '../cli/main';
import { version } from '../package.json';
import { captureIo } from './support/cli-io';
import { EVENTS_DIR } from './support/fixtures';

const ENV = { IP_WHITELIST: '203.0.113.0/24' };
const LOGIN = join(EVENTS_DIR, 'huaweicloud', 'cts-login-outside-ip.json');
const COMMAND_NAMES = COMMANDS.map((command) => command.define().name());

describe('every command', () => {
  it('is listed by trailguard --help', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const name of COMMAND_NAMES) expect(io.stdout.join('\n')).toContain(name);
  });

  it.each(
    COMMAND_NAMES.flatMap((name) => [
      [name, '-h'],
      [name, '--help'],
    ]),
  )('%s %s prints its usage on stdout and exits 0, reading nothing', async (name, flag) => {
    const io = captureIo(ENV);
    expect(await main([name, flag], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(new RegExp(`^Usage: trailguard ${name} `));
    expect(io.stderr).toEqual([]);
  });

  it.each(COMMAND_NAMES)('help %s prints the same usage', async (name) => {
    const io = captureIo(ENV);
    expect(await main(['help', name], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(new RegExp(`^Usage: trailguard ${name} `));
  });

  it.each([[[]], ...COMMAND_NAMES.map((name) => [[name]])])(
    '%j --version prints package.json version',
    async (prefix) => {
      const io = captureIo();
      expect(await main([...prefix, '--version'], io)).toBe(0);
      expect(io.stdout).toEqual([version]);
    },
  );

  it.each(COMMAND_NAMES)('%s rejects an unknown option with exit 2 and a pointer to its help', async (name) => {
    const io = captureIo(ENV);
    expect(await main([name, 'login-whitelist', '--no-such-option'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain("error: unknown option '--no-such-option'");
    expect(io.stderr.join('\n')).toContain(`trailguard ${name} --help`);
    expect(io.stdout).toEqual([]);
  });
});

describe('the parser', () => {
  it('exits 2 with the help on stderr when no command is given', async () => {
    const io = captureIo();
    expect(await main([], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('Usage: trailguard');
  });

  it('exits 2 on an unknown command, suggesting the close one', async () => {
    const io = captureIo();
    expect(await main(['replya'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/unknown command 'replya'[\s\S]*replay/);
  });

  it('reads -json as an unknown option (not a file name) and hints at --json', async () => {
    const io = captureIo(ENV);
    expect(await main(['replay', 'login-whitelist', LOGIN, '-json'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/unknown option '-json'[\s\S]*did you mean --json\?/);
    expect(io.stdout).toEqual([]);
  });

  it("says that a pattern starting with '-' goes after --", async () => {
    const io = captureIo();
    expect(await main(['match', '-timeout', 'app.log'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain("goes after '--', e.g. trailguard match -- '-timeout' app.log");
  });

  it("rejects match '<p>' --quiet instead of opening a file called --quiet", async () => {
    const io = captureIo();
    expect(await main(['match', 'ERROR', '--quiet'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain("unknown option '--quiet'");
  });

  it('rejects excess arguments (match takes one file)', async () => {
    const io = captureIo();
    expect(await main(['match', 'ERROR', 'a.log', 'b.log'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/too many arguments/);
  });

  it('rejects a missing argument', async () => {
    const io = captureIo(ENV);
    expect(await main(['replay', 'login-whitelist'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain("missing required argument 'path'");
  });

  it('rejects a value outside the choices of --sink', async () => {
    const io = captureIo(ENV);
    expect(await main(['replay', 'login-whitelist', LOGIN, '--sink', 'sqs'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/Allowed choices are sns, smn/);
  });

  it('takes what follows -- as arguments, so a file or a pattern may start with -', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trailguard-'));
    const file = join(dir, '-login.json');
    writeFileSync(file, JSON.stringify(require('../events/huaweicloud/cts-login-outside-ip.json')));
    const replayed = captureIo(ENV);
    process.chdir(dir);
    try {
      expect(await main(['replay', 'login-whitelist', '--json', '--', '-login.json'], replayed)).toBe(0);
    } finally {
      process.chdir(join(__dirname, '..'));
    }
    expect(replayed.stdout).toHaveLength(1);
    const matched = captureIo();
    expect(await main(['match', '--log-event-messages', 'a timeout', 'ok', '--', '-timeout'], matched)).toBe(0);
    expect(matched.stdout).toEqual(['false', 'true']);
  });

  it('accepts options before, between and after the arguments', async () => {
    const io = captureIo(ENV);
    expect(await main(['replay', '--quiet', 'login-whitelist', '--json', LOGIN], io)).toBe(0);
    expect(io.stdout).toHaveLength(1);
    expect(io.stderr).toEqual([]);
  });

  it.each(['--endpoint', '--topic', '--region'])('warns that replay %s does nothing without --sink', async (flag) => {
    const io = captureIo(ENV);
    expect(await main(['replay', 'login-whitelist', LOGIN, '--quiet', flag, 'x'], io)).toBe(0);
    expect(io.stderr).toEqual([`warning: ${flag} has no effect without --sink (replay publishes nothing)`]);
  });
});
