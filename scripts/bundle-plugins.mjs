// The esbuild plugins of scripts/build.mjs, shared with the bench (bench/run-bench.ts analyses the bundles
// as the build makes them).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The dependencies that call `require('assert')` only to check their own arguments get
 * scripts/bundle-shims/assert.cjs instead: the same check, node:assert loaded only when it fails.
 */
export const deferredAssert = {
  name: 'deferred-assert',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      /[\\/]node_modules[\\/](sonic-boom|thread-stream|maxmind)[\\/]/.test(args.importer)
        ? { path: join(root, 'scripts', 'bundle-shims', 'assert.cjs') }
        : undefined,
    );
  },
};

/**
 * The function bundles only: pino's transport machinery (thread-stream, node:worker_threads), which their
 * synchronous loggers never use, replaced by scripts/bundle-shims/ so a cold start does not load it.
 */
export const withoutPinoTransports = {
  name: 'without-pino-transports',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^thread-stream$/ }, (args) =>
      /[\\/]node_modules[\\/]pino[\\/]/.test(args.importer)
        ? { path: join(root, 'scripts', 'bundle-shims', 'thread-stream.cjs') }
        : undefined,
    );
    pluginBuild.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) =>
      /[\\/]node_modules[\\/]pino[\\/]lib[\\/]tools\.js$/.test(args.importer)
        ? { path: join(root, 'scripts', 'bundle-shims', 'pino-worker-threads.cjs') }
        : undefined,
    );
  },
};

/**
 * The packages our code imports dynamically (the AWS SDK clients, the maxmind reader): on Lambda they stay
 * out of the entry bundle, as `import("./chunks/<name>.mjs")`, so a cold start neither reads nor compiles
 * them. Only imports written in our sources count; a package's own dynamic imports stay inside it.
 */
export function lazyPackages(found) {
  return {
    name: 'lazy-packages',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^[@a-z]/ }, (args) => {
        if (args.kind !== 'dynamic-import' || /[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
        if (args.path.startsWith('node:')) return undefined;
        found.add(args.path);
        return { path: `./chunks/${chunkName(args.path)}.mjs`, external: true };
      });
    },
  };
}

/** `@aws-sdk/client-sns` → `aws-sdk-client-sns`: the lazy chunk's file name. */
export const chunkName = (pkg) => pkg.replace(/^@/, '').replace(/\//g, '-');
