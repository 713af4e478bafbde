import { ErrorCodes, type ErrorCode, type ErrorKind } from './catalogue.js';

const brand = Symbol.for('patchbay.error');

/** Base of every domain error: a stable code, its kind, a human message, and the cause kept. */
export class PatchbayError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  /** Extra facts for logs and API detail (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PatchbayError';
    this.code = code;
    this.kind = ErrorCodes[code];
    if (options?.details) this.details = options.details;
    Object.defineProperty(this, brand, { value: true });
  }

  /**
   * `x instanceof PatchbayError` works across duplicate module copies (like undici's errors);
   * subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== PatchbayError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

export const invalid = (message: string, code: ErrorCode = 'PB_ERR_INVALID', details?: Record<string, unknown>) =>
  new PatchbayError(code, message, { details });
export const conflict = (message: string, code: ErrorCode) => new PatchbayError(code, message);

/** A kernel command failed: keeps argv, exit code and stderr so the failing step can be named. */
export class KernelError extends PatchbayError {
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly stderr: string;

  /**
   * `options.status` replaces "exit N" for calls that are not processes (a netlink request
   * reports an errno name instead, e.g. "EEXIST").
   */
  constructor(
    argv: readonly string[],
    exitCode: number | undefined,
    stderr: string,
    options?: { cause?: unknown; status?: string },
  ) {
    const shown = argv.join(' ');
    const status = options?.status ?? `exit ${exitCode ?? 'signal'}`;
    super('PB_ERR_KERNEL', `${shown}: ${status}: ${stderr.trim() || 'no output'}`, {
      cause: options?.cause,
      details: { argv, exitCode, stderr: stderr.trim() },
    });
    this.name = 'KernelError';
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** A multi-step operation failed at a named step; the cause is the original error. */
export class StepError extends PatchbayError {
  readonly step: string;
  constructor(step: string, cause: unknown) {
    const inner = cause instanceof PatchbayError ? cause : undefined;
    const message = cause instanceof Error ? cause.message : String(cause);
    super(inner?.code ?? 'PB_ERR_INTERNAL', `${step}: ${message}`, {
      cause,
      details: { step, ...(inner?.details ?? {}) },
    });
    this.name = 'StepError';
    this.step = step;
  }
}

export const isPatchbayError = (e: unknown): e is PatchbayError => e instanceof PatchbayError;
