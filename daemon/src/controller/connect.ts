import { StepError } from '@patchbay/errors';
import { runSteps, type Step } from '@patchbay/kernel';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../store/index.js';
import type { Core } from './core.js';
import { dropEndpoint } from './endpoint-drop.js';
import { prepareEndpoint, type CreateEndpointInput } from './endpoint-record.js';
import { checkNotConnected, finishJoin, planJoinInto } from './join.js';
import { lazyChild } from '../lazy-logger.js';

const WRITE_ROW = 'write the endpoint row';

/**
 * Create and join in one go, the sandbox locked: the addresses are claimed and the join planned
 * first, then the endpoint's row (state 'creating', placed in the sandbox) is written while the
 * kernel makes the link (where a crash in between leaves a link recovery can find; else before
 * it, see planJoinInto). Either failing undoes the other: no row, no link, no address is left. A
 * crash in that window leaves a host link or addresses without a row, which reconcile removes,
 * or a 'creating' row, which recovery undoes.
 */
export async function connectLocked(core: Core, net: NetworkRecord, sb: SandboxRecord, input: CreateEndpointInput & { ifName?: string }, range: [number, number]): Promise<EndpointRecord> {
  const { store } = core;
  const joined = store.endpointsInSandbox(sb.id);
  // refused before any address is claimed
  checkNotConnected(net, sb, joined);
  const { ifName, ...endpoint } = input;
  const prepared = await prepareEndpoint(core, net, endpoint, range, 'creating');
  let written: EndpointRecord | undefined;
  try {
    const planned = planJoinInto(core, net, prepared.record, sb, joined, ifName);
    const writeRow: Step = {
      name: WRITE_ROW,
      run: async () => {
        written = prepared.store(planned.placement);
      },
      undo: async () => {
        if (written) await dropEndpoint(core, net, written);
        written = undefined;
      },
    };
    // a network that takes few endpoints (macvlan passthru) refuses one more before the kernel is asked
    const steps = prepared.limited ? [writeRow, ...planned.steps()] : planned.steps(writeRow);
    await runSteps(steps, lazyChild(core.log, { op: 'connect', endpoint: endpoint.name, sandbox: sb.name }));
  } catch (err) {
    await prepared.release();
    // the row's own refusal (a taken name, the network going) is the answer, not a failed step
    throw err instanceof StepError && err.step === WRITE_ROW ? err.cause : err;
  }
  return finishJoin(core, net, written!, sb, { created: true });
}
