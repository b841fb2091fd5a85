/**
 * login-whitelist's prefilter (shared/prefilter): only sign-ins (and sign-outs) can alert. On CloudTrail
 * normalizeCloudTrail makes a login (or failed login) of exactly `eventName: "ConsoleLogin"`; on CTS the
 * trace name decides, as normalizeCts's own categorize reads it. Every other record is counted without
 * being parsed. A new rule on other events must widen this.
 */
import { categorize } from '../../shared/normalize/normalize-cts';
import { fieldIn, fieldWhere, type RecordPrefilter } from '../../shared/prefilter/need';

export function loginWhitelistPrefilter(): RecordPrefilter {
  return {
    cloudtrail: fieldIn('eventName', ['ConsoleLogin']),
    cts: fieldWhere('trace_name', 'trace_name is a sign-in or sign-out', (name) => categorize(name) !== 'api-call'),
  };
}
