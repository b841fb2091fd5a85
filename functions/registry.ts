import type { Detector, FunctionName } from '../shared/detector';
import { loginWhitelist } from './login-whitelist/login-whitelist';
import { unauthorizedApi } from './unauthorized-api/unauthorized-api';

/** Every function the CLI can replay, by name. */
export const DETECTORS: Partial<Record<FunctionName, Detector<any>>> = {
  'login-whitelist': loginWhitelist,
  'unauthorized-api': unauthorizedApi,
};

export function detectorNames(): string[] {
  return Object.keys(DETECTORS);
}
