// The AWS SDK warns once per process on Node.js < 22 that its releases after January 2027 will need 22
// (aws/aws-sdk-js-v3#7983 documents this switch). Node 20 is supported by the pinned SDK and tested here;
// the notice says nothing about the code under test. Workers and the child processes tests spawn inherit it.
// Only this notice is silenced: other warnings still print.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is done once by `tsc --noEmit` in `npm test`; jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
  // Jest's default is cores - 1, which on the 2-core CI machine means one suite at a time in one process.
  // Most suites wait on child processes, peers on loopback and timers: two at a time overlap that waiting.
  maxWorkers: 2,
  // Names the run, so that the suites needing dist/ share one build of it (test/support/build-once.ts).
  globalSetup: '<rootDir>/test/support/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/jest-global-teardown.ts',
};
