import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KernelError } from '@patchbay/errors';
import { statesOfPass } from '../src/netlink/netns-read.js';

const REQUESTS = 3;
/** One namespace's slots: how entering went, then errno, offset, length per request. */
const slot = (entered: number, ...requests: [number, number, number][]) => [entered, ...requests.flat()];
const NOT_RUN: [number, number, number] = [-1, 0, 0];

describe('netnsRead answers, namespace by namespace (statesOfPass)', () => {
  const paths = ['/run/netns/a', '/run/netns/gone', '/proc/1/ns/uts', '/run/netns/denied'];
  const slots = Int32Array.from([
    ...slot(0, [0, 0, 0], [0, 0, 0], [0, 0, 0]),
    ...slot(2, NOT_RUN, NOT_RUN, NOT_RUN),
    ...slot(-22, NOT_RUN, NOT_RUN, NOT_RUN),
    ...slot(0, [0, 0, 0], [1, 0, 0], NOT_RUN),
  ]);
  const states = statesOfPass(paths, Buffer.alloc(0), slots, REQUESTS);

  it('a namespace read whole is its state (empty answers: nothing in it)', () => {
    assert.deepEqual(states[0], { links: [], addresses: [], routes: [] });
  });

  it('one that could not be opened or entered, or whose read failed, has its KernelError in place', () => {
    assert.ok(states[1] instanceof KernelError && states[2] instanceof KernelError && states[3] instanceof KernelError);
    assert.equal(states[1].message, 'netlink -n gone link, addr and route show: ENOENT: Cannot open network namespace "/run/netns/gone": No such file or directory');
    assert.match(states[2].message, /^netlink --net=\/proc\/1\/ns\/uts link, addr and route show: EINVAL: setns to "\/proc\/1\/ns\/uts": Invalid argument$/);
    assert.equal(states[3].message, 'netlink -n denied link, addr and route show: EPERM: RTNETLINK answers: Operation not permitted');
  });

  it('refuses answers that do not fit the namespaces asked for', () => {
    assert.throws(() => statesOfPass(paths.slice(1), Buffer.alloc(0), slots, REQUESTS), /slots for 3 namespaces/);
  });
});
