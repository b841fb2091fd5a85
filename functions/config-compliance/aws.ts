import { createLambdaHandler } from '../../shared/platform/lambda-handler';
import { configCompliance } from './config-compliance';

export const handler = createLambdaHandler(configCompliance);
