import { execa } from 'execa';
import { PatchbayError } from '@patchbay/errors';

/** Outcome of one process. A non-zero exit is a result, not an exception. */
export interface RunResult {
  /** undefined when the process was killed by a signal or never started */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** the spawn error code (e.g. 'ENOENT' when the program is not installed) */
  spawnError?: string;
}

/** Runs argv[0] with argv[1..] (never through a shell), `input` on stdin. */
export type Runner = (argv: readonly string[], input?: string) => Promise<RunResult>;

/** pino-compatible subset the kernel logs through. */
export interface KernelLogger {
  debug(obj: object, msg: string): void;
}

/**
 * execa with the lightest settings that still give us what we need: output collected from the
 * streams here rather than by execa's buffering, a minimal environment, no exit hook per call.
 * That halves execa's own CPU per call (it bounds how many attaches a second the daemon can do).
 */
export const execaRunner: Runner = async (argv, input) => {
  const [file, ...args] = argv;
  const child = execa(file!, args, {
    reject: false,
    buffer: false,
    stdin: 'pipe',
    cleanup: false,
    extendEnv: false,
    // ip and nft must not see a locale that translates their messages (we match on them)
    env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin?.on('error', () => {}); // a process that never started (or exited early) refuses input
  child.stdin?.end(input ?? '');
  const result = await child;
  const spawnError = result.exitCode === undefined ? (result as { code?: string }).code : undefined;
  return { exitCode: result.exitCode, stdout, stderr, ...(spawnError !== undefined ? { spawnError } : {}) };
};

/** Which Debian package provides a program the kernel runs. */
const PACKAGE_OF: Record<string, string> = { ip: 'iproute2', nft: 'nftables', nsenter: 'util-linux', unshare: 'util-linux', iptables: 'iptables', ip6tables: 'iptables' };

export function toolMissing(tool: string): PatchbayError {
  const pkg = PACKAGE_OF[tool] ?? tool;
  return new PatchbayError('PB_ERR_INTERNAL', `${pkg} is not installed: run \`apt-get install -y ${pkg}\``, {
    details: { tool, package: pkg },
  });
}

/**
 * The runner, timed and logged (argv and duration at debug). A program that cannot be spawned
 * because it does not exist becomes an error naming the package to install.
 */
export function createExec(runner: Runner, log?: KernelLogger): Runner {
  return async (argv, input) => {
    const started = performance.now();
    const result = await runner(argv, input);
    const ms = Math.round((performance.now() - started) * 100) / 100;
    log?.debug({ argv, ms, exitCode: result.exitCode }, 'kernel call');
    if (result.spawnError === 'ENOENT') throw toolMissing(argv[0]!);
    return result;
  };
}
