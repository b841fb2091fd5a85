import { censorKeys, createLogger, redactText } from '../shared/platform/logger';

describe('log redaction', () => {
  it('censors credential keys at any of the first levels, whatever their case', () => {
    const logged = censorKeys({
      token: 't',
      nested: { SecretKey: 's', headers: { 'X-Auth-Token': 'x', accept: 'json' } },
      ok: 1,
    });
    expect(logged).toEqual({
      token: '[REDACTED]',
      nested: { SecretKey: '[REDACTED]', headers: { 'X-Auth-Token': '[REDACTED]', accept: 'json' } },
      ok: 1,
    });
  });

  it('leaves an object without credentials as it is (no copy)', () => {
    const object = { rule: 'r', eventId: 'e', nested: { count: 2 } };
    expect(censorKeys(object)).toBe(object);
  });

  it('masks access key ids in free text', () => {
    expect(redactText('key AKIAIOSFODNN7EXAMPLE used, %20ASIAIOSFODNN7EXAMPLE too')).toBe(
      'key AKIA…REDACTED used, %20ASIA…REDACTED too',
    );
  });

  it("a logger line carries neither censored keys nor the process's own secrets", () => {
    const lines: string[] = [];
    const log = createLogger(
      { level: 'info', secrets: ['super-secret-session-token'] },
      { write: (line: string) => void lines.push(line) },
    );
    log.info(
      { context: { sessionToken: 'abc' }, note: 'token super-secret-session-token here' },
      'with AKIAIOSFODNN7EXAMPLE',
    );
    expect(lines.join('')).not.toMatch(/abc|super-secret-session-token|AKIAIOSFODNN7EXAMPLE/);
  });
});
