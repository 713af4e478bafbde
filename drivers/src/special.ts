import { PatchbayError } from '@patchbay/errors';
import type { NetworkDriver } from './contract.js';

function noOptions(driver: string) {
  return (options: Record<string, string>) => {
    const keys = Object.keys(options);
    if (keys.length > 0) {
      throw new PatchbayError('PB_ERR_INVALID_OPTION', `driver "${driver}" takes no options (got ${keys.join(', ')})`);
    }
    return {};
  };
}

/** null: the predefined network `none`; a sandbox joined to it keeps loopback only. */
export const createNullDriver = () =>
  ({ name: 'null', scope: 'local', usesIpam: false, singleton: true, exclusive: 'private', validateOptions: noOptions('null') }) satisfies NetworkDriver;

/** host: the predefined network `host`; a sandbox joined to it uses the host stack, no veth. */
export const createHostDriver = () =>
  ({ name: 'host', scope: 'local', usesIpam: false, singleton: true, exclusive: 'shared', validateOptions: noOptions('host') }) satisfies NetworkDriver;
