import { CheckResult, ReconcileQuery, ReconcileResult } from '@patchbay/api';
import type { FastifyInstance } from 'fastify';
import type { Controller } from '../controller/index.js';
import { ERROR_RESPONSES, type ZodTypeProvider } from './schema.js';

/** Store/kernel consistency: check (dry run) and reconcile on demand. */
export function registerSystemRoutes(app: FastifyInstance, controller: Controller) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post('/v1/system/reconcile', { schema: { querystring: ReconcileQuery, response: { 200: ReconcileResult, ...ERROR_RESPONSES } } }, async ({ query }) =>
    controller.reconcile({ dryRun: query.dryRun === 'true' }),
  );
  api.get('/v1/system/check', { schema: { response: { 200: CheckResult, ...ERROR_RESPONSES } } }, async () => controller.check());
}
