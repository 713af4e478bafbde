import { KernelError } from '@patchbay/errors';
import type { XtOp } from './contract.js';

/** Chain names and rule words patchbay passes to iptables: no spaces, quotes or shell syntax. */
const CHAIN_RE = /^[A-Za-z0-9_-]{1,28}$/;
const WORD_RE = /^[A-Za-z0-9_.:/+!-]{1,64}$/;

export function checkXtOp(op: XtOp): void {
  if (!CHAIN_RE.test(op.chain)) throw new KernelError(['iptables'], undefined, `invalid chain name ${JSON.stringify(op.chain)}`);
  if (op.op !== 'chain.add') {
    for (const w of op.rule) if (!WORD_RE.test(w)) throw new KernelError(['iptables'], undefined, `invalid iptables rule word ${JSON.stringify(w)}`);
  }
}

/** `-w`: wait for the xtables lock, which dockerd holds while it changes its rules. */
export function xtArgv(family: 4 | 6, op: XtOp): string[] {
  const bin = family === 4 ? 'iptables' : 'ip6tables';
  switch (op.op) {
    case 'chain.add':
      return [bin, '-w', '-t', 'filter', '-N', op.chain];
    case 'rule.insert':
      return [bin, '-w', '-t', 'filter', '-I', op.chain, ...op.rule];
    case 'rule.delete':
      return [bin, '-w', '-t', 'filter', '-D', op.chain, ...op.rule];
  }
}

export const xtListArgv = (family: 4 | 6, chain: string) => [family === 4 ? 'iptables' : 'ip6tables', '-w', '-t', 'filter', '-S', chain];

/** What iptables says for "already so": an existing chain, a missing rule or chain on delete. */
export const XT_ALREADY_RE = /Chain already exists|does a matching rule exist|Bad rule|No chain\/target\/match by that name/;
export const XT_NO_CHAIN_RE = /No chain\/target\/match by that name|does not exist|can't initialize/;

/** `-S` output → each `-A CHAIN` line's argv after the chain. */
export function parseXtList(stdout: string, chain: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `))
    .map((l) => l.slice(`-A ${chain} `.length).trim().split(/\s+/));
}
