import { EventEmitter } from 'node:events';

/** A Docker-style event: `docker events` shows these for type=network. */
export interface PatchbayEvent {
  Type: 'network' | 'sandbox' | 'endpoint';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

/** In-memory event bus with a bounded history, so `since` can replay recent events. */
export function createEventBus(historySize = 1024) {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const history: PatchbayEvent[] = [];
  return {
    emit(type: PatchbayEvent['Type'], action: string, id: string, attributes: Record<string, string>) {
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const ev: PatchbayEvent = {
        Type: type,
        Action: action,
        Actor: { ID: id, Attributes: attributes },
        scope: 'local',
        time: Number(nowNs / 1_000_000_000n),
        timeNano: Number(nowNs),
      };
      history.push(ev);
      if (history.length > historySize) history.shift();
      emitter.emit('event', ev);
    },
    history: () => [...history],
    subscribe(fn: (ev: PatchbayEvent) => void): () => void {
      emitter.on('event', fn);
      return () => emitter.off('event', fn);
    },
  };
}
export type EventBus = ReturnType<typeof createEventBus>;
