import { createFunctionGraphHandler } from '../../shared/platform/functiongraph-handler';
import { configCompliance } from './config-compliance';

export const { handler, initializer } = createFunctionGraphHandler(configCompliance);
