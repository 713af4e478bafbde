import { PatchbayError, type ErrorCode } from '@patchbay/errors';
import { toErrorBody } from '../http/errors.js';

/** The two interfaces dockerd calls, each with its own error key. */
export type PluginInterface = 'NetworkDriver' | 'IpamDriver' | 'Plugin';

export const interfaceOf = (url: string): PluginInterface => {
  const path = url.split('?')[0]!;
  if (path.startsWith('/IpamDriver.')) return 'IpamDriver';
  if (path.startsWith('/Plugin.')) return 'Plugin';
  return 'NetworkDriver';
};

export const pluginError = (code: ErrorCode, message: string) => new PatchbayError(code, message);

/**
 * How dockerd reads a failure. The network driver: `{"Err"}` with the status of the error's kind,
 * which dockerd shows as `NetworkDriver.<Method>: <message>`. The IPAM driver: `{"Error"}` on a
 * 200, which dockerd shows as `remote: <message>` (an IPAM body on a non-200 is shown raw, as JSON).
 */
export function toPluginError(err: unknown, iface: PluginInterface): { status: number; body: { Err: string } | { Error: string } } {
  const { status, message } = toErrorBody(err);
  if (iface === 'IpamDriver') return { status: 200, body: { Error: message } };
  return { status, body: { Err: message } };
}
