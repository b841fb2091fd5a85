/**
 * login-whitelist's prefilter (shared/prefilter): on CloudTrail only console sign-ins can alert, and
 * normalizeCloudTrail makes a login (or failed login) of exactly `eventName: "ConsoleLogin"`; every other
 * record is counted without being parsed. A new rule on other events must widen this.
 */
import { fieldIn, type RecordPrefilter } from '../../shared/prefilter/need';

export function loginWhitelistPrefilter(): RecordPrefilter {
  return { cloudtrail: fieldIn('eventName', ['ConsoleLogin']) };
}
