import type { FakeKernel } from '@patchbay/kernel';
import { buildTestApp as build, type TestApp } from './app.js';

export type { TestApp } from './app.js';

/** The native API on the fake kernel: `flags` are patchbayd flags; optional kernel and store file. */
export const buildTestApp = (flags: string[] = ['--bip', '10.200.0.1/24'], opts: { kernel?: FakeKernel; dbPath?: string } = {}): Promise<TestApp> =>
  build({ flags, ...(opts.kernel ? { fake: opts.kernel } : {}), ...(opts.dbPath ? { dbPath: opts.dbPath } : {}) });
