import { requireIsolatedNamespace } from '../helpers/isolation.js';
requireIsolatedNamespace();
import { it } from 'node:test';
import { createTestDaemon, inNs, sh } from '../helpers/daemon.js';
it('scratch', async () => {
  const d = createTestDaemon(['--bip', '10.160.0.1/24'], { env: { PATCHBAY_TEST_SEAMS: '1', PB_TEST_LOG: 'info' } });
  await d.start();
  const m = async () => (await d.req('GET', '/v1/debug/mutations')).body.count;
  console.log((await d.req('POST', '/v1/networks', { name: 'cnet', ipam: { config: [{ subnet: '10.161.0.0/24', gateway: '10.161.0.1' }] } })).status);
  for (const s of ['keeper', 'jsb']) { await d.req('POST', '/v1/sandboxes', { name: s }); await d.req('POST', '/v1/networks/bridge/connect', { sandbox: s }); }
  const keeper = (await d.req('GET', '/v1/sandboxes/keeper')).body.key;
  let a = await m(); console.log((await d.req('POST', '/v1/networks/cnet/connect', { sandbox: 'keeper' })).status, 'connect mutations', (await m()) - a);
  console.log('ping', inNs(keeper, ['ping', '-c1', '-W2', '10.161.0.1'], { allowFail: true }).code);
  await d.req('POST', '/v1/debug/crash', { after: 1 });
  console.log(await d.req('POST', '/v1/networks/cnet/connect', { sandbox: 'jsb' }).catch((e) => e.message));
  await d.stop('SIGKILL');
  console.log('ping while down', inNs(keeper, ['ping', '-c1', '-W2', '10.161.0.1'], { allowFail: true }).code);
  await d.start();
  console.log(d.logs());
  console.log('ping after', inNs(keeper, ['ping', '-c1', '-W2', '10.161.0.1'], { allowFail: true }).code);
  console.log(sh(['ip', '-br', 'link']).out, sh(['ip', '-br', 'addr']).out, inNs(keeper, ['ip', '-br', 'addr']).out, inNs(keeper, ['ip', 'route']).out);
  console.log(sh(['bridge', 'link']).out);
  console.log(JSON.stringify((await d.req('GET', '/v1/system/check')).body));
  await d.cleanup();
});
