import { createProgram } from './program.js';

// The `strata` command (bin/strata.js). Commands are in program.ts, so `strata serve` can build
// the same program to run a CLI's command on the store it holds (relay-host.ts).
await createProgram().parseAsync(process.argv);
