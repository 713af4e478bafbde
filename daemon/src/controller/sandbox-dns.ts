/**
 * What a sandbox is told about DNS: the nameservers of the DNS networks it is joined to, in join
 * order (at most three: glibc reads no more), and patchbay's search domain. Each of its networks'
 * servers answers for all of the sandbox's networks, so merging only adds fallbacks. Sandboxes
 * patchbay made get it as <netnsEtc>/<netns name>/resolv.conf, which `ip netns exec` bind-mounts
 * over /etc/resolv.conf; an adopted namespace belongs to someone else, who learns it from the API.
 */
import { basename } from 'node:path';
import type { Step } from '@patchbay/kernel';
import { MAX_NAMESERVERS, removeSandboxResolvConf, writeSandboxResolvConf, type DnsClientConfig } from '../dns/index.js';
import type { EndpointRecord, SandboxRecord } from '../store/index.js';
import type { Core } from './core.js';

export function sandboxDnsConfig(core: Core, endpoints: readonly Pick<EndpointRecord, 'networkId' | 'ifIndex'>[]): DnsClientConfig | undefined {
  const nameservers: string[] = [];
  const search: string[] = [];
  for (const ep of [...endpoints].sort((a, b) => (a.ifIndex ?? 0) - (b.ifIndex ?? 0))) {
    const config = core.dns.clientConfig(ep.networkId);
    for (const n of config?.nameservers ?? []) if (!nameservers.includes(n)) nameservers.push(n);
    for (const s of config?.search ?? []) if (!search.includes(s)) search.push(s);
  }
  return nameservers.length === 0 ? undefined : { nameservers: nameservers.slice(0, MAX_NAMESERVERS), search };
}

/** The name `ip netns exec` knows a sandbox patchbay made by (its key is /run/netns/<name>). */
const netnsName = (sb: SandboxRecord) => basename(sb.key);

const same = (a: DnsClientConfig | undefined, b: DnsClientConfig | undefined) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The step that moves a sandbox's resolv.conf from what its endpoints `before` a join or leave
 * give to what they give `after` it (written, or removed when no DNS network is left), with the
 * way back as its undo; none when nothing changes or the sandbox is adopted.
 */
export function resolvConfSteps(core: Core, sb: SandboxRecord, before: readonly EndpointRecord[], after: readonly EndpointRecord[]): Step[] {
  if (sb.external) return [];
  const from = sandboxDnsConfig(core, before);
  const to = sandboxDnsConfig(core, after);
  if (same(from, to)) return [];
  const name = netnsName(sb);
  const root = core.config.netnsEtc;
  const put = (config: DnsClientConfig | undefined) => async () => {
    if (config) await writeSandboxResolvConf(name, config, root);
    else await removeSandboxResolvConf(name, root);
  };
  return [{ name: `${to ? 'write' : 'remove'} ${root}/${name}/resolv.conf`, run: put(to), undo: put(from) }];
}

/** A deleted sandbox's resolv.conf goes with it (a missing file is success). */
export async function removeResolvConf(core: Core, sb: SandboxRecord): Promise<void> {
  if (sb.external || !core.dns.enabled) return;
  await removeSandboxResolvConf(netnsName(sb), core.config.netnsEtc);
}
