import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from './config.js';
import { countNftRules } from './patchbay.js';
import { formatCell, KEPT_MARKER, keptSections, markdownTable, renderDocument, renderTable } from './report.js';
import { Results } from './results.js';
import { ROWS } from './rows.js';
import { hostInSlash16 } from './sides.js';
import { growth, summarize } from './stats.js';

const samples = (...ms: number[]) => ({ kind: 'samples', summary: summarize(ms) }) as const;
const verdict = (results: Results, metric: string, text: string): boolean | undefined =>
  ROWS.find((r) => r.metric === metric)!.targets!.find((t) => t.text.includes(text))!.check(results);

test('attach targets compare patchbay medians with CNI and the floor', () => {
  const r = new Results();
  r.set('attach', 'patchbay', samples(4, 4, 4));
  r.set('attach', 'cni', samples(10, 10, 10));
  r.set('attach', 'floor', samples(1.9, 1.9));
  assert.equal(verdict(r, 'attach', 'CNI'), true);
  assert.equal(verdict(r, 'attach', 'floor'), false);
  r.set('attach', 'patchbay', samples(6));
  assert.equal(verdict(r, 'attach', 'CNI'), false);
  assert.equal(verdict(r, 'detach', 'CNI'), undefined);
});

test('growth, memory, restart and concurrency targets', () => {
  const r = new Results();
  r.set('growthNetworks', 'patchbay', { kind: 'growth', growth: growth([2, 2, 3, 3], 100) });
  assert.equal(verdict(r, 'growthNetworks', 'last'), true);
  r.set('growthNetworks', 'patchbay', { kind: 'growth', growth: growth([2, 2, 3.1, 3.1], 100) });
  assert.equal(verdict(r, 'growthNetworks', 'last'), false);
  // endpoints: only the floor-relative target (issue 16); a 2× ratio within the floor's Δ passes
  r.set('growthEndpoints', 'floor', { kind: 'growth', growth: growth([40, 40, 42, 42], 100) });
  r.set('growthEndpoints', 'patchbay', { kind: 'growth', growth: growth([2, 2, 4, 4], 100) });
  assert.deepEqual(ROWS.find((row) => row.metric === 'growthEndpoints')!.targets!.map((t) => t.text), ['no growth of its own: Δ ≤ floor Δ + 0.5 ms']);
  assert.equal(verdict(r, 'growthEndpoints', 'no growth'), true);
  r.set('rssIdle', 'patchbay', { kind: 'scalar', value: 80.5, unit: 'MB' });
  assert.equal(verdict(r, 'rssIdle', 'MB'), false);
  r.set('restart', 'patchbay', samples(1500));
  assert.equal(verdict(r, 'restart', 's'), true);
  r.set('sequential', 'patchbay', { kind: 'wall', ms: 100, count: 64 });
  r.set('parallel', 'patchbay', { kind: 'wall', ms: 100, count: 64 });
  assert.equal(verdict(r, 'parallel', 'faster'), false);
});

test('the table marks a skipped daemon and shows ratios, errors and PASS/MISS', () => {
  const cfg = { ...parseConfig(['--quick'], {}), patchbaySkip: 'daemon not built' };
  const r = new Results();
  r.set('attach', 'cni', samples(20));
  r.set('detach', 'cni', { kind: 'error', message: 'boom' });
  const skipped = renderTable(r, cfg);
  assert.match(skipped, /\| attach: [^\n]*\| n\/a \(daemon not built\) +\| 20\.0 \(20\.0\)/);
  assert.match(skipped, /failed \(see below\)/);
  r.set('attach', 'patchbay', samples(5));
  const table = renderTable(r, { ...cfg, patchbaySkip: undefined });
  assert.match(table, /\| 5\.00 \(5\.00\) +\| 20\.0 \(20\.0\) [^\n]*\| 0\.25× [^\n]*\| PASS; n\/a +\|/);
});

test('cells format by kind', () => {
  assert.equal(formatCell(undefined, '—'), '—');
  assert.equal(formatCell({ kind: 'wall', ms: 500, count: 64 }, ''), '500 ms, 128/s');
  assert.equal(formatCell({ kind: 'growth', growth: growth([1, 2], 1) }, ''), '1.00 → 2.00 (2.00×)');
  assert.equal(formatCell({ kind: 'scalar', value: 42.25, unit: 'MB' }, ''), '42.3 MB');
});

test('markdownTable pads every column to its widest cell', () => {
  assert.equal(markdownTable(['a', 'bb'], [['ccc', 'd']]), '| a   | bb |\n| --- | -- |\n| ccc | d  |');
});

test('countNftRules counts rules, not tables, chains or set elements', () => {
  const listing = [
    'table inet patchbay {',
    '\tset nets {',
    '\t\ttype ipv4_addr',
    '\t\tflags interval',
    '\t\telements = { 10.1.0.0/24,',
    '\t\t\t     10.2.0.0/24 }',
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    '\t\tip saddr @nets accept',
    '\t\tct state established,related accept',
    '\t}',
    '}',
    '',
  ].join('\n');
  assert.equal(countNftRules(listing), 2);
});

test('hostInSlash16 numbers hosts from .0.1 and refuses to overflow', () => {
  assert.equal(hostInSlash16('10.79', 0), '10.79.0.1');
  assert.equal(hostInSlash16('10.79', 255), '10.79.1.0');
  assert.throws(() => hostInSlash16('10.79', 65534), /does not fit/);
});

test('CNI plugin targets: ADD and DEL against the reference plugins, VERSION against an exec of /bin/true', () => {
  const r = new Results();
  r.set('cniAdd', 'patchbay', samples(4));
  r.set('cniAdd', 'cni', samples(10));
  r.set('cniDel', 'patchbay', samples(4));
  r.set('cniDel', 'cni', samples(10));
  r.set('cniVersion', 'patchbay', samples(7));
  r.set('cniVersion', 'floor', samples(3));
  assert.equal(verdict(r, 'cniAdd', 'CNI ADD'), true);
  assert.equal(verdict(r, 'cniDel', 'CNI DEL'), false);
  assert.equal(verdict(r, 'cniVersion', 'true'), false);
  r.set('cniVersion', 'patchbay', samples(5));
  assert.equal(verdict(r, 'cniVersion', 'true'), true);
});

test('DNS rows: answers/s and median against aardvark-dns', () => {
  const rate = (perSecond: number, ...ms: number[]) => ({ kind: 'rate', perSecond, latency: summarize(ms), lost: 0, wrong: 0 }) as const;
  const r = new Results();
  assert.equal(verdict(r, 'dnsLocal', 'aardvark'), undefined);
  r.set('dnsLocal', 'aardvark', rate(40000, 0.4, 0.4));
  r.set('dnsLocal', 'patchbay', rate(21000, 0.7, 0.7));
  assert.equal(verdict(r, 'dnsLocal', 'aardvark'), true);
  r.set('dnsLocal', 'patchbay', rate(19000, 0.7, 0.7));
  assert.equal(verdict(r, 'dnsLocal', 'aardvark'), false, 'less than half the rate');
  r.set('dnsLocal', 'patchbay', rate(30000, 0.9, 0.9));
  assert.equal(verdict(r, 'dnsLocal', 'aardvark'), false, 'more than twice the median');
  assert.equal(formatCell({ ...rate(1234.4, 0.5, 1.5), lost: 2 }, ''), '1234/s, 1.00 (1.40), 2 lost');
});

test('issue 16 targets: Engine API rows against dockerd, network create/delete against the floor, growth against the floor', () => {
  const r = new Results();
  assert.equal(verdict(r, 'dockerConnect', 'dockerd'), undefined);
  r.set('dockerConnect', 'dockerd', samples(35));
  r.set('dockerConnect', 'patchbay', samples(3.4));
  assert.equal(verdict(r, 'dockerConnect', 'dockerd'), true);
  r.set('dockerConnect', 'patchbay', samples(3.6));
  assert.equal(verdict(r, 'dockerConnect', 'dockerd'), false);
  r.set('dockerNetCreate', 'dockerd', samples(100));
  r.set('dockerNetCreate', 'patchbay', samples(31));
  assert.equal(verdict(r, 'dockerNetCreate', 'dockerd'), false);
  r.set('netCreate', 'floor', samples(8));
  r.set('netCreate', 'patchbay', samples(12));
  assert.equal(verdict(r, 'netCreate', 'floor'), true);
  r.set('netCreate', 'patchbay', samples(12.5));
  assert.equal(verdict(r, 'netCreate', 'floor'), false);
  // floor 13 → 15 (+2 ms): patchbay may grow by up to 2.5 ms
  r.set('growthEndpoints', 'floor', { kind: 'growth', growth: growth([13, 13, 15, 15], 100) });
  r.set('growthEndpoints', 'patchbay', { kind: 'growth', growth: growth([2.5, 2.5, 5, 5], 100) });
  assert.equal(verdict(r, 'growthEndpoints', 'no growth'), true);
  r.set('growthEndpoints', 'patchbay', { kind: 'growth', growth: growth([2.5, 2.5, 5.1, 5.1], 100) });
  assert.equal(verdict(r, 'growthEndpoints', 'no growth'), false);
  const table = renderTable(r, parseConfig([], {}));
  assert.match(table, /\| Engine API: connect[^\n]*\| 35\.0 \(35\.0\) [^\n]*\| 0\.10× /);
});

test('--only runs some phases into BENCHMARKS.tmp; --no-dockerd leaves dockerd out', () => {
  const cfg = parseConfig(['--only', 'net,docker', '--no-dockerd'], {});
  assert.deepEqual(cfg.only, ['net', 'docker']);
  assert.equal(cfg.out, 'BENCHMARKS.tmp');
  assert.match(cfg.dockerdSkip ?? '', /no-dockerd/);
  assert.throws(() => parseConfig(['--only', 'nett'], {}), /unknown: nett/);
});

test('a rewrite of BENCHMARKS.md keeps the sections other scripts measured, below the marker, and only those', () => {
  const machine = { cores: 2, cpu: 'x', kernel: 'k', node: 'v20', tools: [] };
  const cfg = parseConfig(['--quick'], {});
  const hand = `${KEPT_MARKER}\n\n## IPAM allocator (ip-num vs hand-written)\n\n| a | b |\n`;
  const previous = `# Benchmarks\n\nold table\n\n## Notes\n\n- old note\n\n${hand}`;
  assert.equal(keptSections(previous), hand.trimEnd());
  assert.equal(keptSections('# Benchmarks\n\nno marker\n'), '');
  assert.equal(keptSections(undefined), '');
  const next = renderDocument(new Results(), cfg, machine, new Date(0), keptSections(previous));
  assert.ok(next.endsWith(`${hand.trimEnd()}\n`), next);
  assert.doesNotMatch(next, /old table|old note/);
  assert.equal(keptSections(next), hand.trimEnd(), 'kept again by the run after');
  assert.doesNotMatch(renderDocument(new Results(), cfg, machine, new Date(0)), /Sections below/);
});
