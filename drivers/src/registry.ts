import { PatchbayError } from '@patchbay/errors';
import type { NetworkDriver } from './contract.js';

/** A static registry, the one list of driver names: empty and duplicate names are refused. */
export function createRegistry(drivers: readonly NetworkDriver[]) {
  const byName = new Map<string, NetworkDriver>();
  for (const d of drivers) {
    if (!d.name) throw new PatchbayError('PB_ERR_INVALID', 'driver name must not be empty');
    if (byName.has(d.name)) throw new PatchbayError('PB_ERR_DRIVER_REGISTERED', `driver ${d.name} is already registered`);
    byName.set(d.name, d);
  }
  return {
    get(name: string): NetworkDriver {
      const d = byName.get(name);
      if (!d) throw new PatchbayError('PB_ERR_DRIVER_NOT_FOUND', `plugin "${name}" not found`);
      return d;
    },
    names: () => [...byName.keys()],
    all: (): NetworkDriver[] => [...byName.values()],
  };
}
export type DriverRegistry = ReturnType<typeof createRegistry>;
