#!/usr/bin/env -S node --max-semi-space-size=1 --single-threaded --expose-gc
// The daemon is I/O-bound: a small young generation and no V8 helper threads keep an idle daemon
// small (about 77 MB RSS instead of 90); --expose-gc lets it drop start-up garbage once ready
// (daemon/src/main.ts). --optimize-for-size would save 6 MB more but costs parallel throughput.
import '../dist/main.js';
