import type { CniErrorBody } from '@patchbay/api';
import { PatchbayError, isPatchbayError, type ErrorCode, type ErrorKind } from '@patchbay/errors';
import { ZodError } from 'zod';
import { STATUS, zodMessage } from '../http/errors.js';

/** CNI's own error codes (SPEC "Error"), for the refusals they describe. */
const CNI_CODE: Partial<Record<ErrorCode, number>> = {
  PB_ERR_CNI_VERSION: 1,
  PB_ERR_CNI_UNSUPPORTED_FIELD: 2,
  PB_ERR_CNI_UNKNOWN_CONTAINER: 3,
  PB_ERR_CNI_INVALID_ENV: 4,
  PB_ERR_INVALID_NETNS: 4,
  PB_ERR_CNI_DECODE: 6,
  PB_ERR_CNI_INVALID_CONFIG: 7,
  PB_ERR_CNI_TRY_AGAIN: 11,
  PB_ERR_CNI_NOT_READY: 50,
};

/** Everything else is a patchbay domain error: plugin-specific codes (100 and up), one per kind. */
const KIND_CODE: Record<ErrorKind, number> = {
  InvalidParameter: 100,
  NotFound: 101,
  Conflict: 102,
  Forbidden: 103,
  Unavailable: 104,
  NotImplemented: 105,
  Internal: 106,
};

export const cniError = (code: ErrorCode, message: string, details?: string) =>
  new PatchbayError(code, message, details === undefined ? undefined : { details: { cni: details } });

/** The CNI error object and the HTTP status it travels with (the plugin exits non-zero on any non-2xx). */
export function toCniError(err: unknown, cniVersion: string): { status: number; body: CniErrorBody } {
  if (err instanceof ZodError) err = cniError('PB_ERR_CNI_INVALID_CONFIG', zodMessage(err, 'config'));
  if (!isPatchbayError(err)) {
    return { status: 500, body: { cniVersion, code: KIND_CODE.Internal, msg: 'internal error (see the daemon log)', details: 'PB_ERR_INTERNAL' } };
  }
  const own = CNI_CODE[err.code];
  const cniDetails = typeof err.details?.cni === 'string' ? err.details.cni : undefined;
  return {
    status: STATUS[err.kind],
    body: { cniVersion, code: own ?? KIND_CODE[err.kind], msg: err.message, details: cniDetails ?? err.code },
  };
}
