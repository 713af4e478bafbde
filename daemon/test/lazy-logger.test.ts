import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { lazyChild, lazyRequestLogger } from '../src/lazy-logger.js';

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level }, stream);
  let children = 0;
  // counted on the root only: its children (made by it) inherit the method through their prototype
  const child = log.child;
  log.child = function (this: typeof log, ...args: Parameters<typeof child>) {
    children++;
    return child.apply(this, args);
  } as typeof log.child;
  return { log, lines, children: () => children };
}

describe('lazy child loggers', () => {
  it('make the child only when a line is written at an enabled level; the line has the bindings', () => {
    const { log, lines, children } = capture('info');
    const step = lazyChild(log, { op: 'connect', endpoint: 'e1' });
    step.debug({ detail: 1 }, 'below the level');
    assert.equal(children(), 0, 'no child for a line that is not written');
    assert.equal(step.level, 'info');
    assert.equal(step.isLevelEnabled('debug'), false);
    step.warn({ step: 'create veth' }, 'step failed, rolling back');
    step.error({ step: 'create veth' }, 'undo failed');
    assert.equal(children(), 1, 'one child, made once');
    assert.deepEqual(
      lines.map(({ op, endpoint, step: s, msg, level }) => ({ op, endpoint, step: s, msg, level })),
      [
        { op: 'connect', endpoint: 'e1', step: 'create veth', msg: 'step failed, rolling back', level: 40 },
        { op: 'connect', endpoint: 'e1', step: 'create veth', msg: 'undo failed', level: 50 },
      ],
    );
  });

  it('a child of the lazy child keeps both bindings; a level set on it makes it', () => {
    const { log, lines } = capture('info');
    const lazy = lazyChild(log, { op: 'leave' });
    lazy.child({ part: 'x' }).info('inner');
    assert.deepEqual(
      lines.map(({ op, part, msg }) => ({ op, part, msg })),
      [{ op: 'leave', part: 'x', msg: 'inner' }],
    );
    lazy.level = 'debug';
    lazy.debug('now written');
    assert.equal(lines.at(-1)?.msg, 'now written');
  });

  it('fastify: requests that log nothing make no logger; a failing one logs with its reqId', async () => {
    const { log, lines, children } = capture('info');
    const app = Fastify({
      loggerInstance: log as unknown as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      childLoggerFactory: lazyRequestLogger,
    });
    app.get('/ok', async () => ({ ok: true }));
    app.get('/fails', async (req) => {
      req.log.error({ reason: 'test' }, 'request failed');
      throw new Error('boom');
    });
    try {
      const made = children();
      for (let i = 0; i < 5; i++) assert.equal((await app.inject({ method: 'GET', url: '/ok' })).statusCode, 200);
      assert.equal(children(), made, 'no child logger for requests that log nothing');
      assert.equal((await app.inject({ method: 'GET', url: '/fails' })).statusCode, 500);
      const failed = lines.find((l) => l.msg === 'request failed');
      assert.ok(failed, 'the error line was written');
      assert.equal(typeof failed.reqId, 'string');
      assert.equal(failed.reason, 'test');
    } finally {
      await app.close();
    }
  });
});
