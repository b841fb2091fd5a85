import { createTrailIntegrityLambdaHandler } from './lambda-handler';

// Liveness keeps its records in the alert-memory stage's state store (STATE_STORE; lambda-handler.ts).
export const handler = createTrailIntegrityLambdaHandler();
