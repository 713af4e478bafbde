import { arch, release } from 'node:os';
import { PatchbayError } from '@patchbay/errors';
import type { DockerVersion } from '@patchbay/api';

/** The newest Docker Engine API version served (the docker CLI negotiates down to it). */
export const API_VERSION = '1.44';
/** The oldest one served. */
export const MIN_API_VERSION = '1.24';

/** moby's versions.compare: dotted numeric parts, missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10) || 0;
    const y = Number.parseInt(pb[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
export const versionLessThan = (a: string, b: string) => compareVersions(a, b) < 0;

/** Docker's version middleware: the path's version must lie in [MIN_API_VERSION, API_VERSION]. */
export function checkApiVersion(version: string): void {
  if (compareVersions(version, API_VERSION) > 0) {
    throw new PatchbayError('PB_ERR_INVALID', `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new PatchbayError(
      'PB_ERR_INVALID',
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
}

/** Headers dockerd puts on every response of its API. */
export const dockerHeaders = (engineVersion: string): Record<string, string> => ({
  'api-version': API_VERSION,
  server: `Docker/${engineVersion} (linux)`,
  ostype: 'linux',
});

/** Go's GOARCH names for Node's process.arch values. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** The `GET /version` body; `startedAt` stands in for the build time (patchbay runs from source). */
export function versionBody(engineVersion: string, startedAt: Date): DockerVersion {
  const common = {
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: 'unknown',
    GoVersion: `node ${process.versions.node}`,
    Os: 'linux',
    Arch: GOARCH[arch()] ?? arch(),
    KernelVersion: release(),
    BuildTime: startedAt.toISOString(),
  };
  return {
    Platform: { Name: 'patchbay' },
    Components: [{ Name: 'Engine', Version: engineVersion, Details: { ...common, Experimental: 'false' } }],
    Version: engineVersion,
    ...common,
    Experimental: false,
  };
}
