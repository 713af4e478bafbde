import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** written to the child's stdin, which is then closed */
  stdin?: string;
  /** the child's whole environment (nothing is inherited when given) */
  env?: NodeJS.ProcessEnv;
}

/** Runs one process (no shell) and collects its output. Never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined); // a child that exits early must not crash us with EPIPE
    child.stdin.end(options.stdin ?? '');
  });
}

/** Like run, but throws (with argv and stderr) unless the process exits 0. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    const why = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.code}: ${why}`);
  }
  return result;
}

/** Runs `ip [-n NETNS] -batch -` with the given lines: the fewest processes for many changes. */
export function ipBatch(netns: string | null, lines: readonly string[]): Promise<RunResult> {
  const args = [...(netns ? ['-n', netns] : []), '-batch', '-'];
  return runOk('ip', args, { stdin: lines.join('\n') + '\n' });
}
