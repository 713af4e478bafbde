/** The daemon answered with a non-2xx status; `code` is its stable error code (e.g. PB_ERR_NETWORK_NOT_FOUND). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The daemon could not be reached at all (no socket, refused, permission denied, timeout). */
export class ConnectionError extends Error {
  readonly host: string;
  /** The system error code, e.g. ENOENT or ECONNREFUSED, or ETIMEDOUT for our own timeout. */
  readonly errno: string | undefined;

  constructor(host: string, errno: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
    this.host = host;
    this.errno = errno;
  }
}

/** The daemon answered 2xx with a body this client cannot read (wrong content type, broken JSON). */
export class ProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }
}

export function connectionError(host: string, cause: unknown): ConnectionError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const detail = cause instanceof Error ? cause.message : String(cause);
  switch (errno) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new ConnectionError(host, errno, `cannot reach patchbayd at ${host}: is the daemon running?`, { cause });
    case 'EACCES':
    case 'EPERM':
      return new ConnectionError(host, errno, `permission denied connecting to patchbayd at ${host}: are you root?`, { cause });
    default:
      return new ConnectionError(host, errno, `cannot reach patchbayd at ${host}: ${detail}`, { cause });
  }
}
