import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { PatchbayError } from '@patchbay/errors';
import type { Kernel } from '@patchbay/kernel';

const HOST_ID_FILE = 'host-id';

/**
 * This host's id in the cluster: made once (random) and kept in the data root, so a restart,
 * an address change or a new hostname is the same host and finds what it published.
 */
export function loadHostId(dataRoot: string): string {
  const path = join(dataRoot, HOST_ID_FILE);
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = randomBytes(16).toString('hex');
  mkdirSync(dataRoot, { recursive: true });
  writeFileSync(path, `${id}\n`, { mode: 0o644 });
  return id;
}

export interface Underlay {
  /** the VTEP address other hosts send VXLAN to */
  address: string;
  /** the MTU of the interface carrying it (overlay networks get this minus 50) */
  mtu: number;
}

/**
 * `--cluster-advertise`: an IPv4 address of this host, or an interface whose first IPv4 address
 * is used. Read once at start; refused when nothing on this host carries it.
 */
export async function resolveUnderlay(kernel: Kernel, advertise: string): Promise<Underlay> {
  const [addresses, links] = await Promise.all([kernel.addresses(null), kernel.links(null)]);
  const v4 = addresses.filter((a) => a.family === 4);
  const found = isIP(advertise) === 4 ? v4.find((a) => a.cidr.split('/')[0] === advertise) : v4.find((a) => a.dev === advertise);
  if (!found) {
    const what = isIP(advertise) ? `no interface has address ${advertise}` : `interface ${advertise} has no IPv4 address`;
    throw new PatchbayError('PB_ERR_INVALID', `invalid --cluster-advertise "${advertise}": ${what}`);
  }
  const link = links.find((l) => l.name === found.dev);
  return { address: found.cidr.split('/')[0]!, mtu: link?.mtu ?? 1500 };
}
