#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --single-threaded --expose-gc
// The daemon is I/O-bound: a small young generation, size-optimised code and no V8 helper threads
// keep an idle daemon small (about 72 MB RSS instead of 90); --expose-gc lets it drop start-up
// garbage once ready (daemon/src/main.ts).
import '../dist/main.js';
