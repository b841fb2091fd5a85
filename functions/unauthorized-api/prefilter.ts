/**
 * unauthorized-api's prefilter (shared/prefilter).
 *
 * CloudTrail: a record can only alert if one of the configured filter patterns can match it, so the need
 * is any of the patterns' needs, read off their syntax (needOfFilterPattern: an error code, a watched event
 * name, a value the record's text must contain). A custom pattern that cannot be reduced (`!=`, a regex, a
 * term pattern) makes it `always`: every record parsed.
 *
 * CTS: what isRefusedCtsCall needs, read off its code. A trace is refused only as an API call (a sign-in
 * trace never is), and only in one of three ways:
 * - `code` is 401 or 403: String(code), or the status normalizeCts reads off it (a number, or text that
 *   trims to it);
 * - the response's error code is 401 or 403 (normalizeCts takes it from `error.code` or `error_code`, in a
 *   response object or JSON text): the text of `response` holds `error`;
 * - its wording (CTS_REFUSAL, in the error code and message, which come from `response` or `message`, in
 *   `message` or in `response`) says so, which is read only when `code` is not a status below 400: the text
 *   of `message` or `response` then holds one of REFUSAL_WORDS in some case.
 * A `code` that is not one plain string or number (an array, an escaped string, written twice) passes; the
 * text searches answer only where no `\u` escape can be (see Need `contains`): anything else is parsed.
 */
import { categorize } from '../../shared/normalize/normalize-cts';
import {
  allOf,
  anyOf,
  contains,
  containsAnyCase,
  fieldWhere,
  NEVER,
  type Need,
  type RecordPrefilter,
} from '../../shared/prefilter/need';
import { needOfFilterPattern } from '../../shared/prefilter/from-filter-pattern';
import { answeredBelow400, REFUSAL_WORDS, REFUSED_STATUSES } from './cts-refusal';
import type { UnauthorizedApiConfig } from './unauthorized-api';

export const CTS_REFUSAL_NEED: Need = allOf([
  fieldWhere('trace_name', 'trace_name is an API call', (name) => categorize(name) === 'api-call'),
  anyOf([
    {
      type: 'field',
      name: 'code',
      test: (code) => REFUSED_STATUSES.has(code) || REFUSED_STATUSES.has(code.trim()),
      numberTest: (code) => REFUSED_STATUSES.has(String(code)),
      label: 'code is 401 or 403',
    },
    contains('error', ['response']),
    allOf([
      {
        type: 'field',
        name: 'code',
        test: (code) => !answeredBelow400(Number(code)),
        numberTest: (code) => !answeredBelow400(code),
        absent: true,
        label: 'code is not a status below 400',
      },
      containsAnyCase(REFUSAL_WORDS, ['message', 'response']),
    ]),
  ]),
]);

export function unauthorizedApiPrefilter(config: UnauthorizedApiConfig): RecordPrefilter {
  return {
    cloudtrail: anyOf(config.rules.map((rule) => needOfFilterPattern(rule.pattern.source))),
    cts: config.ctsRule ? CTS_REFUSAL_NEED : NEVER,
  };
}
