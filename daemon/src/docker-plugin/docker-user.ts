import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';

/** The chain Docker documents for rules of others, evaluated first in iptables' FORWARD. */
export const DOCKER_USER = 'DOCKER-USER';
const MARK = ['-m', 'comment', '--comment', 'patchbay'];

/** The two rules that let one bridge's traffic past iptables (patchbay's own nft rules still decide). */
export const acceptRules = (bridge: string): string[][] => [
  ['-i', bridge, ...MARK, '-j', 'ACCEPT'],
  ['-o', bridge, ...MARK, '-j', 'ACCEPT'],
];
const isOurs = (rule: readonly string[]) => rule.join(' ').includes(MARK.join(' '));
const keyOf = (rule: readonly string[]) => rule.join(' ');

/**
 * Make patchbay's rules in one family's DOCKER-USER exactly `wanted`; other rules are never
 * touched. The chain is made only with `makeChain` (IPv6: only where dockerd made it, as
 * ip6tables is optional in dockerd 20.10).
 */
async function syncFamily(kernel: Kernel, log: Logger, family: 4 | 6, wanted: string[][], makeChain: boolean): Promise<void> {
  let current = await kernel.iptablesList(family, DOCKER_USER);
  if (current === undefined) {
    if (!makeChain || wanted.length === 0) return;
    await kernel.iptables(family, [{ op: 'chain.add', chain: DOCKER_USER }]);
    current = [];
  }
  const have = new Set(current.filter(isOurs).map(keyOf));
  const want = new Set(wanted.map(keyOf));
  const ops = [
    ...current.filter((r) => isOurs(r) && !want.has(keyOf(r))).map((rule) => ({ op: 'rule.delete' as const, chain: DOCKER_USER, rule })),
    ...wanted.filter((r) => !have.has(keyOf(r))).map((rule) => ({ op: 'rule.insert' as const, chain: DOCKER_USER, rule })),
  ];
  if (ops.length === 0) return;
  await kernel.iptables(family, ops);
  log.info({ family, chain: DOCKER_USER, changes: ops.length }, 'DOCKER-USER rules updated for patchbay bridges');
}

/**
 * `--cleanup`: remove every rule patchbay put in DOCKER-USER (both families), leaving Docker's
 * chain and anyone else's rules. Without iptables, or without the chain, there is nothing to do.
 */
export async function removeDockerUserRules(kernel: Kernel, log: Logger): Promise<void> {
  for (const family of [4, 6] as const) {
    await syncFamily(kernel, log, family, [], false).catch((err: unknown) => log.debug({ err, family }, 'DOCKER-USER left alone'));
  }
}

/**
 * dockerd sets iptables' FORWARD policy to DROP (and turns on bridge-nf-call-iptables, so even
 * traffic between two ports of one bridge crosses that chain): a DROP there is final whatever
 * patchbay's nft tables accept. patchbay adds, for each of its bridges, an ACCEPT for traffic in
 * and out of it to DOCKER-USER — the chain Docker documents for exactly this, jumped to first from
 * FORWARD — and touches nothing else of Docker's. Isolation, ICC, internal networks and published
 * ports stay the business of patchbay's own nft table, which sees the same packets.
 * The chain is made when dockerd has not made it yet (dockerd keeps an existing one).
 */
export function createDockerUserSync(kernel: Kernel, bridges: () => string[], log: Logger) {
  let running: Promise<void> | undefined;
  let again = false;

  async function syncOnce() {
    const wanted = bridges().flatMap(acceptRules);
    await syncFamily(kernel, log, 4, wanted, true);
    // IPv6 is best effort: ip6tables may be missing, or refuse a table it did not make
    await syncFamily(kernel, log, 6, wanted, false).catch((err: unknown) => log.debug({ err }, 'DOCKER-USER (IPv6) left alone'));
  }

  /** Bring DOCKER-USER in line with the bridges; calls while one runs are folded into one more run. */
  function sync(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await syncOnce();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  return { sync };
}
export type DockerUserSync = ReturnType<typeof createDockerUserSync>;
