import { processIo } from './io';
import { main } from './main';

// Node 20 is supported by the pinned AWS SDK; its notice about future releases is noise in a CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const io = processIo();
main(process.argv.slice(2), io).then(
  (code) => {
    // stdout's reader has gone: leave now, without waiting for stdin or pending writes.
    if (io.outClosed?.()) process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
