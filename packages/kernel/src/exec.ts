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

export const execaRunner: Runner = async (argv, input) => {
  const [file, ...args] = argv;
  const result = await execa(file!, args, {
    input: input ?? '',
    reject: false,
    stripFinalNewline: false,
    // ip and nft must not see a locale that translates their messages (we match on them)
    env: { LC_ALL: 'C' },
    // no exit hook per call: these processes end in milliseconds anyway (saves ~0.5 ms a call)
    cleanup: false,
  });
  const spawnError = result.exitCode === undefined ? (result as { code?: string }).code : undefined;
  return {
    exitCode: result.exitCode,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    ...(spawnError !== undefined ? { spawnError } : {}),
  };
};

/** Which Debian package provides a program the kernel runs. */
const PACKAGE_OF: Record<string, string> = { ip: 'iproute2', nft: 'nftables', nsenter: 'util-linux' };

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
