import type { FakeKernel } from '@patchbay/kernel';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildCniApp } from '../../src/cni/index.js';
import type { DnsServiceOptions } from '../../src/dns/index.js';
import { buildTestApp, type TestApp } from './app.js';

export interface CniTestApp extends TestApp {
  cni: FastifyInstance;
  /** One plugin exec as the binary forwards it: the CNI_* environment and stdin (an object is sent as JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  exec(env: Record<string, string>, stdin: unknown): Promise<{ status: number; body: any }>;
}

/** The daemon's CNI front door on the fake kernel (default bridge 10.200.0.1/24); `dns`: serve DNS with these options; `fake`: the kernel. */
export async function buildCniTestApp(flags: string[] = ['--bip', '10.200.0.1/24'], dns?: Partial<DnsServiceOptions>, fake?: FakeKernel): Promise<CniTestApp> {
  let made: FastifyInstance | undefined;
  const log = pino({ level: process.env.PB_TEST_LOG ?? 'silent' });
  const t = await buildTestApp({ flags, ...(dns ? { dns } : {}), ...(fake ? { fake } : {}), frontDoors: (controller) => [(made = buildCniApp({ controller, log }))] });
  const cni = made!;
  await cni.ready();
  return {
    ...t,
    cni,
    async exec(env, stdin) {
      const r = await cni.inject({ method: 'POST', url: '/cni/v1/exec', payload: { env, stdin: typeof stdin === 'string' ? stdin : JSON.stringify(stdin) } });
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
    },
    async close() {
      await cni.close();
      await t.close();
    },
  };
}

/** The CNI environment of one command for container `id` with interface `ifName` in `netns`. */
export const cniEnv = (command: string, id = 'c1', netns = '/var/run/netns/cni-c1', ifName = 'eth0', extra: Record<string, string> = {}) => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: id,
  ...(netns === '' ? {} : { CNI_NETNS: netns }),
  CNI_IFNAME: ifName,
  CNI_PATH: '/opt/cni/bin',
  ...extra,
});

/** A patchbay plugin configuration; `over` replaces or adds top-level keys. */
export const cniConf = (over: Record<string, unknown> = {}) => ({ cniVersion: '1.0.0', name: 'cninet', type: 'patchbay', ipam: { subnet: '10.77.0.0/24' }, ...over });
