import type { Core } from '../core.js';
import { driverNetwork } from '../driver-objects.js';
import type { Planned, Snapshot } from './plan.js';

/** Ready networks against the kernel, through their drivers' checks. */
export function planNetworks(core: Core, snap: Snapshot): Planned[] {
  const planned: Planned[] = [];
  for (const net of snap.networks) {
    const check = net.state === 'ready' ? core.registry.get(net.driver).checkNetwork : undefined;
    if (!check) continue;
    for (const d of check(driverNetwork(core.store, net), snap.root, core.driverCtx)) {
      planned.push({
        drift: { kind: d.kind, object: `network ${net.name}`, action: d.action },
        repair: async () => {
          await d.repair();
          if (!d.remadeDevice) return;
          // the new device has none of the old one's sysctls (route_localnet for published ports)
          core.firewallSync.forgetApplied();
          await core.firewallSync.sync();
        },
      });
    }
  }
  return planned;
}
