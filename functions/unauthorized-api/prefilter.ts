/**
 * unauthorized-api's prefilter (shared/prefilter): a CloudTrail record can only alert if one of the
 * configured filter patterns can match it, so the need is any of the patterns' needs, read off their syntax
 * (needOfFilterPattern: an error code, a watched event name, a value the record's text must contain). A
 * custom pattern that cannot be reduced (`!=`, a regex, a term pattern) makes it `always`: every record parsed.
 */
import { ALWAYS, anyOf, NEVER, type RecordPrefilter } from '../../shared/prefilter/need';
import { needOfFilterPattern } from '../../shared/prefilter/from-filter-pattern';
import type { UnauthorizedApiConfig } from './unauthorized-api';

export function unauthorizedApiPrefilter(config: UnauthorizedApiConfig): RecordPrefilter {
  return {
    cloudtrail: anyOf(config.rules.map((rule) => needOfFilterPattern(rule.pattern.source))),
    // The CTS refusal rule reads the outcome, codes and free text (CTS_REFUSAL): not reduced, every trace parsed.
    cts: config.ctsRule ? ALWAYS : NEVER,
  };
}
