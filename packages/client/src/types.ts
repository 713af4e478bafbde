import type {
  ConnectRequest as ConnectRequestSchema,
  DisconnectRequest as DisconnectRequestSchema,
  EndpointCreate as EndpointCreateSchema,
  NetworkCreate as NetworkCreateSchema,
  SandboxCreate as SandboxCreateSchema,
} from '@patchbay/api';

/**
 * What a caller may send: the schema's input side, where defaulted fields are optional
 * (z.infer gives the output side, where they are required). Written against zod 4's `_zod`
 * member so this workspace needs no zod import of its own.
 */
type Input<S extends { _zod: { input: unknown } }> = S['_zod']['input'];

export type NetworkCreateInput = Input<typeof NetworkCreateSchema>;
export type SandboxCreateInput = Input<typeof SandboxCreateSchema>;
export type EndpointCreateInput = Input<typeof EndpointCreateSchema>;
export type ConnectInput = Input<typeof ConnectRequestSchema>;
export type DisconnectInput = Input<typeof DisconnectRequestSchema>;

export type { CheckResult, Drift, ReconcileResult } from '@patchbay/api';
