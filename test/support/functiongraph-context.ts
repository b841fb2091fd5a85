import type { FunctionGraphContext } from '../../shared/platform/functiongraph-handler';

export type AgencyAuth = 'token' | 'aksk' | 'none';

/**
 * A FunctionGraph-like context: variables through getUserData, the project id, and the agency's
 * credentials — a token, temporary AK/SK, or none (getters return '' as the runtime does).
 */
export function functionGraphContext(options: {
  userData: Record<string, string>;
  projectId: string;
  token: string;
  keys: { accessKey: string; secretKey: string };
  auth?: AgencyAuth;
  requestId?: string;
}): FunctionGraphContext {
  const { userData, projectId, token, keys, auth = 'token', requestId = 'req-1' } = options;
  return {
    getRequestID: () => requestId,
    getUserData: (key) => userData[key],
    getProjectID: () => projectId,
    getToken: () => (auth === 'token' ? token : ''),
    getSecurityAccessKey: () => (auth === 'aksk' ? keys.accessKey : ''),
    getSecuritySecretKey: () => (auth === 'aksk' ? keys.secretKey : ''),
    getSecurityToken: () => '',
  };
}
