import type { Kernel } from '@patchbay/kernel';
import type { Controller, ControllerHooks } from '../controller/index.js';
import { instrumentKernel } from './kernel.js';
import { instrumentOperations } from './operations.js';
import type { Metrics } from './registry.js';

/**
 * Makes the controller with `create`, handing it the kernel timed per exchange and the metrics'
 * hooks; returns it with its operations counted (outcomes and latency: the wrapper sees failures,
 * which the change feed never carries), its changes counted from the feed, and points the
 * scrape-time gauges at it.
 */
export function observedController(
  metrics: Metrics,
  kernel: { kernel: Kernel; backend: string },
  create: (kernel: Kernel, hooks: ControllerHooks) => Controller,
): Controller {
  const controller = instrumentOperations(create(instrumentKernel(kernel.kernel, metrics, kernel.backend), metrics.controllerHooks), metrics);
  controller.changes.subscribe(metrics.countChange);
  metrics.sources.controller = controller;
  return controller;
}
