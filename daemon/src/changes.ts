import type { EndpointRecord, NetworkRecord, SandboxRecord } from './store/index.js';

/**
 * A domain change, carrying the records as they were when it happened. Endpoint changes name their
 * network; `endpoint.left` carries the endpoint as it was while joined (sandbox and interface).
 */
export type Change =
  | { type: 'network.created'; network: NetworkRecord }
  | { type: 'network.removed'; network: NetworkRecord }
  /** one prune request finished; `networks` are the names it removed (each also had its network.removed) */
  | { type: 'network.pruned'; networks: string[] }
  | { type: 'sandbox.created'; sandbox: SandboxRecord }
  | { type: 'sandbox.removed'; sandbox: SandboxRecord }
  | { type: 'endpoint.created'; network: NetworkRecord; endpoint: EndpointRecord }
  | { type: 'endpoint.joined'; network: NetworkRecord; sandbox: SandboxRecord; endpoint: EndpointRecord }
  | { type: 'endpoint.left'; network: NetworkRecord; sandbox: SandboxRecord; endpoint: EndpointRecord }
  | { type: 'endpoint.removed'; network: NetworkRecord; endpoint: EndpointRecord };

export type ChangeType = Change['type'];

/** A published change with the time it was published (milliseconds since the epoch). */
export type Stamped = Change & { readonly at: number };

export type ChangeSubscriber = (change: Stamped) => void;

export interface ChangeFeedOptions {
  /** how many recent changes `recent()` keeps (Docker's `/events?since=` replays from them) */
  historySize?: number;
  /** a subscriber threw: the feed goes on delivering; this only reports it */
  onSubscriberError?: (err: unknown, change: Stamped) => void;
}

/**
 * The daemon's one in-process feed of domain changes. Delivery is synchronous: when `publish`
 * returns, every subscriber has seen the change. A change published from inside a subscriber is
 * queued behind the current one, so every subscriber sees the same order. A throwing subscriber
 * neither stops the publisher nor the other subscribers.
 */
export function createChangeFeed({ historySize = 1024, onSubscriberError = () => {} }: ChangeFeedOptions = {}) {
  const subscribers = new Set<ChangeSubscriber>();
  const history: Stamped[] = [];
  const queue: Stamped[] = [];
  let delivering = false;

  function deliver(change: Stamped) {
    // a snapshot: who subscribes or unsubscribes during delivery takes effect from the next change
    for (const subscriber of [...subscribers]) {
      try {
        subscriber(change);
      } catch (err) {
        onSubscriberError(err, change);
      }
    }
  }

  return {
    publish(change: Change): void {
      const stamped: Stamped = { ...change, at: Date.now() };
      history.push(stamped);
      if (history.length > historySize) history.shift();
      queue.push(stamped);
      if (delivering) return;
      delivering = true;
      try {
        for (let next = queue.shift(); next; next = queue.shift()) deliver(next);
      } finally {
        delivering = false;
      }
    },
    /** Returns the unsubscribe function. */
    subscribe(subscriber: ChangeSubscriber): () => void {
      subscribers.add(subscriber);
      return () => void subscribers.delete(subscriber);
    },
    /** The last `historySize` changes, oldest first. */
    recent: (): readonly Stamped[] => [...history],
  };
}
export type ChangeFeed = ReturnType<typeof createChangeFeed>;
