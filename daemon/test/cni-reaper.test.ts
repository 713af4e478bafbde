import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildCniTestApp, cniConf, cniEnv } from './helpers/cni-app.js';
import { heldReaper } from './helpers/held-reaper.js';

it('CNI DEL answers without waiting for the reaper; an ADD of the same interface name follows at once', async () => {
  const k = heldReaper();
  const t = await buildCniTestApp(undefined, undefined, k.kernel);
  const netns = '/var/run/netns/cni-held';
  k.fake.addForeignNetns(netns);
  k.hold();
  try {
    for (let round = 0; round < 3; round++) {
      const add = await t.exec(cniEnv('ADD', 'c1', netns), cniConf());
      assert.equal(add.status, 200, JSON.stringify(add.body));
      // with the reaper held, a DEL that waited for it would never answer
      const del = await Promise.race([t.exec(cniEnv('DEL', 'c1', netns), cniConf()), new Promise<'waited'>((r) => setTimeout(() => r('waited'), 2000))]);
      if (del === 'waited') assert.fail(`round ${round}: DEL waited for the reaper`);
      assert.equal(del.status, 204);
      assert.equal(await k.fake.link(netns, 'eth0'), undefined, 'eth0 is free at once');
      assert.equal(t.controller.core.store.sandboxByOrigin('cni', 'c1'), undefined, 'the attachment is gone');
    }
    assert.ok(k.held() >= 1, 'the reaper was held all along');
    k.release();
    await t.controller.settled();
    assert.deepEqual((await k.fake.links(netns)).map((l) => l.name), ['lo'], 'the retired interfaces went with their host ends');
  } finally {
    k.release();
    await t.close();
  }
});
