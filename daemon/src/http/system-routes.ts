import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Controller } from '../controller/index.js';
import { parse } from './errors.js';

const ReconcileQuery = z.object({ dryRun: z.enum(['true', 'false']).optional() }).strict();

/** Store/kernel consistency: check (dry run) and reconcile on demand. */
export function registerSystemRoutes(app: FastifyInstance, controller: Controller) {
  app.post('/v1/system/reconcile', async (req) => {
    const { dryRun } = parse(ReconcileQuery, req.query, 'query');
    return controller.reconcile({ dryRun: dryRun === 'true' });
  });
  app.get('/v1/system/check', async () => controller.check());
}
