/**
 * What the bench's HTTP client itself costs per call: one daemon, driven round by round by
 * node:http (a keep-alive agent, what the bench used before) and by the bench's own client
 * (http.ts), with the same calls: GET /_ping, then a connect and a disconnect of one sandbox
 * through the Engine API, each after a pause (35 ms before ping and connect, 50 before the
 * disconnect). The difference is the instrument's, not the daemon's.
 *
 *   unshare --net --mount node --import tsx --conditions=development test/bench/client-cost.ts [ROUNDS]
 *
 * Run with a built daemon (npm run build).
 */
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchDaemon } from './daemon.js';
import { createReconnectSide, patchbayDockerPeer } from './docker-api.js';
import { DOCKER_API } from './dockerd.js';
import { UnixHttpClient, type HttpResponse } from './http.js';
import { summarize, timed } from './stats.js';

/** node:http with a keep-alive agent: the bench's client until 2026-12-04. */
function nodeHttpSend(socketPath: string, agent: Agent, method: string, path: string, body?: unknown): Promise<HttpResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = request({ socketPath, agent, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const rounds = Number(process.argv[2] ?? 150);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const daemon = new BenchDaemon({ entry: join(import.meta.dirname, '../../daemon/bin/patchbayd.js'), dir: mkdtempSync(join(tmpdir(), 'pb-client-cost-')) });
await daemon.start();
// a sandbox on a base network, and the network it is connected to and from
const side = createReconnectSide(patchbayDockerPeer(daemon.client), { prefix: 'cc-', baseSubnet: '10.203.0.0/24', subnet: '10.204.0.0/24' });
await side.setup();
const networks = await daemon.client.call<{ Name: string; Id: string }[]>('GET', `${DOCKER_API}/networks`);
const net = networks.find((n) => n.Name === 'cc-net')!.Id;
const container = (await daemon.client.call<{ id: string; name: string }[]>('GET', '/v1/sandboxes')).find((s) => s.name === 'cc-mini')!.id;

const agent = new Agent({ keepAlive: true });
const lean = new UnixHttpClient(daemon.client.socketPath);
const clients: Record<string, (method: string, path: string, body?: unknown) => Promise<HttpResponse>> = {
  'node:http': (m, p, b) => nodeHttpSend(daemon.client.socketPath, agent, m, p, b),
  'bench client': (m, p, b) => lean.send(m, p, b),
};
const ok = async (res: Promise<HttpResponse>) => {
  const r = await res;
  if (r.status < 200 || r.status > 299) throw new Error(`HTTP ${r.status}: ${r.body}`);
};
const names = Object.keys(clients);
const samples = new Map(names.map((n) => [n, { ping: [] as number[], connect: [] as number[], disconnect: [] as number[] }]));
for (let round = 0; round < rounds + 3; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + round) % names.length]!;
    const send = clients[name]!;
    await sleep(35);
    const ping = await timed(() => ok(send('GET', '/_ping')));
    await sleep(35);
    const connect = await timed(() => ok(send('POST', `${DOCKER_API}/networks/${net}/connect`, { Container: container, EndpointConfig: {} })));
    await sleep(50);
    const disconnect = await timed(() => ok(send('POST', `${DOCKER_API}/networks/${net}/disconnect`, { Container: container, Force: false })));
    if (round < 3) continue; // warm-up
    const s = samples.get(name)!;
    s.ping.push(ping);
    s.connect.push(connect);
    s.disconnect.push(disconnect);
  }
}
const show = (v: number[]) => {
  const s = summarize(v);
  return `${s.median.toFixed(2)} (p90 ${s.p90.toFixed(2)})`;
};
console.log(`${rounds} rounds, ms: median (p90)`);
for (const [name, s] of samples) console.log(`${name.padEnd(13)} GET /_ping ${show(s.ping)}  connect ${show(s.connect)}  disconnect ${show(s.disconnect)}`);
agent.destroy();
lean.dropConnections();
await side.teardown();
await daemon.stop();
