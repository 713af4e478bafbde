import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, hostname, machine, release, totalmem } from 'node:os';
import { DockerInfo } from '@patchbay/api';
import type { Controller } from '../controller/index.js';
import { nowRfc3339Nano } from '../controller/ids.js';
import { DOCKER_ERRORS, type DockerRoute } from './request.js';

/** One line instead of the docker CLI's guesses (it warns about every limit a daemon does not report). */
export const NETWORK_ONLY_WARNING =
  'WARNING: patchbay serves the network part of the Docker API: containers are its sandboxes; images, storage, runtimes and resource limits are not its business';

/** PRETTY_NAME and VERSION_ID of /etc/os-release, as dockerd reads them. */
function osRelease(): { name: string; version: string } {
  let text = '';
  try {
    text = readFileSync('/etc/os-release', 'utf8');
  } catch {
    // a system without os-release: both stay empty, as in dockerd
  }
  const field = (key: string) => (new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1] ?? '').replace(/^"(.*)"$/, '$1');
  return { name: field('PRETTY_NAME') || 'Linux', version: field('VERSION_ID') };
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/** GET /info: what patchbay knows as a network daemon; the other fields as dockerd leaves unset ones. */
export function registerInfoRoute(route: DockerRoute, controller: Controller, engineVersion: string, eventStreams: () => number) {
  const os = osRelease();
  const { store, registry, kernel, config } = controller.core;
  const enabled = async (key: string) => (await kernel.sysctlGet(key)) === '1';
  const noCommit = { ID: '', Expected: '' };

  route('GET', '/info', { response: { 200: DockerInfo, ...DOCKER_ERRORS } }, async (): Promise<DockerInfo> => {
    const sandboxes = store.sandboxes().length;
    const ipv4Forwarding = await enabled('net.ipv4.ip_forward');
    return {
      ID: '',
      Containers: sandboxes,
      ContainersRunning: sandboxes,
      ContainersPaused: 0,
      ContainersStopped: 0,
      Images: 0,
      Driver: '',
      DriverStatus: null,
      Plugins: { Volume: null, Network: registry.names().sort(), Authorization: null, Log: null },
      MemoryLimit: false,
      SwapLimit: false,
      KernelMemory: false,
      KernelMemoryTCP: false,
      CpuCfsPeriod: false,
      CpuCfsQuota: false,
      CPUShares: false,
      CPUSet: false,
      PidsLimit: false,
      IPv4Forwarding: ipv4Forwarding,
      BridgeNfIptables: await enabled('net.bridge.bridge-nf-call-iptables'),
      BridgeNfIp6tables: await enabled('net.bridge.bridge-nf-call-ip6tables'),
      Debug: config.logLevel === 'debug' || config.logLevel === 'trace',
      NFd: openFds(),
      OomKillDisable: false,
      NGoroutines: 0,
      SystemTime: nowRfc3339Nano(),
      LoggingDriver: '',
      CgroupDriver: '',
      CgroupVersion: '',
      NEventsListener: eventStreams(),
      KernelVersion: release(),
      OperatingSystem: os.name,
      OSVersion: os.version,
      OSType: 'linux',
      Architecture: machine(),
      IndexServerAddress: '',
      RegistryConfig: null,
      NCPU: availableParallelism(),
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: config.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: engineVersion,
      Runtimes: null,
      DefaultRuntime: '',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      // Sandboxes keep their networking while patchbayd is down or restarting: that is live restore.
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: '',
      ContainerdCommit: noCommit,
      RuncCommit: noCommit,
      InitCommit: noCommit,
      SecurityOptions: [],
      ...(config.defaultAddressPools.length > 0 ? { DefaultAddressPools: config.defaultAddressPools.map((p) => ({ Base: p.base, Size: p.size })) } : {}),
      Warnings: [...(ipv4Forwarding ? [] : ['WARNING: IPv4 forwarding is disabled']), NETWORK_ONLY_WARNING],
    };
  });
}
