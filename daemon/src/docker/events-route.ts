import type { DockerEvent } from '@patchbay/api';
import { PatchbayError } from '@patchbay/errors';
import type { Controller } from '../controller/index.js';
import { toDockerEvent } from './event-translation.js';
import { exactMatch, fuzzyMatch, matchKVList, parseFilters, type FilterArgs } from './filters.js';
import { DOCKER_ERRORS, queryParam, type DockerRoute } from './request.js';
import { nowNanos, parseUnixTimestamp } from './timestamps.js';
import { dockerHeaders } from './version.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Filter keys that match an event's actor by id prefix or name (moby daemon/events/filter.go). */
const ACTOR_KEYS = ['container', 'daemon', 'plugin', 'volume', 'network', 'node', 'service', 'secret', 'config'];

/** moby's events Filter.Include. */
export function includeEvent(args: FilterArgs, ev: DockerEvent): boolean {
  const { ID: id, Attributes: attrs } = ev.Actor;
  return (
    exactMatch(args, 'event', ev.Action) &&
    exactMatch(args, 'type', ev.Type) &&
    (!args.has('scope') || exactMatch(args, 'scope', ev.scope)) &&
    ACTOR_KEYS.every((k) => fuzzyMatch(args, k, id) || fuzzyMatch(args, k, attrs.name ?? '')) &&
    (exactMatch(args, 'image', id) || exactMatch(args, 'image', attrs.image ?? '')) &&
    (!args.has('label') || matchKVList(args, 'label', attrs))
  );
}

/**
 * GET /events: newline-delimited JSON, a subscriber of the change feed that translates its
 * changes into Docker's network events. Past events (from the feed's recent changes) when `since`
 * or `until` is given, then live ones until `until` passes or the client goes away.
 */
export function registerEventsRoute(route: DockerRoute, controller: Controller, engineVersion: string, streams: Set<() => void>) {
  // The stream itself is written to the raw response (newline-delimited DockerEvent objects).
  route('GET', '/events', { response: DOCKER_ERRORS }, async (req, reply) => {
    const sinceText = queryParam(req, 'since');
    const untilText = queryParam(req, 'until');
    const since = sinceText === '' ? undefined : parseUnixTimestamp(sinceText);
    const until = untilText === '' ? undefined : parseUnixTimestamp(untilText);
    if (since !== undefined && until !== undefined && until < since) {
      throw new PatchbayError('PB_ERR_INVALID', `\`since\` time (${sinceText}) cannot be after \`until\` time (${untilText})`);
    }
    const args = parseFilters(queryParam(req, 'filters'));
    const include = (ev: DockerEvent | undefined): ev is DockerEvent => ev !== undefined && includeEvent(args, ev);
    const now = nowNanos();
    const onlyPast = until !== undefined && until < now;

    // From here on everything is synchronous until subscribe(), so no event falls between history and live.
    const past =
      since === undefined && until === undefined
        ? []
        : controller.changes
            .recent()
            .map(toDockerEvent)
            .filter(include)
            .filter((ev) => {
              const t = BigInt(ev.timeNano);
              return t >= (since ?? 0n) && (until === undefined || t <= until);
            });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...dockerHeaders(engineVersion), 'content-type': 'application/json' });
    res.flushHeaders();
    for (const ev of past) res.write(`${JSON.stringify(ev)}\n`);
    if (onlyPast) {
      res.end();
      return;
    }
    const unsubscribe = controller.changes.subscribe((change) => {
      const ev = toDockerEvent(change);
      if (include(ev) && !res.writableEnded) res.write(`${JSON.stringify(ev)}\n`);
    });
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      streams.delete(stop);
      if (!res.writableEnded) res.end();
    };
    const delayMs = until === undefined ? undefined : Number((until - now) / 1_000_000n) + 1;
    // setTimeout fires at once beyond 2^31-1 ms; an `until` that far away is as good as none.
    if (delayMs !== undefined && delayMs <= MAX_TIMER_MS) timer = setTimeout(stop, delayMs);
    streams.add(stop);
    res.on('close', stop);
  });
}
