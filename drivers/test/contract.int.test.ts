import { requireIsolatedNamespace } from '../../test/helpers/isolation.js';
requireIsolatedNamespace();

import { createRealKernel } from '@patchbay/kernel';
import { createBuiltinRegistry } from '../src/index.js';
import { driverContract } from './contract.js';

driverContract('real kernel', () => createBuiltinRegistry().all(), () => createRealKernel());
