import { fileURLToPath } from 'node:url';

/** The built plugin binary (made by this workspace's install script: `npm ci` or `npm install`). */
export const CNI_PLUGIN_PATH = fileURLToPath(new URL('../build/patchbay', import.meta.url));

/** The CNI spec versions the plugin accepts (the binary answers VERSION with the same list). */
export const CNI_SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
