export * from './contract.js';
export * from './steps.js';
export { createRealKernel, resolveKernelBackend, type RealKernelOptions, type KernelBackendChoice } from './real.js';
export { createFakeKernel, BRIDGE_MAX_PORTS, type FakeKernel, type FakeKernelOptions, type FakeCall, type KernelMethod } from './fake.js';
export { withFaults, MUTATING_METHODS, type FaultyKernel, type MutatingMethod } from './faulty.js';
export { processRunner, type Runner, type RunResult, type KernelLogger } from './exec.js';
export { ipArgv, renderOp, renderLine } from './ip-batch.js';
export { checkIfname, checkNetnsName, checkNetnsRef, isSafeNetnsPath, namedNetns, netnsPathOf } from './validate.js';
export { linkKindMissing, requireLinkKinds } from './link-kinds.js';
