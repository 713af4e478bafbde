export * from './db.js';
export * from './records.js';
export * from './store.js';
