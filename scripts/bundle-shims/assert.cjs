// `assert(value, message)` as sonic-boom (pino's destination), thread-stream and maxmind call it, with
// node:assert loaded only when an assertion fails. Loading node:assert at cold start also builds
// process.stderr and the stream modules (its colour check), ~10 % of a function's cold start.
'use strict';
module.exports = function assert(value, message) {
  if (!value) require('node:assert')(value, message);
};
