/** Sizes of one bench run: full (the numbers in BENCHMARKS.md) or --quick (a < 1 minute smoke run). */
export interface BenchConfig {
  mode: 'full' | 'quick';
  /** timed attach+detach rounds per side, after `warmup` untimed ones */
  iterations: number;
  warmup: number;
  /** timed network create+delete rounds */
  networkIterations: number;
  /** endpoints on one network for the growth run (a Linux bridge takes at most 1024 ports) */
  growthEndpoints: number;
  growthNetworks: number;
  /** first-N vs last-N window of the growth runs */
  growthWindow: number;
  /** attaches fired at once (and the same number one after another) */
  concurrency: number;
  restarts: number;
  /** DNS queries in flight at once */
  dnsConcurrency: number;
  /** report file (relative paths are taken from the repository root) */
  out: string;
  /** why the patchbay side is skipped, when it is */
  patchbaySkip?: string;
  /** daemon entry to run instead of daemon/dist/main.js (PATCHBAY_BENCH_DAEMON) */
  daemonEntry?: string;
  /** why dockerd is left out (`--no-dockerd`), when it is */
  dockerdSkip?: string;
  /** `--scale`: the scale run of issue 16 instead of the table (10,000 endpoints; --quick: 400) */
  scale?: boolean;
  /** `--scale-size NxM`: the scale run with N networks of M endpoints (iterating between --quick and the full size) */
  scaleSize?: { networks: number; perNetwork: number };
  /** `--only a,b`: run only these phases (a partial run; its file is not a full table) */
  only?: readonly BenchPhase[];
}

export const BENCH_PHASES = ['attach', 'cni', 'net', 'docker', 'sandbox', 'concurrency', 'growth', 'dns', 'dockerrun', 'overlay'] as const;
export type BenchPhase = (typeof BENCH_PHASES)[number];

/** Whether a phase runs in this configuration. */
export const runsPhase = (cfg: BenchConfig, phase: BenchPhase): boolean => cfg.only === undefined || cfg.only.includes(phase);

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BenchConfig {
  const quick = argv.includes('--quick');
  const outIndex = argv.indexOf('--out');
  const base: BenchConfig = quick
    ? { mode: 'quick', iterations: 20, warmup: 2, networkIterations: 20, growthEndpoints: 100, growthNetworks: 20, growthWindow: 100, concurrency: 16, restarts: 1, dnsConcurrency: 16, out: 'BENCHMARKS.tmp' }
    : { mode: 'full', iterations: 200, warmup: 3, networkIterations: 100, growthEndpoints: 1000, growthNetworks: 200, growthWindow: 100, concurrency: 64, restarts: 3, dnsConcurrency: 16, out: 'BENCHMARKS.md' };
  if (outIndex >= 0) {
    const out = argv[outIndex + 1];
    if (!out) throw new Error('--out needs a file name');
    base.out = out;
  }
  if (argv.includes('--scale')) {
    base.scale = true;
    // the full scale run writes its section of BENCHMARKS.md; smaller ones a scratch file
    if (outIndex < 0) base.out = quick || argv.includes('--scale-size') ? 'BENCHMARKS-scale.tmp' : 'BENCHMARKS.md';
  }
  const sizeIndex = argv.indexOf('--scale-size');
  if (sizeIndex >= 0) {
    const m = /^(\d+)x(\d+)$/.exec(argv[sizeIndex + 1] ?? '');
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 2) throw new Error('--scale-size takes NETWORKSxENDPOINTS, e.g. 4x500');
    base.scaleSize = { networks: Number(m[1]), perNetwork: Number(m[2]) };
  }
  if (argv.includes('--no-dockerd')) base.dockerdSkip = 'left out (--no-dockerd)';
  const onlyIndex = argv.indexOf('--only');
  if (onlyIndex >= 0) {
    const only = (argv[onlyIndex + 1] ?? '').split(',').filter(Boolean);
    const unknown = only.filter((p) => !(BENCH_PHASES as readonly string[]).includes(p));
    if (only.length === 0 || unknown.length > 0) throw new Error(`--only takes phases among ${BENCH_PHASES.join(',')}${unknown.length ? `; unknown: ${unknown.join(',')}` : ''}`);
    base.only = only as BenchPhase[];
    if (outIndex < 0) base.out = 'BENCHMARKS.tmp';
  }
  if (env.PATCHBAY_BENCH_SKIP_DAEMON) base.patchbaySkip = env.PATCHBAY_BENCH_SKIP_DAEMON;
  if (env.PATCHBAY_BENCH_DAEMON) base.daemonEntry = env.PATCHBAY_BENCH_DAEMON;
  return base;
}
