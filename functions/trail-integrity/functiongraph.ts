import { createFunctionGraphHandler } from '../../shared/platform/functiongraph-handler';
import { trailIntegrity } from './trail-integrity';

// FunctionGraph: tamper events (CTS trigger, CTS trace files). CTS digests on OBS are checked by
// `trailguard verify` (no OBS reads in the function yet).
export const { handler, initializer } = createFunctionGraphHandler(trailIntegrity);
