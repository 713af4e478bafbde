import type { Drift } from '@patchbay/api';

/** The firewall seen by reconcile: compare with the store, re-apply on drift. */
export interface FirewallCheck {
  check(): Promise<{ ok: boolean; reason?: string }>;
  repair(): Promise<void>;
}

/** Checked last: the other repairs may have changed the model (a dropped sandbox's ports). */
export async function planFirewall(firewall: FirewallCheck): Promise<{ drift: Drift; repair(): Promise<void> } | undefined> {
  const fw = await firewall.check();
  if (fw.ok) return undefined;
  return { drift: { kind: 'firewall', object: 'patchbay nft tables', action: `re-apply the rules (${fw.reason ?? 'differ'})` }, repair: () => firewall.repair() };
}
