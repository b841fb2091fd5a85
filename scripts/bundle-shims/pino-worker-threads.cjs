// node:worker_threads as pino/lib/tools.js sees it in the function bundles: it reads only `isMainThread`,
// and only for an asynchronous destination (`!opts.sync && isMainThread`), which the functions never
// create (their loggers write synchronously, shared/platform/logger.ts) and which runs on the main
// thread where they are invoked. The real module (and the streams it loads) stays out of the cold start.
'use strict';
module.exports = { isMainThread: true };
