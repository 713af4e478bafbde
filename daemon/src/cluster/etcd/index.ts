export { createEtcdClient, EtcdError, splitHostPort, type EtcdClient, type EtcdClientOptions, type EtcdTls, type TxnResult } from './client.js';
export type { Compare, KeyValue, TxnOp, WatchEvent } from './codec.js';
export { keepLease, type LeaseKeeper } from './lease.js';
export { watchPrefix, type Watch } from './watch.js';
