import { createLambdaHandler } from '../../shared/platform/lambda-handler';
import { loginWhitelist } from './login-whitelist';

export const handler = createLambdaHandler(loginWhitelist);
