import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from './daemon.js';

const BUSYBOX = '/bin/busybox';
const COMMANDS = ['sh', 'ip', 'ping', 'sleep', 'cat', 'nc', 'wget', 'ifconfig', 'route', 'hostname', 'httpd', 'nslookup'];

/** A root filesystem from Debian's busybox-static, for `podman run --rootfs DIR` (no registry). */
export function miniRootfs(dir: string): string {
  for (const sub of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  for (const c of COMMANDS) symlinkSync('busybox', join(dir, 'bin', c));
  writeFileSync(join(dir, 'etc/resolv.conf'), '');
  writeFileSync(join(dir, 'etc/hosts'), '');
  return dir;
}

const digest = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** An OCI image archive of that root filesystem named docker.io/library/mini:latest (`ctr images import`). */
export function miniOciArchive(file: string): string {
  const work = mkdtempSync(join(tmpdir(), 'mini-oci-'));
  try {
    miniRootfs(join(work, 'root'));
    sh(['tar', '-C', join(work, 'root'), '-cf', join(work, 'layer.tar'), '.']);
    const layer = readFileSync(join(work, 'layer.tar'));
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${digest(layer)}`] }, config: { Cmd: ['/bin/sh'] } });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${digest(config)}`, size: Buffer.byteLength(config) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${digest(layer)}`, size: layer.length }],
    });
    const index = JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${digest(manifest)}`,
          size: Buffer.byteLength(manifest),
          annotations: { 'org.opencontainers.image.ref.name': 'mini:latest', 'io.containerd.image.name': 'docker.io/library/mini:latest' },
        },
      ],
    });
    const image = join(work, 'image');
    mkdirSync(join(image, 'blobs/sha256'), { recursive: true });
    writeFileSync(join(image, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(image, 'index.json'), index);
    for (const body of [layer, config, manifest]) writeFileSync(join(image, 'blobs/sha256', digest(body)), body);
    sh(['tar', '-C', image, '-cf', file, 'oci-layout', 'index.json', 'blobs']);
    return file;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
