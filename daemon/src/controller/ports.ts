import { PatchbayError } from '@patchbay/errors';
import type { PortRecord, Store } from '../store/index.js';

export interface PortRequest {
  hostIp?: string;
  hostPort?: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

const WILDCARDS = new Set(['', '0.0.0.0', '::']);
const clashes = (a: string, b: string) => a === b || WILDCARDS.has(a) || WILDCARDS.has(b);

/**
 * Turn requested publications into port rows: fixed host ports are checked for conflicts, host
 * port 0 picks a free one from the ephemeral range. Synchronous: use inside the endpoint's transaction.
 */
export function assignPorts(store: Store, endpointId: string, requests: PortRequest[], range: [number, number]): PortRecord[] {
  const out: PortRecord[] = [];
  const inUse = (hostIp: string, hostPort: number, protocol: string) =>
    store.portsOnHostPort(hostPort, protocol).some((p) => clashes(p.hostIp, hostIp)) ||
    out.some((p) => p.hostPort === hostPort && p.protocol === protocol && clashes(p.hostIp, hostIp));
  for (const r of requests) {
    const hostIp = r.hostIp ?? '';
    let hostPort = r.hostPort ?? 0;
    if (hostPort === 0) {
      const [lo, hi] = range;
      const span = hi - lo + 1;
      const start = lo + Math.floor(Math.random() * span);
      for (let i = 0; i < span && hostPort === 0; i++) {
        const candidate = lo + ((start - lo + i) % span);
        if (!inUse(hostIp, candidate, r.protocol)) hostPort = candidate;
      }
      if (hostPort === 0) throw new PatchbayError('PB_ERR_PORT_IN_USE', `no free host port left for ${r.protocol} in ${lo}-${hi}`);
    } else if (inUse(hostIp, hostPort, r.protocol)) {
      throw new PatchbayError('PB_ERR_PORT_IN_USE', `Bind for ${hostIp || '0.0.0.0'}:${hostPort} failed: port is already allocated`);
    }
    const row: PortRecord = { endpointId, hostIp, hostPort, protocol: r.protocol, containerPort: r.containerPort };
    store.insertPort(row);
    out.push(row);
  }
  return out;
}

export function parsePortRange(text: string | undefined): [number, number] {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text ?? '');
  const lo = m ? Number(m[1]) : 49153;
  const hi = m ? Number(m[2]) : 65535;
  return lo <= hi ? [lo, hi] : [49153, 65535];
}
