/**
 * `/etc/netns/<name>/resolv.conf` for a sandbox patchbay made: `ip netns exec <name>` bind-mounts
 * it over /etc/resolv.conf, so programs run there ask the network's DNS. Plain file writes (no
 * kernel state); the root is injectable for tests. Synchronous on purpose (the replacement too,
 * when the addon is built): they take microseconds, while each async fs call is a round trip
 * through libuv's thread pool, which the netlink addon's kernel work also uses. The new file
 * replaces the old one atomically through replaceFile, which (with the addon) avoids the
 * writeback ext4 starts on a rename over an existing file.
 */
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from '@patchbay/errors';
import { replaceFile } from '@patchbay/kernel';
import type { DnsClientConfig } from './service.js';

export const NETNS_ETC = '/etc/netns';

function directoryOf(sandboxName: string, root: string): string {
  // the name becomes a path component: nothing that could climb out of `root`
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(sandboxName) || sandboxName.includes('..')) {
    throw invalid(`sandbox name "${sandboxName}" cannot name a directory under ${root}`, 'PB_ERR_INVALID_NAME');
  }
  return join(root, sandboxName);
}

export function renderResolvConf(sandboxName: string, config: DnsClientConfig): string {
  return [
    `# written by patchbayd for sandbox ${sandboxName}; removed with it`,
    ...config.nameservers.map((n) => `nameserver ${n}`),
    ...(config.search.length > 0 ? [`search ${config.search.join(' ')}`] : []),
    '',
  ].join('\n');
}

/** Write (or replace, atomically) the sandbox's resolv.conf; returns its path. */
export async function writeSandboxResolvConf(sandboxName: string, config: DnsClientConfig, root = NETNS_ETC): Promise<string> {
  const dir = directoryOf(sandboxName, root);
  const path = join(dir, 'resolv.conf');
  const temporary = `${path}.${process.pid}.tmp`;
  const write = () => writeFileSync(temporary, renderResolvConf(sandboxName, config), { mode: 0o644 });
  try {
    write();
  } catch (e) {
    // the sandbox's first file: its directory comes first
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dir, { recursive: true });
    write();
  }
  try {
    await replaceFile(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
  return path;
}

/** Remove it, and the sandbox's directory if nothing else is in it; a missing file is success. */
export async function removeSandboxResolvConf(sandboxName: string, root = NETNS_ETC): Promise<void> {
  const dir = directoryOf(sandboxName, root);
  rmSync(join(dir, 'resolv.conf'), { force: true });
  try {
    rmdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw e;
  }
}
