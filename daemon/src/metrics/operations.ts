import { PatchbayError, StepError } from '@patchbay/errors';
import type { Controller } from '../controller/index.js';
import { STATUS } from '../http/errors.js';
import type { Metrics } from './registry.js';

export type Outcome = 'ok' | 'refused' | 'rolled_back' | 'error';

/**
 * A failed kernel step was rolled back (runSteps undid the steps before it); a domain error that
 * maps to a 4xx refused the request before anything changed; anything else is an error.
 */
export function outcomeOf(err: unknown): Outcome {
  if (err instanceof StepError) return 'rolled_back';
  if (err instanceof PatchbayError && STATUS[err.kind] < 500) return 'refused';
  return 'error';
}

/**
 * The controller with its public operations counted and timed by outcome; everything else (and
 * the controller's internal calls, e.g. a sandbox delete leaving its networks) is untouched.
 */
export function instrumentOperations(controller: Controller, metrics: Metrics): Controller {
  function timed<A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      const started = performance.now();
      let outcome: Outcome = 'ok';
      try {
        return await fn(...args);
      } catch (err) {
        outcome = outcomeOf(err);
        throw err;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        // recorded after the answer (Metrics.later)
        metrics.later(() => {
          metrics.operationDuration.observe({ operation, outcome }, seconds);
          metrics.operations.inc({ operation, outcome });
        });
      }
    };
  }
  const { networks, sandboxes, endpoints } = controller;
  return {
    ...controller,
    networks: { ...networks, create: timed('network_create', networks.create), remove: timed('network_delete', networks.remove) },
    sandboxes: { ...sandboxes, create: timed('sandbox_create', sandboxes.create), remove: timed('sandbox_delete', sandboxes.remove) },
    endpoints: {
      ...endpoints,
      join: timed('join', endpoints.join),
      leave: timed('leave', endpoints.leave),
      connect: timed('connect', endpoints.connect),
      disconnect: timed('disconnect', endpoints.disconnect),
    },
  };
}
