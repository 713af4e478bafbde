import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { EtcdClient } from './client.js';
import { b64, decodeEvent, prefixEnd, type WatchEvent } from './codec.js';

export interface WatchOptions {
  prefix: string;
  /**
   * Read everything under the prefix and replace what the caller knows with it; returns the
   * revision it was read at. Called first, and again when the revision to resume from was
   * compacted away (events were lost: only a full list is right).
   */
  resync(): Promise<number>;
  /** Events in revision order, each batch delivered after the previous one was handled. */
  onEvents(events: WatchEvent[]): Promise<void> | void;
  log: Logger;
  /** waits between attempts while etcd is down: from `minBackoffMs` doubling up to `maxBackoffMs` */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface Watch {
  /** resolves once the first resync is done and the stream is open */
  ready: Promise<void>;
  /** the revision the next event will have at least */
  nextRevision(): number;
  stop(): void;
}

type WatchMessage = {
  result?: {
    header?: { revision?: string };
    created?: boolean;
    canceled?: boolean;
    compact_revision?: string;
    cancel_reason?: string;
    events?: { type?: string; kv?: Record<string, string> }[];
  };
  error?: { message?: string };
};

/**
 * A watch on a prefix that survives etcd restarts and member failures: list, then watch from the
 * next revision; when the stream breaks, re-open it on the next member from the revision after
 * the last event handled (nothing is missed, nothing delivered twice); when that revision was
 * compacted, resync from a full list.
 */
export function watchPrefix(client: EtcdClient, opts: WatchOptions): Watch {
  const minBackoff = opts.minBackoffMs ?? 100;
  const maxBackoff = opts.maxBackoffMs ?? 500;
  let next = 0;
  let stopped = false;
  let stream: IncomingMessage | undefined;
  let endpoint = 0;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));
  let wake: () => void = () => {};
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });

  /** Reads one stream to its end; returns whether a resync is needed before the next one. */
  async function follow(res: IncomingMessage): Promise<'resync' | 'reopen'> {
    let buffered = '';
    res.setEncoding('utf8');
    for await (const chunk of res as AsyncIterable<string>) {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as WatchMessage;
        if (msg.error || !msg.result) throw new Error(`watch failed: ${msg.error?.message ?? line}`);
        const r = msg.result;
        if (r.compact_revision && Number(r.compact_revision) > 0) return 'resync';
        if (r.canceled) throw new Error(`watch canceled: ${r.cancel_reason ?? 'no reason given'}`);
        if (r.created) markReady();
        const events = (r.events ?? []).map(decodeEvent);
        if (events.length > 0) {
          await opts.onEvents(events);
          next = Math.max(next, ...events.map((e) => e.kv.modRevision + 1));
        }
      }
    }
    return 'reopen';
  }

  async function run() {
    let backoff = minBackoff;
    let needResync = true;
    while (!stopped && !client.closed) {
      try {
        if (needResync) {
          next = (await opts.resync()) + 1;
          needResync = false;
        }
        const target = client.endpoints[endpoint % client.endpoints.length]!;
        stream = await client.openStream(target, '/v3/watch', {
          create_request: { key: b64(opts.prefix), range_end: prefixEnd(opts.prefix), start_revision: String(next) },
        });
        if (stream.statusCode !== 200) throw new Error(`watch answered HTTP ${stream.statusCode}`);
        backoff = minBackoff;
        const outcome = await follow(stream);
        if (outcome === 'resync') {
          opts.log.warn({ prefix: opts.prefix, from: next }, 'watch: the revision to resume from was compacted; resyncing from a full list');
          needResync = true;
          continue;
        }
        if (!stopped) opts.log.info({ prefix: opts.prefix }, 'watch: stream ended; re-opening');
      } catch (err) {
        if (stopped) return;
        opts.log.debug({ err, prefix: opts.prefix, backoff }, 'watch: etcd unreachable; retrying');
      }
      endpoint++;
      if (!stopped) await sleep(backoff);
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  }
  void run();

  return {
    ready,
    nextRevision: () => next,
    stop() {
      stopped = true;
      stream?.destroy();
      wake();
    },
  };
}
