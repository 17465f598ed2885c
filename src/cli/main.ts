import { z } from 'zod';
import { createProgram } from './program.js';

// A command validates strata.yaml once: compiling zod's fast path for that costs more CPU
// (about 30 ms at start-up) than it saves. `strata serve` validates every request, so keeps it.
if (!process.argv.includes('serve')) z.config({ jitless: true });

// A reader that stops early (`strata segments list | head -1`) closes the pipe: the rest of
// the output has nowhere to go, which is no error of the command's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// The `strata` command (bin/strata.js). Commands are in program.ts, so `strata serve` can build
// the same program to run a CLI's command on the store it holds (relay-host.ts).
await createProgram().parseAsync(process.argv);
