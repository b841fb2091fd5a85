import { createFunctionGraphHandler } from '../../shared/platform/functiongraph-handler';
import { loginWhitelist } from './login-whitelist';

export const { handler, initializer } = createFunctionGraphHandler(loginWhitelist);
