// thread-stream in the function bundles: pino requires it at load for pino.transport(), which the functions
// never call (their loggers write synchronously to stderr, shared/platform/logger.ts). Its real module
// loads node:worker_threads and its streams at every cold start; this one fails loudly if ever used.
'use strict';
module.exports = class ThreadStream {
  constructor() {
    throw new Error('pino transports are not part of the function bundles (scripts/build.mjs)');
  }
};
