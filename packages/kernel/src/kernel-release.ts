import { release } from 'node:os';

/**
 * Does this kernel rename a link that is up? From Linux 6.2 on it does (commit bd039b5ea2a9);
 * before, a rename of an up link fails with EBUSY and the link must go down first.
 */
export function renamesLinksWhileUp(kernelRelease: string = release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 6 || (major === 6 && minor >= 2);
}
