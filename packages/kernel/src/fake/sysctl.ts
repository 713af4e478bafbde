/**
 * The fake's /proc/sys: global knobs with their defaults, and per-interface knobs under
 * net.ipv{4,6}.conf.<if>.* that exist only while the interface does (or for all/default).
 */

const GLOBALS: Record<string, string> = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.ip_local_port_range': '32768\t60999',
};

const PER_INTERFACE: Record<'ipv4' | 'ipv6', Record<string, string>> = {
  ipv4: { forwarding: '0', route_localnet: '0', proxy_arp: '0', rp_filter: '0', accept_redirects: '1', send_redirects: '1' },
  ipv6: { forwarding: '0', disable_ipv6: '0', accept_ra: '1', accept_dad: '1', autoconf: '1' },
};

/** Keys the kernel keeps equal (writing one writes the other). */
const ALIASES: Record<string, string> = {
  'net.ipv4.ip_forward': 'net.ipv4.conf.all.forwarding',
  'net.ipv4.conf.all.forwarding': 'net.ipv4.ip_forward',
};

const CONF_RE = /^net\.(ipv4|ipv6)\.conf\.([^.]+)\.([a-z0-9_]+)$/;

export class FakeSysctl {
  private readonly values = new Map<string, string>();

  constructor(
    seed: Record<string, string>,
    private readonly rootHasInterface: (name: string) => boolean,
  ) {
    for (const [k, v] of Object.entries(seed)) this.values.set(k, v);
  }

  /** The value of a key that exists right now, or undefined when the kernel has no such file. */
  get(key: string): string | undefined {
    const m = CONF_RE.exec(key);
    if (m) {
      const [, proto, iface, knob] = m as unknown as [string, 'ipv4' | 'ipv6', string, string];
      const exists = iface === 'all' || iface === 'default' || this.rootHasInterface(iface.replaceAll('/', '.'));
      return exists ? (this.values.get(key) ?? PER_INTERFACE[proto][knob]) : undefined;
    }
    return this.values.get(key) ?? GLOBALS[key];
  }

  /** false when the key does not exist */
  set(key: string, value: string): boolean {
    if (this.get(key) === undefined) return false;
    this.values.set(key, value);
    const alias = ALIASES[key];
    if (alias !== undefined) this.values.set(alias, value);
    return true;
  }
}
