/**
 * config-compliance's prefilter (shared/prefilter): compliance changes come from AWS Config and Huawei
 * Config events, never from CloudTrail records, but for Config's PutEvaluations calls
 * (isPutEvaluationsCall); never from CTS traces. Every other record is counted without being parsed.
 */
import { fieldIn, NEVER, type RecordPrefilter } from '../../shared/prefilter/need';

export function configCompliancePrefilter(): RecordPrefilter {
  return { cloudtrail: fieldIn('eventName', ['PutEvaluations']), cts: NEVER };
}
