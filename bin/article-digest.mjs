#!/usr/bin/env node
// Runs the TypeScript command line directly (no build step) through tsx's loader.
import { register } from 'tsx/esm/api';

register();
// `npm start -- <paths>` runs in the package's folder; the paths were typed in the folder npm was
// started from (INIT_CWD), and that is where `out/` belongs too.
if (process.env.npm_lifecycle_event === 'start' && process.env.INIT_CWD) {
  process.chdir(process.env.INIT_CWD);
}
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
