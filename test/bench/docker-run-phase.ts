/**
 * The Docker rows of `npm run bench`: dockerd (Debian's docker.io 20.10) runs containers on a
 * patchbay network (`-d patchbay --ipam-driver patchbay`) and on its own bridge driver, side by side
 * in one run; and the plugin's Join handling time, called the way dockerd calls it. Runs last: it
 * puts a private tmpfs on /run (dockerd finds plugins in /run/docker/plugins, never the host's) and
 * on /etc/docker of the bench's own mount namespace.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { BenchConfig } from './config.js';
import { BenchDaemon } from './daemon.js';
import { UnixHttpClient } from './http.js';
import { run, runOk } from './proc.js';
import { errorCell, type Results } from './results.js';
import { nowMs, summarize } from './stats.js';

const PLUGIN_SOCKET = '/run/docker/plugins/patchbay.sock';
const ROWS = ['dockerRun', 'pluginJoin'] as const;

export async function dockerRunRows(cfg: BenchConfig, results: Results, entry: string, scratch: string): Promise<void> {
  if ((await run('sh', ['-c', 'command -v dockerd']).catch(() => undefined))?.code !== 0) {
    for (const m of ROWS) results.set(m, 'patchbay', { kind: 'na', reason: 'dockerd not installed' });
    results.set('dockerRun', 'dockerd', { kind: 'na', reason: 'dockerd not installed' });
    return;
  }
  if (cfg.patchbaySkip) return;
  const dir = join(scratch, 'docker');
  mkdirSync(join(dir, 'pb'), { recursive: true });
  await runOk('mount', ['-t', 'tmpfs', 'tmpfs', '/run']);
  mkdirSync('/run/netns');
  mkdirSync('/run/docker/plugins', { recursive: true });
  await runOk('mount', ['-t', 'tmpfs', 'tmpfs', '/etc/docker']);
  const daemon = new BenchDaemon({ entry, dir: join(dir, 'pb') });
  let dockerd: ChildProcess | undefined;
  const env = { ...process.env, DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` };
  const docker = (args: string[]) => runOk('docker', args, { env });
  try {
    await daemon.start();
    dockerd = spawn('dockerd', ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'), '-H', env.DOCKER_HOST, '--storage-driver', 'vfs'], { stdio: 'ignore' });
    const deadline = nowMs() + 90_000;
    while ((await run('docker', ['version'], { env })).code !== 0) {
      if (nowMs() > deadline) throw new Error('dockerd did not come up');
      await new Promise((r) => setTimeout(r, 300));
    }
    mkdirSync(join(dir, 'rootfs/bin'), { recursive: true });
    await runOk('sh', ['-c', `cp /bin/busybox '${dir}/rootfs/bin/' && ln -s busybox '${dir}/rootfs/bin/sleep' && tar -C '${dir}/rootfs' -c . | docker import - mini`], { env });
    await docker(['network', 'create', '-d', 'patchbay', '--ipam-driver', 'patchbay', '--subnet', '10.93.0.0/16', 'pbnet']);
    await docker(['network', 'create', '--subnet', '10.94.0.0/16', 'brnet']);
    await dockerRunRounds(cfg, results, docker);
    await joinRounds(cfg, results, (await docker(['network', 'inspect', 'pbnet', '--format', '{{.Id}}'])).stdout.trim());
  } catch (err) {
    for (const m of ROWS) results.setIfAbsent(m, 'patchbay', errorCell(err));
    results.setIfAbsent('dockerRun', 'dockerd', errorCell(err));
  } finally {
    if (dockerd && dockerd.exitCode === null) {
      await run('docker', ['network', 'rm', 'pbnet', 'brnet'], { env });
      const exited = new Promise((r) => dockerd!.once('exit', r));
      dockerd.kill('SIGTERM');
      await exited;
    }
    await daemon.stop();
  }
}

/** `docker run -d --network N mini sleep` then `docker rm -f`, whole cycle, each side in turn (starting side rotated). */
async function dockerRunRounds(cfg: BenchConfig, results: Results, docker: (args: string[]) => Promise<unknown>) {
  const rounds = cfg.mode === 'quick' ? 3 : 20;
  const times: Record<'patchbay' | 'dockerd', number[]> = { patchbay: [], dockerd: [] };
  const sides = [
    ['patchbay', 'pbnet'],
    ['dockerd', 'brnet'],
  ] as const;
  for (let i = -1; i < rounds; i++) {
    for (const [side, network] of i % 2 === 0 ? sides : [...sides].reverse()) {
      const started = nowMs();
      await docker(['run', '-d', '--name', `b-${side}`, '--network', network, 'mini', 'sleep', '1000']);
      await docker(['rm', '-f', `b-${side}`]);
      if (i >= 0) times[side].push(nowMs() - started);
    }
  }
  results.set('dockerRun', 'patchbay', { kind: 'samples', summary: summarize(times.patchbay) });
  results.set('dockerRun', 'dockerd', { kind: 'samples', summary: summarize(times.dockerd) });
}

/** The driver's Join as dockerd calls it (RequestAddress, CreateEndpoint untimed; Join timed; Leave and the rest untimed). */
async function joinRounds(cfg: BenchConfig, results: Results, networkId: string) {
  const plugin = new UnixHttpClient(PLUGIN_SOCKET);
  const rounds = cfg.mode === 'quick' ? 20 : cfg.iterations;
  const poolId = 'LocalDefault/10.93.0.0/16';
  const times: number[] = [];
  for (let i = -cfg.warmup; i < rounds; i++) {
    const endpointId = randomBytes(32).toString('hex');
    const ref = { NetworkID: networkId, EndpointID: endpointId };
    const { Address } = await plugin.call<{ Address: string }>('POST', '/IpamDriver.RequestAddress', { PoolID: poolId, Address: '', Options: null });
    await plugin.call('POST', '/NetworkDriver.CreateEndpoint', { ...ref, Interface: { Address, AddressIPv6: '', MacAddress: '' }, Options: {} });
    const started = nowMs();
    await plugin.call('POST', '/NetworkDriver.Join', { ...ref, SandboxKey: '/var/run/docker/netns/bench', Options: {} });
    if (i >= 0) times.push(nowMs() - started);
    await plugin.call('POST', '/NetworkDriver.Leave', ref);
    await plugin.call('POST', '/NetworkDriver.DeleteEndpoint', ref);
    await plugin.call('POST', '/IpamDriver.ReleaseAddress', { PoolID: poolId, Address: Address.split('/')[0] });
  }
  plugin.dropConnections();
  results.set('pluginJoin', 'patchbay', { kind: 'samples', summary: summarize(times) });
}
