import { DockerErrorBody } from '@patchbay/api';
import { isPatchbayError, PatchbayError } from '@patchbay/errors';
import type {
  ContextConfigDefault,
  FastifyRequest,
  FastifySchema,
  HTTPMethods,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
} from 'fastify';
import type { ZodTypeProvider } from '../http/schema.js';
import type { Controller } from '../controller/index.js';
import type { SandboxRecord } from '../store/index.js';
import { API_VERSION } from './version.js';

/** A Docker route's handler, its request and reply typed by the route's zod schemas. */
export type DockerHandler<S extends FastifySchema> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  S,
  ZodTypeProvider
>;

/** Registers one handler and its schemas for a Docker path, unversioned and under /v{version}. */
export type DockerRoute = <S extends FastifySchema>(method: HTTPMethods, path: string, schema: S, handler: DockerHandler<S>) => void;

/** Docker's error answers: `{message}` only. */
export const DOCKER_ERRORS = { '4xx': DockerErrorBody, '5xx': DockerErrorBody } as const;

/** The API version the request speaks: the one in its path, else the newest. */
export const apiVersionOf = (req: FastifyRequest): string => (req.params as { version?: string }).version ?? API_VERSION;

/** A query parameter as Go's `r.Form.Get` reads it: the first value, '' when absent. */
export function queryParam(req: FastifyRequest, key: string): string {
  const v = (req.query as Record<string, unknown>)[key];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : '';
}

/** The `{id}` path parameter. */
export const idParam = (req: FastifyRequest): string => (req.params as { id: string }).id;

export const noSuchContainer = (ref: string) => new PatchbayError('PB_ERR_SANDBOX_NOT_FOUND', `No such container: ${ref}`);

/** A Docker "container" is a patchbay sandbox, by id, name, container id or id prefix. */
export function findContainer(controller: Controller, ref: string): SandboxRecord | undefined {
  if (ref === '') return undefined;
  try {
    return controller.sandboxes.get(ref);
  } catch (err) {
    if (isPatchbayError(err) && err.code === 'PB_ERR_SANDBOX_NOT_FOUND') return undefined;
    throw err;
  }
}

/** Go's strconv.ParseBool. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}
