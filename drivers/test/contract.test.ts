import { createFakeKernel } from '@patchbay/kernel';
import { createBuiltinRegistry } from '../src/index.js';
import { driverContract } from './contract.js';

driverContract('fake kernel', () => createBuiltinRegistry().all(), () => createFakeKernel());
