import { pluginError } from './errors.js';
import type { PortRequest } from '../controller/ports.js';

const PORTMAP = 'com.docker.network.portmap';
const PROTOCOLS: Record<number, PortRequest['protocol']> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

interface Binding {
  Proto?: unknown;
  IP?: unknown;
  Port?: unknown;
  HostIP?: unknown;
  HostPort?: unknown;
  HostPortEnd?: unknown;
}

const portNumber = (v: unknown, what: string, min: number) => {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 65535) throw pluginError('PB_ERR_INVALID_OPTION', `${PORTMAP}: ${what} ${JSON.stringify(v)} is not a port number`);
  return v;
};

/**
 * `com.docker.network.portmap` (the `-p` of docker run) → patchbay's published ports. dockerd
 * programs no NAT for a remote driver's endpoints: patchbay's DNAT does. A host port range
 * (HostPort..HostPortEnd) takes its first port, as dockerd's own bridge does when it is free.
 */
export function portsFromOptions(options: Record<string, unknown> | null | undefined): PortRequest[] {
  const raw = options?.[PORTMAP];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw pluginError('PB_ERR_INVALID_OPTION', `${PORTMAP} must be a list of port bindings`);
  return (raw as Binding[]).map((b) => {
    const protocol = PROTOCOLS[b.Proto as number];
    if (!protocol) throw pluginError('PB_ERR_INVALID_OPTION', `${PORTMAP}: protocol number ${JSON.stringify(b.Proto)} is not tcp (6), udp (17) or sctp (132)`);
    const hostIp = typeof b.HostIP === 'string' ? b.HostIP : '';
    return {
      containerPort: portNumber(b.Port, 'container port', 1),
      hostPort: portNumber(b.HostPort, 'host port', 0),
      protocol,
      ...(hostIp ? { hostIp } : {}),
    };
  });
}
