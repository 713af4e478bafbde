import type { BenchConfig } from './config.js';
import type { Machine } from './machine.js';
import type { Cell, Results } from './results.js';
import { ratio, ROWS, type RowDef } from './rows.js';
import type { SideKey } from './sides.js';

const SIDE_COLUMNS: readonly { key: SideKey; title: string }[] = [
  { key: 'patchbay', title: 'patchbay' },
  { key: 'cni', title: 'CNI bridge + host-local' },
  { key: 'floor', title: 'raw `ip` floor' },
  { key: 'kernelFloor', title: 'in-process netlink floor (growth rows, information)' },
  { key: 'cniMasq', title: 'CNI + ipMasq (info)' },
  { key: 'aardvark', title: "podman's aardvark-dns (DNS rows)" },
  { key: 'dockerd', title: 'dockerd 20.10 (Engine API rows; Docker rows: its own bridge driver)' },
];

/** Milliseconds with precision that suits their size. */
export function ms(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatCell(cell: Cell | undefined, fallback: string): string {
  if (!cell) return fallback;
  switch (cell.kind) {
    case 'samples':
      return `${ms(cell.summary.median)} (${ms(cell.summary.p90)}${cell.p99 === undefined ? '' : `; p99 ${ms(cell.p99)}`})`;
    case 'growth':
      return `${ms(cell.growth.first.median)} → ${ms(cell.growth.last.median)} (${cell.growth.ratio.toFixed(2)}×)`;
    case 'wall':
      return `${ms(cell.ms)} ms, ${((cell.count * 1000) / cell.ms).toFixed(0)}/s`;
    case 'scalar':
      return cell.unit === 'MB' ? `${cell.value.toFixed(1)} MB` : String(cell.value);
    case 'rate': {
      const problems = [cell.lost > 0 ? `${cell.lost} lost` : '', cell.wrong > 0 ? `${cell.wrong} wrong` : ''].filter(Boolean);
      return `${Math.round(cell.perSecond)}/s, ${ms(cell.latency.median)} (${ms(cell.latency.p90)})${problems.length > 0 ? `, ${problems.join(', ')}` : ''}`;
    }
    case 'na':
      return `n/a (${cell.reason})`;
    case 'error':
      return 'failed (see below)';
  }
}

function fallbackFor(row: RowDef, side: SideKey, cfg: BenchConfig): string {
  const reason = row.notApplicable?.[side];
  if (reason) return `n/a (${reason})`;
  if (side === 'patchbay' && cfg.patchbaySkip) return `n/a (${cfg.patchbaySkip})`;
  return '—';
}

function ratioText(results: Results, row: RowDef, other: SideKey): string {
  if (!row.ratios) return '';
  const x = ratio(results, row.metric, other);
  return x === undefined ? '—' : `${x.toFixed(2)}×`;
}

/** The one table: medians (p90) per side, ratios, and the issue's targets with PASS/MISS. */
export function renderTable(results: Results, cfg: BenchConfig): string {
  const header = ['measurement (ms: median (p90))', ...SIDE_COLUMNS.map((c) => c.title), 'patchbay ÷ CNI', 'patchbay ÷ floor', 'patchbay ÷ dockerd', 'target (patchbay)', 'result'];
  const body = ROWS.map((row) => {
    const verdicts = (row.targets ?? []).map((t) => {
      const ok = t.check(results);
      return ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS';
    });
    return [
      row.label(cfg),
      ...SIDE_COLUMNS.map((c) => formatCell(results.get(row.metric, c.key), fallbackFor(row, c.key, cfg))),
      ratioText(results, row, 'cni'),
      ratioText(results, row, 'floor'),
      ratioText(results, row, 'dockerd'),
      (row.targets ?? []).map((t) => t.text).join('; '),
      verdicts.join('; '),
    ];
  });
  return markdownTable(header, body);
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function notes(cfg: BenchConfig): string[] {
  const windowOf = (n: number): number => Math.min(cfg.growthWindow, Math.floor(n / 2));
  return [
    `Sizes: ${cfg.iterations} timed rounds (after ${cfg.warmup} warm-up rounds) for attach/detach, ${cfg.networkIterations} for network create/delete; ${cfg.concurrency} concurrent attaches. Growth rows show the median of the first ${windowOf(cfg.growthEndpoints)} → the last ${windowOf(cfg.growthEndpoints)} of ${cfg.growthEndpoints} attaches (and detaches), and of the first ${windowOf(cfg.growthNetworks)} → the last ${windowOf(cfg.growthNetworks)} of ${cfg.growthNetworks} network creates, with last ÷ first in parentheses.`,
    ...(cfg.mode === 'quick' ? ['**Quick run**: sizes are shrunk for a smoke test; the targets are only meaningful for a full run.'] : []),
    'Targets concern patchbay and come from issue 6 (attach, detach, concurrency, growth of network creates, memory, restart), the CNI plugin, DNS and overlay issues (their rows), and issue 16 (the dockerd rows, network create and delete against the floor, and endpoint growth against the `ip` floor\'s growth, which replaced issue 6\'s "last ≤ 1.5× first" there); PASS/MISS compare medians (wall time for the concurrency row).',
    'Times are wall-clock milliseconds per operation as the caller sees them: process spawn to exit for CNI and `ip`, request to response for patchbay.',
    '**Network namespaces are pre-created and not timed**, for all sides (one `ip -batch` of `netns add`); every attach goes into a fresh one.',
    'patchbay: the namespace is adopted first (`POST /v1/sandboxes {netnsPath}`, untimed); the timed call is `POST /v1/networks/{id}/connect {sandbox}` (detach: `…/disconnect`) over the daemon\'s unix socket, keep-alive HTTP, as an engine would call it. Network create/delete are `POST /v1/networks` and `DELETE /v1/networks/{id}` and include patchbay\'s firewall rules for the network.',
    'patchbay makes its link, address and route changes through its in-process netlink addon (`packages/kernel/native`, on libuv worker threads), not through `ip` processes (a veth is made with one transmit and one receive queue on each end, so the kernel does not cut per-CPU queues down after registering it, an RCU wait under rtnl; a join\'s two batches, the veth on the host side and its peer\'s addresses, link up and route in the container\'s namespace, go to one worker thread in one call that enters each namespace in turn, and that worker runs beside the event loop: one the scheduler puts on the loop\'s own CPU, as these VMs do with a thread woken by another, moves to another CPU for the call; a connect writes its endpoint\'s row and the sandbox\'s resolv.conf while the kernel makes the link, the file replaced by exchanging names, without the writeback ext4 starts when a rename replaces a file; the network\'s row and pools, read some fifteen times by a connect, are decoded once and kept until a write; a join or leave of an endpoint that publishes no ports leaves the firewall alone, and a request\'s own metrics are recorded after its answer), and its nft set-element changes through libnftables inside the daemon (the library `nft` is built on, opened by the same addon), not through an `nft` process. Its detach answers once the endpoint is cut off (host end of the veth down: the container\'s eth0 loses carrier and the bridge port stops forwarding) and the endpoint, its address and its ports are released; the veth itself is deleted by a background reaper, in one kernel operation for every link retired meanwhile (the kernel\'s RCU wait of about 20 ms per delete, which the raw `ip` and CNI columns pay inside their detach). That deletion holds the kernel\'s global rtnl lock, which every join needs, so the reaper (and the sysctl writes that turn IPv6 off on new host veths, made from a thread at idle priority: the sysctl restarts its write until it gets rtnl, so a write made while another process holds rtnl spins only on a CPU nothing else wants) waits for a pause in the daemon\'s own kernel work after a leave: 20 ms without one of its kernel calls, 1 s or 32 leaves at most; a connect right after a disconnect does not wait behind it. A leave that has the container\'s end to take down leaves the host end up (it loses its carrier with its peer, so the bridge port stops forwarding): one link-down, with its RCU wait, instead of two. Its peer in the container goes down and is renamed in the same leave, so a join into that sandbox right after gets `eth0` again without waiting; a sandbox delete, a network create whose bridge name a retired bridge still holds, `system check` and shutdown wait for the reaper. A network delete retires its bridge the same way (its deletion starts at once); its firewall change, like a network create\'s, is a batch of nft set-element changes. A disconnect (whose endpoint goes with it) parks the pair instead of retiring it: the host end stays up on the bridge in a group of its own, the container\'s end goes down without its address and keeps its name, and a connect of the same container to the same network within a second sets that pair up again (its address, MAC and route; no veth made, none deleted, no rename); a pair not taken back in time, or in the way of another network\'s join, is retired as above (the Engine API connect/disconnect rows measure this; `PATCHBAY_PARK_LINKS=0` turns it off).',
    'A network create does no work per existing network: each network\'s row and pools are read once and kept until its state changes (the network cache), its firewall set elements are computed once per network, and the element batch is computed from the networks that came or went only; subnet overlap checks read only the pools\' subnet texts. So the 200th create costs what the first does (the growth row).',
    'Sandbox create/delete (information, no target): a container\'s namespace with loopback up, as `POST /v1/sandboxes {name}` and `DELETE /v1/sandboxes/{id}` (patchbay makes it in-process, as `ip netns add` does) against `ip netns add` + `ip -n NAME link set lo up` and `ip netns delete` (the floor). With CNI the runtime makes the namespace, so it has no column here.',
    'CNI: `/usr/lib/cni/bridge` executed directly the way a runtime does (CNI_* environment, config on stdin; no libcni/cnitool), `isGateway: true`, `host-local` IPAM with its `dataDir` in a temp dir. `ipMasq: false` in the compared column. The bench\'s patchbay networks are not internal, so patchbay masquerades for them; it sets that up per network at network create (DESIGN.md), while CNI\'s ipMasq adds iptables rules on every ADD and DEL. The "CNI + ipMasq" column shows what those cost, for information only.',
    'CNI plugin rows: patchbay\'s plugin (`packages/cni`, a small C client that hands ADD/DEL to the daemon over its unix socket) and the reference `bridge` + `host-local` exec\'d the same way into fresh namespaces, one process per call; VERSION is answered by each binary itself, against an exec of `/bin/true`.',
    'raw `ip` floor: the same kernel changes with no bookkeeping, in the fewest processes: attach = `ip -batch -` on the host side (veth with its peer created in the netns, enslave, up) + `ip -n NS -batch -` (address, up, default route); detach = `ip link del`; network create = bridge + address + up in one `ip -batch -`, then the same nft set-element changes patchbay makes (bridge, icc verdict, subnet, masquerade) through one `nft -f -` into a table of the floor\'s own (network delete: `ip link del` + the element deletions); the "nft process alone" row times that nft run. Addresses are computed, not allocated.',
    'Engine API rows (issue 16): a real dockerd (Debian\'s docker.io, `--storage-driver vfs`) in a network + mount namespace the bench makes inside its own (private tmpfs on /run), against patchbay\'s Docker-compatible API, both driven by the same client code (`test/bench/docker-api.ts`: the requests the docker CLI sends, API v1.41, keep-alive over each unix socket, through a lean HTTP/1.1 client, `test/bench/http.ts`, whose own cost per call is near a Go client\'s: node:http\'s client costs some 0.45 ms more per call here, the same for both daemons, which pulled the ratios toward 1; `test/bench/client-cost.ts` measures the two), interleaved round by round. Network create is `POST /networks/create` (bridge driver, one /24); connect/disconnect move a running container (dockerd: the `mini` image imported from busybox-static, `sleep`; patchbay: a sandbox) onto a second network and off it again. Without docker.io the dockerd column says why.',
    'Each round runs every side once, with the starting side rotated, so background load falls on all sides alike. Concurrency runs go one side after the other; the growth runs of the `ip` floor, the in-process netlink floor and patchbay go side by side, one attach (and detach) of each in turn with the starting side rotated, each into namespaces of its own and each floor\'s bridge in a host namespace of its own (so a drift of the machine\'s speed during the run falls on all three, and no side\'s ports are in another\'s namespace); CNI\'s growth run goes before them, on its own. The in-process netlink floor (growth rows only, information) makes the same kernel changes as patchbay\'s join, in one call through the same netlink code (packages/kernel) from the bench\'s process, with no bookkeeping and no process spawned: its growth is the kernel\'s own, which the `ip` floor\'s two process spawns per attach hide (their median of 100 moves by ±2 ms from run to run). For CNI the bridge is created by an untimed ADD+DEL before each run, as the other sides create their network untimed.',
    `DNS rows (issue 14): test/bench/dns.ts — patchbay's resolver (the daemon's DNS service, run on its own in a process, per-client rate limit lifted) and podman's aardvark-dns answer the same 100 names on loopback addresses, each in its own process, and forward other names to the same fake upstream; a closed-loop UDP load of ${cfg.dnsConcurrency} queries in flight, ${cfg.mode === 'quick' ? '2 rounds of 500' : '5 rounds of 1500'} ms per cell with the starting server rotated. Answers/s is the median round; latencies are over every answered query. The "attach, network with DNS off" row is the attach row's patchbay side on a network with \`-o patchbay.dns=false\`, interleaved with it: the attach row has DNS on (the connect publishes the sandbox's records; adopted namespaces get no resolv.conf file).`,
    'Docker rows (issue 11): test/bench/docker-run-phase.ts — a real dockerd (docker.io 20.10, vfs storage, a busybox image) in the bench namespace, with a private /run and /etc/docker; `docker run -d --network N mini sleep 1000` then `docker rm -f`, timed together, on a `-d patchbay --ipam-driver patchbay` network and on a network of dockerd\'s own bridge driver in turn (docker\'s own start-up and teardown dominate both). The Join row is the plugin\'s `NetworkDriver.Join` called over its socket as dockerd calls it (after an untimed RequestAddress and CreateEndpoint): the veth made in dockerd\'s namespace and its host end on the bridge, published ports live.',
    `Overlay rows (issue 13): test/bench/overlay-phase.ts — simulated hosts, each a network + mount namespace of its own (private /run/netns) with \`eth0\` on an underlay bridge and its own patchbayd (the built daemon, \`--cluster-store\` pointed at one etcd-server on the underlay, default lease TTL 15 s); every host runs \`ip monitor neigh\`, which reports each neighbour and FDB entry its daemon programs as the kernel takes it (no polling). Attach: \`POST /v1/networks/{id}/connect\` of a fresh sandbox on an overlay network and on a bridge network of the same daemon, alternating. Reach: a connect on each of 3 hosts in turn, from its request until both other hosts hold the new endpoint's neighbour (IP → MAC) and FDB (MAC → VTEP) entries (${cfg.mode === 'quick' ? 20 : 100} samples; the log splits it at the moment an etcd watcher of the bench sees the publication). Restart: 10 hosts × ${cfg.mode === 'quick' ? 20 : 100} endpoints on one overlay network; a host's daemon is killed with SIGKILL, the others drop its peers when its lease expires, its own vxlan entries are deleted (as a reboot loses them), and it is started again: from the spawn until every other host holds its peers, and until it holds every other host's (${cfg.restarts} restart(s), different hosts). Without an etcd binary the rows say so and the rest of the bench runs.`,
    'The whole run happens as root in a network + mount namespace of its own (`unshare --net --mount`, private tmpfs on /run/netns); the host\'s interfaces and firewall are never touched.',
  ];
}

/**
 * Where BENCHMARKS.md's sections measured by other scripts begin (the IPAM allocator bench,
 * bench:launcher): a full `npm run bench` rewrites the file above this line and keeps the rest.
 */
export const KEPT_MARKER = '<!-- Sections below are measured by other scripts than `npm run bench`, which keeps them when it rewrites this file. -->';

/** The part of a previous BENCHMARKS.md a new run keeps: from KEPT_MARKER to the end, or nothing. */
export function keptSections(previous: string | undefined): string {
  const at = previous?.indexOf(KEPT_MARKER) ?? -1;
  return at < 0 ? '' : previous!.slice(at).trimEnd();
}

export function renderDocument(results: Results, cfg: BenchConfig, machine: Machine, date: Date, kept = ''): string {
  const errors = results.errors();
  return [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${cfg.mode === 'quick' ? ' -- --quick' : ''}\` on ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC (${cfg.mode} run).`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), Linux ${machine.kernel}, Node ${machine.node}, ${machine.tools.join(', ')}.`,
    '',
    renderTable(results, cfg),
    '',
    '## Notes',
    '',
    ...notes(cfg).map((n) => `- ${n}`),
    ...(errors.length === 0 ? [] : ['', '## Errors', '', ...errors.map((e) => `- ${e.side}, ${e.metric}: ${e.message.replace(/\s+/g, ' ')}`)]),
    ...(kept === '' ? [] : ['', kept]),
    '',
  ].join('\n');
}
