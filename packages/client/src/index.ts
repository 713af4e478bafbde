export { createClient, type ClientOptions, type PatchbayClient } from './client.js';
export { ApiError, ConnectionError, ProtocolError } from './errors.js';
export { DEFAULT_HOST, parseHost, type Target } from './host.js';
export type {
  CheckResult,
  ConnectInput,
  DisconnectInput,
  Drift,
  EndpointCreateInput,
  NetworkCreateInput,
  ReconcileResult,
  SandboxCreateInput,
} from './types.js';
