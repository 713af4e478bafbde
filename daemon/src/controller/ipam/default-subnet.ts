import { readFileSync } from 'node:fs';
import { choosePool, type PoolDef } from '@patchbay/ipam';
import type { Kernel } from '@patchbay/kernel';

function nameservers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((s): s is string => s !== undefined);
  } catch {
    return [];
  }
}

/** The first IPv4 subnet of the default pools that overlaps no pool in use, on-link host route or resolver. */
export async function chooseDefaultSubnet(kernel: Kernel, pools: readonly PoolDef[], inUse: readonly string[]): Promise<string> {
  const hostRoutes = (await kernel.routes(null)).filter((r) => r.family === 4 && r.dst !== 'default' && r.scope === 'link');
  return choosePool({ pools, inUse, hostRoutes: hostRoutes.map((r) => r.dst), nameservers: nameservers(), family: 4 });
}
