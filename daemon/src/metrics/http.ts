import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from '../http/schema.js';
import type { Metrics } from './registry.js';

/** The label of a request that matched no route (a 404 from the not-found handler). */
export const UNMATCHED_ROUTE = '<unmatched>';

/**
 * Counts and times every answered request by method, route pattern (e.g. `/v1/networks/:id`, never
 * the raw URL, so ids stay out of the labels) and status, and serves `GET /metrics` in the
 * Prometheus text format. Streams that take the connection over (Docker's /events) are not
 * answered through fastify and are not counted here; the subscriber gauge shows them.
 */
export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics) {
  app.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? UNMATCHED_ROUTE, status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
  const schema = { response: { 200: { content: { 'text/plain': { schema: z.string() } } } } };
  app.withTypeProvider<ZodTypeProvider>().get('/metrics', { schema }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
