import { ErrorBody } from '@patchbay/api';
import { PatchbayError } from '@patchbay/errors';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { ZodError, ZodType } from 'zod';
import { zodMessage } from './errors.js';

export type { ZodTypeProvider } from 'fastify-type-provider-zod';

/** How error messages name the part of a request that failed (`path: …`, `query: …`, `body: …`). */
const PART_NAME: Record<string, string> = { params: 'path', querystring: 'query', body: 'body', headers: 'headers' };

/**
 * Validates a request part with the route's zod schema; a failure becomes the error `toError`
 * makes of zod's issues (`part` names the part: path, query, body, headers). A missing part (an
 * empty body) is validated as `{}`.
 */
export const createZodValidatorCompiler =
  (toError: (err: ZodError, part: string) => Error): FastifySchemaCompiler<ZodType> =>
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data ?? {});
    if (result.success) return { value: result.data };
    return { error: toError(result.error, PART_NAME[httpPart ?? 'body'] ?? 'body') };
  };

/**
 * The native API's validation: a failure becomes the same PB_ERR_INVALID that names the field as
 * a hand-written parse did, so errors.ts maps it to HTTP like any other domain error. (The
 * provider's own validator reduces zod's issue paths to JSON pointers, which would change the
 * messages of fields such as label keys with a `/`.)
 */
export const zodValidatorCompiler = createZodValidatorCompiler((err, part) => new PatchbayError('PB_ERR_INVALID', zodMessage(err, part)));

/**
 * Routes of `app` (and of its child contexts) validate requests and serialize responses with their
 * zod schemas. A response that does not match its schema is a ResponseSerializationError: a 500
 * through the one error mapping, its cause logged.
 */
export function useZodSchemas(app: FastifyInstance, validatorCompiler: FastifySchemaCompiler<ZodType> = zodValidatorCompiler): void {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
}

/**
 * For list routes that can hold thousands of items: their 200 is serialized as it is, not
 * re-validated item by item (each item is the view the single-item route validates; a walk of
 * the schema over 10,000 endpoints costs more than building them). Other statuses (errors) keep
 * the zod serializer.
 */
export const listSerializerCompiler = <T>(route: FastifyRouteSchemaDef<T>): ((data: unknown) => string) =>
  route.httpStatus === '200' ? (data) => JSON.stringify(data) : serializerCompiler(route as unknown as FastifyRouteSchemaDef<ZodType>);

/** The error answers every native route may give (`{message, code}`). */
export const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody } as const;
