import type { TraceEvent } from '../../shared/normalize/trace-event';

/** A valid normalized event for unit tests of detectors and alert text; override what the case is about. */
export function traceEvent(overrides: Partial<TraceEvent> = {}): TraceEvent {
  return {
    id: 'evt-0001',
    time: '2026-11-24T12:00:00.000Z',
    cloud: 'aws',
    source: 'cloudtrail',
    service: 'signin.amazonaws.com',
    action: 'ConsoleLogin',
    category: 'login',
    outcome: 'success',
    actor: {
      type: 'IAMUser',
      id: 'AIDAEXAMPLEID',
      name: 'alice',
      arn: 'arn:aws:iam::111122223333:user/alice',
      account: '111122223333',
      mfa: false,
    },
    sourceAddress: '198.51.100.7',
    sourceAddressKind: 'ipv4',
    sourceIp: '198.51.100.7',
    userAgent: 'Mozilla/5.0',
    region: 'us-east-1',
    account: '111122223333',
    raw: {},
    ...overrides,
  };
}
