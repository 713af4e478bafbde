/**
 * A closed-loop UDP load generator for the DNS bench: `concurrency` queries outstanding at all
 * times, each answered one replaced by the next, for a fixed time after a warm-up; a query
 * unanswered for a second counts as lost and is replaced.
 */
import { createSocket } from 'node:dgram';
import { encodeQuery } from '../../daemon/test/helpers/dns.js';
import { nowMs } from './stats.js';

export interface LoadOptions {
  address: string;
  port: number;
  /** Cycled through, one query each. */
  names: readonly string[];
  warmupMs: number;
  durationMs: number;
  concurrency: number;
}

export interface LoadResult {
  /** Answered within the measured window. */
  answered: number;
  /** Answered, but not NOERROR with at least one record. */
  wrong: number;
  lost: number;
  latenciesMs: number[];
  seconds: number;
}

const LOST_AFTER_MS = 1000;

export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const templates = opts.names.map((n) => encodeQuery(n, 'A', 0));
    const outstanding = new Map<number, number>();
    const latenciesMs: number[] = [];
    let answered = 0;
    let wrong = 0;
    let lost = 0;
    let nextId = 0;
    let nextName = 0;
    const start = nowMs();
    const measureFrom = start + opts.warmupMs;
    const measureTo = measureFrom + opts.durationMs;
    let stopping = false;

    const sendOne = () => {
      if (stopping) return;
      do nextId = (nextId + 1) & 0xffff;
      while (outstanding.has(nextId));
      const query = Buffer.from(templates[nextName++ % templates.length]!);
      query.writeUInt16BE(nextId, 0);
      outstanding.set(nextId, nowMs());
      socket.send(query, opts.port, opts.address);
    };

    socket.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const sent = outstanding.get(id);
      if (sent === undefined) return;
      outstanding.delete(id);
      const now = nowMs();
      if (sent >= measureFrom && now <= measureTo) {
        answered++;
        latenciesMs.push(now - sent);
        if ((msg[3]! & 0x0f) !== 0 || msg.readUInt16BE(6) === 0) wrong++;
      }
      if (now < measureTo) sendOne();
    });
    socket.on('error', reject);

    const sweep = setInterval(() => {
      const now = nowMs();
      for (const [id, sent] of outstanding) {
        if (now - sent < LOST_AFTER_MS) continue;
        outstanding.delete(id);
        if (sent >= measureFrom && sent <= measureTo) lost++;
        if (now < measureTo) sendOne();
      }
      if (now >= measureTo) {
        stopping = true;
        clearInterval(sweep);
        socket.close();
        resolve({ answered, wrong, lost, latenciesMs, seconds: opts.durationMs / 1000 });
      }
    }, 50);

    socket.bind({ address: '127.0.0.1', port: 0 }, () => {
      for (let i = 0; i < opts.concurrency; i++) sendOne();
    });
  });
}

/** Ask once until the server answers (it is up), or fail after `ms`. */
export async function waitForAnswer(address: string, port: number, name: string, ms = 10_000): Promise<void> {
  const deadline = nowMs() + ms;
  while (nowMs() < deadline) {
    const r = await runLoad({ address, port, names: [name], warmupMs: 0, durationMs: 200, concurrency: 1 });
    if (r.answered > 0 && r.wrong === 0) return;
  }
  throw new Error(`no answer for ${name} from ${address}:${port} within ${ms} ms`);
}
