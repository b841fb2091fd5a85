import { createFunctionGraphHandler } from '../../shared/platform/functiongraph-handler';
import { unauthorizedApi } from './unauthorized-api';

export const { handler, initializer } = createFunctionGraphHandler(unauthorizedApi);
