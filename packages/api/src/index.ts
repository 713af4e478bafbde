export * from './common.js';
export * from './native.js';
