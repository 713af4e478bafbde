import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { EntryMonitor } from './overlay-hosts.js';

/** An `ip monitor neigh` stand-in: lines written to its stdout. */
function fakeMonitor() {
  const stdout = new PassThrough();
  const monitor = new EntryMonitor({ stdout } as unknown as ChildProcess);
  const say = (...lines: string[]) => new Promise<void>((r) => stdout.write(lines.map((l) => `${l}\n`).join(''), () => setImmediate(r)));
  return { monitor, say };
}

const peer = { ip: '10.64.0.7', mac: '02:42:0A:40:00:07', vtep: '192.0.2.3' };
const keys = EntryMonitor.keysOf(peer);

describe('bench: the entries ip monitor neigh reports', () => {
  it('a peer counts as present once both its neighbour and its FDB entry on a vxlan were reported', async () => {
    const { monitor, say } = fakeMonitor();
    const present = monitor.allPresent(keys, 1000);
    await say('10.64.0.7 dev pbxabcdef012345 lladdr 02:42:0a:40:00:07 PERMANENT', '192.0.2.254 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE');
    let done = false;
    void present.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'the FDB entry is still missing');
    await say('192.0.2.3 dev pbxabcdef012345 lladdr 02:42:0a:40:00:07 NOARP PERMANENT');
    assert.equal(typeof (await present), 'number');
  });

  it('deletions remove entries, a neighbour\'s without a MAC in the line; entries on other devices do not count', async () => {
    const { monitor, say } = fakeMonitor();
    await say('10.64.0.7 dev pbxabcdef012345 lladdr 02:42:0a:40:00:07 PERMANENT', '192.0.2.3 dev pbxabcdef012345 lladdr 02:42:0a:40:00:07 NOARP PERMANENT');
    await monitor.allPresent(keys, 100);
    await say('10.64.0.7 dev pbxabcdef012345 FAILED', 'Deleted 10.64.0.7 dev pbxabcdef012345 FAILED');
    await assert.rejects(monitor.allPresent(keys, 50), /1 of 2 entries missing/);
    await say('Deleted 192.0.2.3 dev pbxabcdef012345 lladdr 02:42:0a:40:00:07 NOARP PERMANENT');
    await monitor.allAbsent(keys, 100);
    await say('10.64.0.7 dev veth1 lladdr 02:42:0a:40:00:07 REACHABLE', '192.0.2.3 dev eth0 lladdr 02:42:0a:40:00:07 REACHABLE');
    await assert.rejects(monitor.allPresent(keys, 50), /2 of 2 entries missing/);
  });
});
