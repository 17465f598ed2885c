#!/usr/bin/env node
// Entry point of the `strata` command: runs the CLI as `npm run build` bundles it (scripts/bundle-cli.ts).
import '../dist/bundle/main.js';
