import type { IpOp } from '@patchbay/kernel';
import type { Core } from '../core.js';
import { driverNetwork } from '../driver-objects.js';
import { sandboxNetnsName } from '../sandboxes.js';
import type { Planned, Snapshot } from './plan.js';

/**
 * Links with a name some driver gives, and namespaces with a sandbox's name, that no record
 * owns: left by a crash or made by hand. Retired links are the reaper's (see reaper.ts), parked
 * ones the parking's (parked-links.ts).
 */
export function planOrphans(core: Core, snap: Snapshot): Planned[] {
  const { registry, kernel } = core;
  const drivers = registry.all().filter((d) => d.ownsLinkName);
  const owned = new Set<string>();
  for (const net of snap.networks) {
    const driver = registry.get(net.driver);
    const dnet = driverNetwork(core.store, net);
    const name = driver.hostInterface?.(dnet);
    if (name) owned.add(name);
    for (const link of driver.networkLinks?.(dnet) ?? []) owned.add(link);
  }
  for (const ep of snap.endpoints) if (ep.hostIf) owned.add(ep.hostIf);
  // (a link in the default group has no group here: only a group that is set excludes)
  const spared = new Set([core.driverCtx.retiredLinkGroup, core.driverCtx.parkedLinks?.group].filter((g) => g !== undefined));
  const orphans = [...snap.root.links.values()].filter(
    (l) => !owned.has(l.name) && (l.group === undefined || !spared.has(l.group)) && drivers.some((d) => d.ownsLinkName!(l.name)),
  );
  const planned: Planned[] = [];
  // one batch deletes them all (after a crash there may be hundreds)
  let orphansGone: Promise<void> | undefined;
  const deleteOrphans = () => (orphansGone ??= kernel.ip(null, orphans.map((l): IpOp => ({ op: 'link.del', name: l.name })), { ignoreMissing: true }));
  for (const link of orphans) planned.push({ drift: { kind: 'orphan-link', object: `link ${link.name}`, action: 'delete' }, repair: deleteOrphans });

  const ownedNetns = new Set(snap.sandboxes.map((s) => sandboxNetnsName(s.id)));
  for (const name of snap.netnsNames) {
    if (!name.startsWith('pb-') || ownedNetns.has(name)) continue;
    planned.push({ drift: { kind: 'orphan-netns', object: `namespace ${name}`, action: 'delete' }, repair: () => kernel.netnsDelete(name) });
  }
  return planned;
}
