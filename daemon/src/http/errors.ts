import { PatchbayError, type ErrorKind } from '@patchbay/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';

/** The one place where domain errors become HTTP statuses. */
export const STATUS: Record<ErrorKind, number> = {
  InvalidParameter: 400,
  NotFound: 404,
  Conflict: 409,
  Forbidden: 403,
  Unavailable: 503,
  NotImplemented: 501,
  Internal: 500,
};

export function zodMessage(err: ZodError, what: string): string {
  return err.issues
    .map((i) => {
      const path = i.path.length > 0 ? i.path.join('.') : what;
      if (i.code === 'unrecognized_keys') return `${what}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`;
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

export interface ErrorBodyShape {
  status: number;
  message: string;
  code: string;
  /** dockerd's words for the same refusal, where patchbay's own differ (`details.dockerMessage`) */
  dockerMessage?: string;
}

/**
 * Any thrown value → status, message and code. Domain errors keep their message, so a failed
 * kernel step is named with its command, exit code and stderr; anything unexpected gets a generic
 * message (the cause is logged).
 */
export function toErrorBody(err: unknown): ErrorBodyShape {
  if (err instanceof PatchbayError) {
    const status = STATUS[err.kind];
    const dockerMessage = err.details?.dockerMessage;
    return { status, message: err.message, code: err.code, ...(typeof dockerMessage === 'string' ? { dockerMessage } : {}) };
  }
  if (err instanceof ZodError) return { status: 400, message: zodMessage(err, 'body'), code: 'PB_ERR_INVALID' };
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode === 415 || fe.statusCode === 413 ? fe.statusCode : 400, message: fe.message, code: fe.code ?? 'PB_ERR_INVALID' };
  }
  return { status: 500, message: 'internal error (see the daemon log)', code: 'PB_ERR_INTERNAL' };
}

/** Installs the error handler; `shape` lets the Docker API answer `{message}` only. */
export function installErrorHandler(app: FastifyInstance, shape: (req: FastifyRequest, body: ErrorBodyShape) => object) {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const body = toErrorBody(err);
    if (body.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: body.code, reason: body.message }, 'request refused');
    void reply.status(body.status).type('application/json').send(shape(req, body));
  });
}
