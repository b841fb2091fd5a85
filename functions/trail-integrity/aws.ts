import { createTrailIntegrityLambdaHandler } from './lambda-handler';

// Liveness needs the alert-memory state store: pass it here as `{ store }` once it is wired.
export const handler = createTrailIntegrityLambdaHandler();
