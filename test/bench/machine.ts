import { cpus, release } from 'node:os';
import { cniVersions } from './cni.js';
import { run } from './proc.js';

export interface Machine {
  cores: number;
  cpu: string;
  kernel: string;
  node: string;
  /** tool versions, e.g. "iproute2 6.1.0" */
  tools: string[];
}

export async function describeMachine(): Promise<Machine> {
  const tools: string[] = [];
  const ip = await run('ip', ['-V']).catch(() => undefined);
  const ipVersion = /iproute2-([\w.]+)/.exec(ip?.stdout ?? '')?.[1];
  if (ipVersion) tools.push(`iproute2 ${ipVersion}`);
  const nft = await run('nft', ['-v']).catch(() => undefined);
  const nftVersion = /v([\d.]+)/.exec(nft?.stdout ?? '')?.[1];
  if (nftVersion) tools.push(`nftables ${nftVersion}`);
  const cni = await cniVersions();
  if (cni.package) tools.push(`containernetworking-plugins ${cni.package}${cni.spec ? ` (CNI ${cni.spec})` : ''}`);
  const all = cpus();
  return { cores: all.length, cpu: all[0]?.model.trim() ?? 'unknown CPU', kernel: release(), node: process.version, tools };
}
