import type { Detector, FunctionName } from '../shared/detect/detector';
import { configCompliance } from './config-compliance/config-compliance';
import { loginWhitelist } from './login-whitelist/login-whitelist';
import { trailIntegrity } from './trail-integrity/trail-integrity';
import { unauthorizedApi } from './unauthorized-api/unauthorized-api';

/** Every function the CLI can replay, by name. */
export const DETECTORS: Partial<Record<FunctionName, Detector<any>>> = {
  'login-whitelist': loginWhitelist,
  'unauthorized-api': unauthorizedApi,
  'config-compliance': configCompliance,
  'trail-integrity': trailIntegrity,
};

export function detectorNames(): string[] {
  return Object.keys(DETECTORS);
}
