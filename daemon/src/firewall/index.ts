export type { FirewallModel, FirewallNetwork, FirewallPort } from './model.js';
export { renderRuleset, planUpdate, needsFullRender } from './render.js';
export { requiredSysctls } from './sysctls.js';
export { createFirewall, type Firewall, type FirewallOptions, type FirewallKernel, type FirewallLogger, type CheckResult } from './firewall.js';
export { TABLE_NAME } from './schema.js';
