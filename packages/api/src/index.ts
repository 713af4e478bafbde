export * from './common.js';
export * from './native.js';
export * from './docker.js';
export * from './docker-info.js';
export * from './cni.js';
export * from './docker-plugin.js';
