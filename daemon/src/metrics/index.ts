export { createMetrics, type Metrics, type MetricSources } from './registry.js';
export { registerMetricsRoutes, UNMATCHED_ROUTE } from './http.js';
export { instrumentKernel } from './kernel.js';
export { instrumentOperations, outcomeOf, type Outcome } from './operations.js';
export { observedController } from './wiring.js';
