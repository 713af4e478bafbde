/**
 * What `-o patchbay.bridge.mcast_snooping=false` does to attach growth: one daemon, two bridge
 * networks (snooping on, the default, and off), COUNT endpoints attached to each, one of each in
 * turn with the starting network alternating, each into a namespace of its own. Prints each
 * network's attach medians by 100 and its last-100 − first-100 median (growth rows' Δ).
 *
 *   unshare --net --mount node --import tsx --conditions=development test/bench/ab-snooping.ts [COUNT]
 *
 * Run it in a namespace of its own (as above): it makes COUNT × 2 namespaces and deletes them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchDaemon } from './daemon.js';
import { createSlots, deleteAllSlots } from './netns.js';
import { createPatchbayAttachSide } from './patchbay.js';
import { growth, timed, windowMedians } from './stats.js';

const count = Number(process.argv[2] ?? 1000);
const window = Math.min(100, Math.floor(count / 2));
const root = fileURLToPath(new URL('../..', import.meta.url));
const daemon = new BenchDaemon({ entry: join(root, 'daemon/bin/patchbayd.js'), dir: mkdtempSync(join(tmpdir(), 'pb-ab-snoop-')) });
await daemon.start();
try {
  const networks = [
    { label: 'snooping on (default)', side: createPatchbayAttachSide(daemon.client, { network: 'ab-snoop-on', subnet: '10.211.0.0/16' }) },
    { label: 'snooping off', side: createPatchbayAttachSide(daemon.client, { network: 'ab-snoop-off', subnet: '10.212.0.0/16', options: { 'patchbay.bridge.mcast_snooping': 'false' } }) },
  ];
  const runs = [];
  for (const [i, n] of networks.entries()) {
    await n.side.setup();
    const slots = await createSlots(`abs${i}-`, count);
    for (const slot of slots) await n.side.prepare(slot);
    runs.push({ ...n, slots, attach: [] as number[] });
  }
  for (let i = 0; i < count; i++) {
    for (const r of i % 2 ? [...runs].reverse() : runs) r.attach.push(await timed(() => r.side.attach(r.slots[i]!)));
  }
  for (const r of runs) {
    const g = growth(r.attach, window);
    console.log(`${r.label}: ${windowMedians(r.attach, window).map((m) => m.toFixed(2)).join(' ')}; Δ ${(g.last.median - g.first.median).toFixed(2)} ms`);
  }
  for (const r of runs) {
    for (const slot of r.slots) await r.side.detach(slot);
    for (const slot of r.slots) await r.side.release(slot);
    await r.side.teardown();
  }
} finally {
  await daemon.stop();
  await deleteAllSlots();
}
