// Allocator micro-benchmark. Run from the repo root:
//   node --import tsx --conditions=development ipam/bench/allocator-bench.ts
// (without --conditions=development, build first: npx tsc -b ipam).
import { createAllocator, validatePoolConfig, type AddressAllocator } from '../src/index.js';

function allocator(subnet: string, family: 4 | 6, serial = false): AddressAllocator {
  return createAllocator(validatePoolConfig({ subnet }, { family, networkName: 'bench' }), { networkLabel: 'bench', serial });
}

function measure(label: string, ops: number, run: () => void): void {
  const start = process.hrtime.bigint();
  run();
  const ns = Number(process.hrtime.bigint() - start);
  console.log(`${label.padEnd(52)} ${String(ops).padStart(7)} ops  ${(ns / ops).toFixed(0).padStart(7)} ns/op  ${(ns / 1e6).toFixed(1)} ms`);
}

// Deterministic pseudo-random numbers (mulberry32), so runs are comparable.
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function churn(label: string, a: AddressAllocator, held: string[], rounds: number, seed: number): void {
  const rand = random(seed);
  measure(label, rounds * 2, () => {
    for (let i = 0; i < rounds; i++) {
      const k = Math.floor(rand() * held.length);
      a.release(held[k]!);
      held[k] = a.allocate();
    }
  });
}

const v4 = allocator('10.0.0.0/16', 4);
const v4held: string[] = [];
measure('IPv4 /16: sequential allocate until full', 65_534, () => {
  for (let i = 0; i < 65_534; i++) v4held.push(v4.allocate());
});

const v6 = allocator('2001:db8::/64', 6);
const v6held: string[] = [];
measure('IPv6 /64: sequential allocate', 10_000, () => {
  for (let i = 0; i < 10_000; i++) v6held.push(v6.allocate());
});

// Churn on a half-full /16 with holes everywhere (many intervals): the hard case for an interval set.
const frag = allocator('10.1.0.0/16', 4);
const fragHeld: string[] = [];
for (let i = 0; i < 65_534; i++) fragHeld.push(frag.allocate());
const rand = random(7);
for (let i = fragHeld.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [fragHeld[i], fragHeld[j]] = [fragHeld[j]!, fragHeld[i]!];
}
for (const a of fragHeld.splice(0, 32_767)) frag.release(a);

churn('IPv4 /16 full: random release + allocate', v4, v4held, 20_000, 1);
churn('IPv4 /16 half-full, fragmented: release + allocate', frag, fragHeld, 20_000, 2);
churn('IPv6 /64 (10k held): random release + allocate', v6, v6held, 20_000, 3);

const serial = allocator('10.2.0.0/16', 4, true);
const serialHeld: string[] = [];
for (let i = 0; i < 30_000; i++) serialHeld.push(serial.allocate());
churn('IPv4 /16 serial (30k held): release + allocate', serial, serialHeld, 20_000, 4);

const rebuilt = allocator('10.3.0.0/16', 4);
measure('IPv4 /16: rebuild with reserve() of 65,534 rows', 65_534, () => {
  for (const a of v4held) rebuilt.reserve(a.replace(/^10\.0\./, '10.3.'));
});
console.log(`fragmented /16 ended with ${frag.counts().used} used, counts ok: ${frag.counts().free === 65_534n - frag.counts().used}`);
