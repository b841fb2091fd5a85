import { createLambdaHandler } from '../../shared/platform/lambda-handler';
import { unauthorizedApi } from './unauthorized-api';

export const handler = createLambdaHandler(unauthorizedApi);
