import { spawn } from 'node:child_process';
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
  /** pino's: lets a caller skip building what a disabled level would not log */
  isLevelEnabled?(level: string): boolean;
}

/**
 * A process through node's own spawn: output collected from the streams here, a minimal
 * environment, no shell. (execa did the same with 100 more modules loaded: about 4 MB of an idle
 * daemon's memory, for nothing it used.)
 */
export const processRunner: Runner = (argv, input) =>
  new Promise((resolve) => {
    const [file, ...args] = argv;
    let stdout = '';
    let stderr = '';
    let spawnError: string | undefined;
    const child = spawn(file!, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      // ip and nft must not see a locale that translates their messages (we match on them)
      env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {}); // a process that never started (or exited early) refuses input
    child.stdin.end(input ?? '');
    // 'close' follows 'error' for a process that never started, and comes after its output otherwise
    child.once('error', (err: NodeJS.ErrnoException) => (spawnError ??= err.code ?? 'ESPAWN'));
    child.once('close', (code: number | null) => {
      const exitCode = spawnError === undefined && code !== null ? code : undefined;
      resolve({ exitCode, stdout, stderr, ...(spawnError !== undefined ? { spawnError } : {}) });
    });
  });

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
