/**
 * A/B of two daemon builds on the Engine API connect/disconnect of the bench: each daemon in a
 * network namespace (and private /run/netns) of its own, one sandbox on a base network each, then
 * ROUNDS rounds of connect and disconnect to a second network, the two daemons interleaved (the
 * one going first alternates), 35 ms before each connect and 50 ms before each disconnect. Prints
 * each side's medians and in how many rounds B's connect was the faster: a change's effect on one
 * machine without the drift between two separate runs.
 *
 *   unshare --net --mount node --import tsx --conditions=development test/bench/ab-connect.ts \
 *     ROUNDS A/daemon/bin/patchbayd.js B/daemon/bin/patchbayd.js
 *
 * A and B are two built checkouts (e.g. `cp -a` of the repository at the base commit, then
 * `npx tsc -b` and the addon's node-gyp rebuild there).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchDaemon } from './daemon.js';
import { createReconnectSide, patchbayDockerPeer } from './docker-api.js';
import { summarize, timed } from './stats.js';

const [roundsText, entryA, entryB] = process.argv.slice(2);
if (!roundsText || !entryA || !entryB) {
  process.stderr.write('usage: ab-connect.ts ROUNDS ENTRY_A ENTRY_B (inside unshare --net --mount)\n');
  process.exit(2);
}
const rounds = Number(roundsText);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sides = [];
for (const [i, entry] of [entryA, entryB].entries()) {
  const ns = `pb-ab${i}`;
  execFileSync('ip', ['netns', 'add', ns]);
  process.on('exit', () => execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }));
  // its own /run/netns too: a daemon's reconcile removes sandboxes it does not know
  const prefix = ['nsenter', `--net=/run/netns/${ns}`, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /run/netns && exec "$0" "$@"'];
  const daemon = new BenchDaemon({ entry, dir: mkdtempSync(join(tmpdir(), 'pb-ab-')), prefix });
  await daemon.start();
  const side = createReconnectSide(patchbayDockerPeer(daemon.client), { prefix: 'ab-', baseSubnet: '10.201.0.0/24', subnet: '10.202.0.0/24' });
  await side.setup();
  sides.push({ name: i === 0 ? 'A' : 'B', daemon, side, connect: [] as number[], disconnect: [] as number[] });
}

let bFaster = 0;
for (let round = 0; round < rounds + 3; round++) {
  const times = { A: 0, B: 0 };
  for (const s of round % 2 ? [...sides].reverse() : sides) {
    await sleep(35);
    const connect = await timed(s.side.connect);
    await sleep(50);
    const disconnect = await timed(s.side.disconnect);
    if (round < 3) continue; // warm-up
    s.connect.push(connect);
    s.disconnect.push(disconnect);
    times[s.name as 'A' | 'B'] = connect;
  }
  if (round >= 3 && times.B < times.A) bFaster++;
}
const show = (v: number[]) => {
  const s = summarize(v);
  return `${s.median.toFixed(2)} (p90 ${s.p90.toFixed(2)})`;
};
for (const s of sides) console.log(`${s.name}: connect ${show(s.connect)} ms, disconnect ${show(s.disconnect)} ms`);
console.log(`B's connect faster in ${bFaster} of ${rounds} rounds`);
for (const s of sides) {
  await s.side.teardown();
  await s.daemon.stop();
}
