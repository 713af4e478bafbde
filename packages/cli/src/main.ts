import { run } from './run.js';

// The `patchbay` executable (bin/patchbay.js imports the built copy of this file).
process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
