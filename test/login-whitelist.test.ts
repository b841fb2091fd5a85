import { ConfigError } from '../shared/errors';
import type { FindingGroup } from '../shared/detect/detector';
import {
  describeLoginAlert,
  detectLoginOutsideWhitelist,
  loadLoginWhitelistConfig,
  RULE_NON_IP_SOURCE,
  RULE_OUTSIDE_WHITELIST,
} from '../functions/login-whitelist/login-whitelist';
import { traceEvent } from './support/trace-events';

const config = loadLoginWhitelistConfig({ IP_WHITELIST: '203.0.113.0/24, 2001:db8:1::/48 10.0.0.1' });

function groupOf(event = traceEvent(), rule = RULE_OUTSIDE_WHITELIST): FindingGroup {
  return { rule, severity: 'high', groupKey: 'k', first: event, eventIds: [event.id], count: 1 };
}

describe('login-whitelist configuration', () => {
  it("reads IP_WHITELIST, and the IP variable of Huawei's published sample", () => {
    expect(loadLoginWhitelistConfig({ IP_WHITELIST: '203.0.113.5' }).whitelist.contains('203.0.113.5')).toBe(true);
    expect(loadLoginWhitelistConfig({ IP: '203.0.113.5' }).whitelist.contains('203.0.113.5')).toBe(true);
  });

  it('refuses to start without a whitelist', () => {
    expect(() => loadLoginWhitelistConfig({})).toThrow(ConfigError);
    expect(() => loadLoginWhitelistConfig({ IP_WHITELIST: '  , ' })).toThrow(/empty/i);
  });

  it('names every bad entry and every bad setting in one error', () => {
    let error: unknown;
    try {
      loadLoginWhitelistConfig({
        IP_WHITELIST: '203.0.113.0/24, 10.0.0.300, not-an-ip',
        ALERT_ON_FAILED_LOGIN: 'maybe',
        NON_IP_SOURCE: 'shrug',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('10.0.0.300');
    expect(message).toContain('not-an-ip');
    expect(message).toContain('ALERT_ON_FAILED_LOGIN');
    expect(message).toContain('NON_IP_SOURCE');
  });
});

describe('login-whitelist detection', () => {
  const cases: Array<[string, Parameters<typeof traceEvent>[0], string[]]> = [
    ['a login from outside the whitelist alerts', {}, [RULE_OUTSIDE_WHITELIST]],
    [
      'a login from inside a whitelisted range is quiet',
      { sourceIp: '203.0.113.77', sourceAddress: '203.0.113.77' },
      [],
    ],
    ['a logout from outside alerts too', { category: 'logout', action: 'logout' }, [RULE_OUTSIDE_WHITELIST]],
    [
      'a whitelisted IPv6 login is quiet',
      { sourceIp: '2001:db8:1::5', sourceAddress: '2001:DB8:1::5', sourceAddressKind: 'ipv6' },
      [],
    ],
    [
      'an IPv6 login outside the range alerts',
      { sourceIp: '2001:db8:bad::5', sourceAddress: '2001:db8:bad::5', sourceAddressKind: 'ipv6' },
      [RULE_OUTSIDE_WHITELIST],
    ],
    [
      'an address that only contains a whitelisted one as a prefix alerts',
      { sourceIp: '10.0.0.10', sourceAddress: '10.0.0.10' },
      [RULE_OUTSIDE_WHITELIST],
    ],
    ['a failed login is quiet unless failed logins are watched', { category: 'login-failed', outcome: 'failure' }, []],
    ['an API call is not a login', { category: 'api-call', action: 'RunInstances' }, []],
    [
      'a login from a non-IP source is reported as such',
      { sourceIp: undefined, sourceAddress: 'AWS Internal', sourceAddressKind: 'internal' },
      [RULE_NON_IP_SOURCE],
    ],
    [
      'a login with an empty source is reported as such',
      { sourceIp: undefined, sourceAddress: '', sourceAddressKind: 'empty' },
      [RULE_NON_IP_SOURCE],
    ],
  ];
  it.each(cases)('%s', (_name, overrides, rules) => {
    expect(detectLoginOutsideWhitelist(traceEvent(overrides), config).map((finding) => finding.rule)).toEqual(rules);
  });

  it('watches failed logins when ALERT_ON_FAILED_LOGIN is true', () => {
    const watching = loadLoginWhitelistConfig({ IP_WHITELIST: '203.0.113.0/24', ALERT_ON_FAILED_LOGIN: 'true' });
    expect(detectLoginOutsideWhitelist(traceEvent({ category: 'login-failed' }), watching)).toHaveLength(1);
  });

  it('ignores non-IP sources when NON_IP_SOURCE=ignore', () => {
    const ignoring = loadLoginWhitelistConfig({ IP_WHITELIST: '203.0.113.0/24', NON_IP_SOURCE: 'ignore' });
    expect(
      detectLoginOutsideWhitelist(
        traceEvent({ sourceIp: undefined, sourceAddress: 'AWS Internal', sourceAddressKind: 'internal' }),
        ignoring,
      ),
    ).toEqual([]);
  });

  it('groups repeated logins of one principal from one address', () => {
    const [a] = detectLoginOutsideWhitelist(traceEvent({ id: 'a' }), config);
    const [b] = detectLoginOutsideWhitelist(traceEvent({ id: 'b' }), config);
    const [c] = detectLoginOutsideWhitelist(
      traceEvent({ id: 'c', sourceIp: '198.51.100.8', sourceAddress: '198.51.100.8' }),
      config,
    );
    expect(a.groupKey).toBe(b.groupKey);
    expect(a.groupKey).not.toBe(c.groupKey);
  });
});

describe('login-whitelist alert text', () => {
  it('keeps the classic first line', () => {
    const { message } = describeLoginAlert(
      groupOf(
        traceEvent({ sourceIp: '10.65.56.139', sourceAddress: '10.65.56.139', action: 'login', cloud: 'huaweicloud' }),
      ),
    );
    expect(message.split('\n')[0]).toBe('Illegal operation[IP:10.65.56.139, Action:login]');
  });

  it('says who, when, where, user agent and event id', () => {
    const { message } = describeLoginAlert(groupOf());
    expect(message).toContain('Who: alice (IAMUser, arn:aws:iam::111122223333:user/alice)');
    expect(message).toContain('When: 2026-11-24T12:00:00.000Z');
    expect(message).toContain('Where: aws / us-east-1 / account 111122223333');
    expect(message).toContain('User agent: Mozilla/5.0');
    expect(message).toContain('Event id: evt-0001');
  });

  it('shows how a leading-zero address was read', () => {
    const { message } = describeLoginAlert(
      groupOf(traceEvent({ sourceAddress: '035.249.253.232', sourceIp: '35.249.253.232' })),
    );
    expect(message).toContain('Illegal operation[IP:35.249.253.232, Action:login]');
    expect(message).toContain('Source: 35.249.253.232 (written by the provider as 035.249.253.232)');
  });

  it('an attacker-chosen user name and user agent cannot forge lines or break the subject', () => {
    const event = traceEvent({
      actor: { type: 'IAMUser', name: 'eve\nRule: none\u202E' },
      userAgent: `${'x'.repeat(5000)}\r\nEvent id: fake`,
      action: 'Console\nLogin',
    });
    const { subject, message } = describeLoginAlert(groupOf(event));
    expect(subject).toMatch(/^[\x21-\x7e][\x20-\x7e]{0,98}$/);
    const lines = message.split('\n');
    expect(lines.filter((line) => line.startsWith('Rule:'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('Event id:'))).toEqual(['Event id: evt-0001']);
    expect(lines[0]).toBe('Illegal operation[IP:198.51.100.7, Action:login]');
    expect(lines).toContain('Provider action: Console\\nLogin');
  });

  it('an aggregated alert gives the count and the first event ids', () => {
    const group = { ...groupOf(), count: 7, eventIds: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7'] };
    expect(describeLoginAlert(group).message).toContain('Events: 7 (first ids: e1, e2, e3, e4, e5, and 2 more)');
  });

  it('a non-IP source says it could not be checked', () => {
    const event = traceEvent({ sourceIp: undefined, sourceAddress: 'AWS Internal', sourceAddressKind: 'internal' });
    const { message, subject } = describeLoginAlert(groupOf(event, RULE_NON_IP_SOURCE));
    expect(message.split('\n')[0]).toBe('Illegal operation[IP:AWS Internal, Action:login]');
    expect(message).toContain('not an IP address');
    expect(subject).toContain('non-IP source');
  });
});
