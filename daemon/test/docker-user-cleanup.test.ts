import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeKernel } from '@patchbay/kernel';
import { pino } from 'pino';
import { acceptRules, createDockerUserSync, DOCKER_USER, removeDockerUserRules } from '../src/docker-plugin/docker-user.js';

const log = pino({ level: process.env.PB_TEST_LOG ?? 'silent' });
const foreign = ['-s', '192.0.2.0/24', '-j', 'DROP'];
const rules = async (kernel: ReturnType<typeof createFakeKernel>, family: 4 | 6) => (await kernel.iptablesList(family, DOCKER_USER))?.map((r) => r.join(' '));

describe('DOCKER-USER: --cleanup removes patchbay\'s rules only', () => {
  it('deletes the accept rules of every bridge in both families and keeps the chain and others\' rules', async () => {
    const kernel = createFakeKernel();
    for (const family of [4, 6] as const) {
      await kernel.iptables(family, [{ op: 'chain.add', chain: DOCKER_USER }, { op: 'rule.insert', chain: DOCKER_USER, rule: foreign }]);
    }
    await createDockerUserSync(kernel, () => ['pb0', 'pb-1234'], log).sync();
    assert.equal((await rules(kernel, 4))!.length, 5);
    assert.equal((await rules(kernel, 6))!.length, 5);
    await removeDockerUserRules(kernel, log);
    assert.deepEqual(await rules(kernel, 4), [foreign.join(' ')]);
    assert.deepEqual(await rules(kernel, 6), [foreign.join(' ')]);
  });

  it('makes no chain where there is none, and a second run changes nothing', async () => {
    const kernel = createFakeKernel();
    await removeDockerUserRules(kernel, log);
    assert.equal(await rules(kernel, 4), undefined);
    assert.equal(await rules(kernel, 6), undefined);
    await kernel.iptables(4, [{ op: 'chain.add', chain: DOCKER_USER }, ...acceptRules('pb0').map((rule) => ({ op: 'rule.insert' as const, chain: DOCKER_USER, rule }))]);
    await removeDockerUserRules(kernel, log);
    await removeDockerUserRules(kernel, log);
    assert.deepEqual(await rules(kernel, 4), []);
  });
});
