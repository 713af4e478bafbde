export * from './db.js';
export * from './records.js';
export * from './store.js';
export * from './ipam-store.js';
export * from './ipam-store-sqlite.js';
export * from './pool-overlap.js';
export * from './docker-plugin-networks.js';
