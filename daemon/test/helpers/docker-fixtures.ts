import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';

const FIXTURES = new URL('../fixtures/docker/', import.meta.url).pathname;
const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const HEX64 = /[0-9a-f]{64}/g;

/**
 * Replaces ids (known ones by name, e.g. `<net:n1>`) and RFC 3339 nano timestamps (`<created>`),
 * so a body can be compared with a fixture. An unknown 64-hex id fails the test: it means the body
 * names an object the test did not expect.
 */
export function normalize(value: unknown, ids: Record<string, string>): unknown {
  const text = (s: string) => {
    if (RFC3339_NANO.test(s)) return '<created>';
    return s.replace(HEX64, (id) => {
      const name = ids[id];
      assert.ok(name, `unexpected id ${id} in response`);
      return name;
    });
  };
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return value.map((v) => normalize(v, ids));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [text(k), normalize(v, ids)]));
  }
  return value;
}

/**
 * Compares with daemon/test/fixtures/docker/NAME.json. With UPDATE_DOCKER_FIXTURES=1 a missing or
 * changed fixture is (re)written instead; review the diff before keeping it.
 */
export function assertFixture(name: string, actual: unknown): void {
  const path = join(FIXTURES, `${name}.json`);
  if (process.env.UPDATE_DOCKER_FIXTURES === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
    return;
  }
  assert.ok(existsSync(path), `fixture ${name}.json is missing (run with UPDATE_DOCKER_FIXTURES=1 once and review it)`);
  assert.deepStrictEqual(actual, JSON.parse(readFileSync(path, 'utf8')), `response differs from fixture ${name}.json`);
}

export interface DockerResult {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One request through app.inject(); a JSON payload gets Content-Type application/json like the Go client sends. */
export async function call(app: FastifyInstance, method: InjectOptions['method'], url: string, payload?: unknown): Promise<DockerResult> {
  const r = await app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
  });
  let body: unknown;
  try {
    body = r.body === '' ? undefined : JSON.parse(r.body);
  } catch {
    body = undefined;
  }
  return { status: r.statusCode, headers: r.headers, text: r.body, body };
}

/** Asserts a Docker error: the status, `{"message"}` exactly, and Content-Type exactly application/json. */
export function assertDockerError(r: DockerResult, status: number, message: string): void {
  assert.equal(r.status, status, `status (body ${r.text})`);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepStrictEqual(r.body, { message });
}
