import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseAddresses as parseIpAddresses, parseFdb as parseIpFdb, parseLinks as parseIpLinks, parseNeighbors as parseIpNeighbors, parseRoutes as parseIpRoutes,
} from '../src/ip-json.js';
import { NlMessage } from '../src/netlink/message.js';
import { formatAddress, linkNames, parseAddresses, parseLinks, parseRawLinks, parseRoutes, replyMessages, scopeName } from '../src/netlink/parse.js';
import { parseFdb, parseNeighbors } from '../src/netlink/neigh.js';

/** Hand-built kernel answers: NlMessage frames replies the same way as requests. */
const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
const NLMSG_DONE = 3;
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const IFF_UP = 1;

const reply = (...msgs: Buffer[]): Buffer => Buffer.concat([...msgs, new NlMessage(NLMSG_DONE, 0, Buffer.alloc(4)).build().msg]);
const mac = (text: string): Buffer => Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
const v4 = (text: string): Buffer => Buffer.from(text.split('.').map(Number));
const v6 = (...words: number[]): Buffer => {
  const b = Buffer.alloc(16);
  words.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
};

interface LinkSpec {
  index: number;
  name: string;
  arphrd?: number;
  flags?: number;
  mtu?: number;
  mac?: string;
  master?: number;
  kind?: string;
  slaveKind?: string;
  hairpin?: number;
  group?: number;
  /** IFLA_LINK, and IFLA_LINK_NETNSID when the lower device is in another namespace */
  link?: number;
  linkNetnsid?: number;
  /** writes IFLA_INFO_DATA's attributes */
  data?: (m: NlMessage) => void;
}
function linkMsg(l: LinkSpec): Buffer {
  const hdr = Buffer.alloc(16);
  hdr.writeUInt16LE(l.arphrd ?? ARPHRD_ETHER, 2);
  hdr.writeInt32LE(l.index, 4);
  hdr.writeUInt32LE(l.flags ?? 0, 8);
  const m = new NlMessage(RTM_NEWLINK, 0, hdr).str(3, l.name);
  if (l.mtu !== undefined) m.u32(4, l.mtu);
  if (l.mac !== undefined) m.attr(1, mac(l.mac));
  if (l.master !== undefined) m.u32(10, l.master);
  if (l.group !== undefined) m.u32(27, l.group);
  if (l.link !== undefined) m.u32(5, l.link);
  if (l.linkNetnsid !== undefined) m.u32(37, l.linkNetnsid);
  if (l.kind !== undefined || l.slaveKind !== undefined) {
    m.begin(18);
    if (l.kind !== undefined) m.str(1, l.kind);
    if (l.data !== undefined) {
      m.begin(2);
      l.data(m);
      m.end();
    }
    if (l.slaveKind !== undefined) {
      m.str(4, l.slaveKind).begin(5).u8(1, 0);
      if (l.hairpin !== undefined) m.u8(4, l.hairpin);
      m.end();
    }
    m.end();
  }
  return m.build().msg;
}

function addrMsg(family: number, index: number, prefix: number, scope: number, attrs: { local?: Buffer; address?: Buffer }): Buffer {
  const hdr = Buffer.from([family, prefix, 0, scope, 0, 0, 0, 0]);
  hdr.writeUInt32LE(index, 4);
  const m = new NlMessage(RTM_NEWADDR, 0, hdr);
  if (attrs.address !== undefined) m.attr(1, attrs.address);
  if (attrs.local !== undefined) m.attr(2, attrs.local);
  return m.build().msg;
}

interface RouteSpec {
  family: 2 | 10;
  dstLen: number;
  dst?: Buffer;
  table?: number;
  /** RTA_TABLE, when it differs from the header's byte */
  tableAttr?: number;
  scope?: number;
  type?: number;
  flags?: number;
  gateway?: Buffer;
  oif?: number;
}
function routeMsg(r: RouteSpec): Buffer {
  const hdr = Buffer.from([r.family, r.dstLen, 0, 0, r.table ?? 254, 3, r.scope ?? 0, r.type ?? 1, 0, 0, 0, 0]);
  hdr.writeUInt32LE(r.flags ?? 0, 8);
  const m = new NlMessage(RTM_NEWROUTE, 0, hdr);
  if (r.tableAttr !== undefined) m.u32(15, r.tableAttr);
  if (r.dst !== undefined) m.attr(1, r.dst);
  if (r.gateway !== undefined) m.attr(5, r.gateway);
  if (r.oif !== undefined) m.u32(4, r.oif);
  return m.build().msg;
}

const LINKS = reply(
  linkMsg({ index: 1, name: 'lo', arphrd: ARPHRD_LOOPBACK, flags: IFF_UP | 8, mtu: 65536, mac: '00:00:00:00:00:00' }),
  linkMsg({ index: 2, name: 'br0', flags: IFF_UP | 0x1000, mtu: 1500, mac: '1E:55:45:74:90:43', kind: 'bridge' }),
  linkMsg({ index: 3, name: 've0', flags: IFF_UP, mtu: 1500, mac: '1e:55:45:74:90:a0', master: 2, kind: 'veth', slaveKind: 'bridge', hairpin: 1, group: 7 }),
  // a NIC enslaved to a bond: linkinfo without a kind, and no hairpin (not a bridge port)
  linkMsg({ index: 5, name: 'eth9', mtu: 9000, mac: '02:00:00:00:00:09', master: 7, slaveKind: 'bond', hairpin: 1 }),
  // a layer-3 device: no link-layer address
  linkMsg({ index: 6, name: 'wg0', arphrd: 65534, mtu: 1420, kind: 'wireguard' }),
);

describe('netlink replies → what the ip -json path returns', () => {
  it('links: kind, master by name, lowercase MAC, up, hairpin only on bridge ports, group when not 0', () => {
    assert.deepEqual(parseLinks(LINKS), [
      { name: 'lo', index: 1, kind: 'loopback', mtu: 65536, mac: '00:00:00:00:00:00', up: true },
      { name: 'br0', index: 2, kind: 'bridge', mtu: 1500, mac: '1e:55:45:74:90:43', up: true },
      { name: 've0', index: 3, kind: 'veth', mtu: 1500, mac: '1e:55:45:74:90:a0', up: true, master: 'br0', hairpin: true, group: 7 },
      { name: 'eth9', index: 5, kind: '', mtu: 9000, mac: '02:00:00:00:00:09', up: false, master: 'if7' },
      { name: 'wg0', index: 6, kind: 'wireguard', mtu: 1420, mac: '', up: false },
    ]);
  });

  it('links: the same objects as parseLinks of ip\'s JSON for the same state', () => {
    const json = JSON.stringify([
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, group: 'default', link_type: 'loopback', address: '00:00:00:00:00:00' },
      { ifindex: 2, ifname: 'br0', flags: ['BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, group: 'default', link_type: 'ether', address: '1e:55:45:74:90:43', linkinfo: { info_kind: 'bridge' } },
      {
        ifindex: 3, ifname: 've0', flags: ['UP'], mtu: 1500, master: 'br0', group: '7', link_type: 'ether', address: '1e:55:45:74:90:a0',
        linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', hairpin: true } },
      },
    ]);
    const fromNetlink = parseLinks(LINKS).slice(0, 3);
    assert.deepEqual(fromNetlink, parseIpLinks(json));
    // and with the same key order, so that logs and API output do not change either
    assert.equal(JSON.stringify(fromNetlink), JSON.stringify(parseIpLinks(json)));
  });

  it('links on a lower device: parent by name in the same namespace only, mode, ipvlan flag and vlan id as ip -details -json gives them', () => {
    const u16 = (type: number, value: number) => (m: NlMessage) => void m.attr(type, Buffer.from([value & 0xff, value >> 8]));
    const lower = reply(
      linkMsg({ index: 2, name: 'enp1', mtu: 1500, mac: '02:00:00:00:00:01', kind: 'veth', link: 3 }),
      linkMsg({ index: 3, name: 'lan0', mtu: 1500, mac: '02:00:00:00:00:02', kind: 'veth', link: 2 }),
      linkMsg({ index: 4, name: 'mv0', mtu: 1500, mac: '02:00:00:00:00:04', kind: 'macvlan', link: 2, data: (m) => void m.u32(1, 8) }),
      linkMsg({ index: 5, name: 'mv1', mtu: 1500, mac: '02:00:00:00:00:05', kind: 'macvlan', link: 7, linkNetnsid: 0, data: (m) => void m.u32(1, 2) }),
      linkMsg({ index: 6, name: 'iv0', mtu: 1500, mac: '02:00:00:00:00:01', kind: 'ipvlan', link: 2, data: (m) => (u16(1, 2)(m), u16(2, 2)(m)) }),
      linkMsg({ index: 8, name: 'enp1.10', flags: IFF_UP, mtu: 1500, mac: '02:00:00:00:00:01', kind: 'vlan', link: 2, data: u16(1, 10) }),
      linkMsg({ index: 9, name: 'd0', mtu: 1500, mac: '02:00:00:00:00:09', kind: 'dummy' }),
    );
    const json = JSON.stringify([
      { ifindex: 2, link: 'lan0', ifname: 'enp1', flags: [], mtu: 1500, address: '02:00:00:00:00:01', linkinfo: { info_kind: 'veth' } },
      { ifindex: 3, link: 'enp1', ifname: 'lan0', flags: [], mtu: 1500, address: '02:00:00:00:00:02', linkinfo: { info_kind: 'veth' } },
      { ifindex: 4, link: 'enp1', ifname: 'mv0', flags: [], mtu: 1500, address: '02:00:00:00:00:04', linkinfo: { info_kind: 'macvlan', info_data: { mode: 'passthru', bcqueuelen: 1000 } } },
      { ifindex: 5, link_index: 7, ifname: 'mv1', flags: [], mtu: 1500, address: '02:00:00:00:00:05', link_netnsid: 0, linkinfo: { info_kind: 'macvlan', info_data: { mode: 'vepa' } } },
      { ifindex: 6, link: 'enp1', ifname: 'iv0', flags: [], mtu: 1500, address: '02:00:00:00:00:01', linkinfo: { info_kind: 'ipvlan', info_data: { mode: 'l3s', vepa: true } } },
      { ifindex: 8, link: 'enp1', ifname: 'enp1.10', flags: ['UP'], mtu: 1500, address: '02:00:00:00:00:01', linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 10, flags: ['REORDER_HDR'] } } },
      { ifindex: 9, ifname: 'd0', flags: [], mtu: 1500, address: '02:00:00:00:00:09', linkinfo: { info_kind: 'dummy' } },
    ]);
    const fromNetlink = parseLinks(lower);
    assert.deepEqual(
      fromNetlink.map((l) => [l.name, l.parent, l.mode, l.flag, l.vlanId]),
      [
        ['enp1', undefined, undefined, undefined, undefined],
        ['lan0', undefined, undefined, undefined, undefined],
        ['mv0', 'enp1', 'passthru', undefined, undefined],
        ['mv1', undefined, 'vepa', undefined, undefined],
        ['iv0', 'enp1', 'l3s', 'vepa', undefined],
        ['enp1.10', 'enp1', undefined, undefined, 10],
        ['d0', undefined, undefined, undefined, undefined],
      ],
    );
    assert.deepEqual(fromNetlink, parseIpLinks(json));
    assert.equal(JSON.stringify(fromNetlink), JSON.stringify(parseIpLinks(json)));
    // ipvlan flags: private wins over vepa, none set is bridge
    const flagOf = (flags: number) => parseLinks(reply(linkMsg({ index: 1, name: 'i', kind: 'ipvlan', data: u16(2, flags) })))[0]!.flag;
    assert.deepEqual([flagOf(0), flagOf(1), flagOf(2), flagOf(3)], ['bridge', 'private', 'vepa', 'private']);
  });

  it('vxlan links: the settings as ip -details -json prints them (no local when unset, proxy only when on)', () => {
    const port = (p: number) => Buffer.from([p >> 8, p & 0xff]);
    const vx = reply(
      linkMsg({ index: 2, name: 'vx0', mtu: 1450, mac: '02:00:00:00:00:02', kind: 'vxlan', data: (m) => void m.u32(1, 4242).attr(15, port(4789)).attr(4, v4('10.0.0.1')).u8(7, 0).u8(11, 1) }),
      linkMsg({ index: 3, name: 'vx6', mtu: 1500, mac: '02:00:00:00:00:03', kind: 'vxlan', data: (m) => void m.u32(1, 7).attr(15, port(8472)).attr(17, v6(0xfd00, 0, 0, 0, 0, 0, 0, 1)).u8(7, 1).u8(11, 0) }),
      linkMsg({ index: 4, name: 'vx9', mtu: 1500, mac: '02:00:00:00:00:04', kind: 'vxlan', data: (m) => void m.u32(1, 9).attr(4, v4('0.0.0.0')).attr(15, port(4789)).u8(7, 1).u8(11, 0) }),
    );
    const json = JSON.stringify([
      { ifindex: 2, ifname: 'vx0', flags: [], mtu: 1450, address: '02:00:00:00:00:02', linkinfo: { info_kind: 'vxlan', info_data: { id: 4242, local: '10.0.0.1', port_range: { low: 0, high: 0 }, port: 4789, learning: false, proxy: true, ttl: 0 } } },
      { ifindex: 3, ifname: 'vx6', flags: [], mtu: 1500, address: '02:00:00:00:00:03', linkinfo: { info_kind: 'vxlan', info_data: { id: 7, local6: 'fd00::1', port: 8472, learning: true } } },
      { ifindex: 4, ifname: 'vx9', flags: [], mtu: 1500, address: '02:00:00:00:00:04', linkinfo: { info_kind: 'vxlan', info_data: { id: 9, port: 4789, learning: true } } },
    ]);
    const fromNetlink = parseLinks(vx);
    assert.deepEqual(fromNetlink.map((l) => l.vxlan), [
      { vni: 4242, dstport: 4789, local: '10.0.0.1', learning: false, proxy: true },
      { vni: 7, dstport: 8472, local: 'fd00::1', learning: true, proxy: false },
      { vni: 9, dstport: 4789, learning: true, proxy: false },
    ]);
    assert.equal(JSON.stringify(fromNetlink), JSON.stringify(parseIpLinks(json)));
  });

  it('neighbours: permanent IPv4/IPv6 entries with an address; fdb: AF_BRIDGE entries with a remote, as ip and bridge -json give them', () => {
    const neigh = (family: number, index: number, state: number, dst?: Buffer, lladdr?: string) => {
      const hdr = Buffer.alloc(12);
      hdr.writeUInt8(family, 0);
      hdr.writeInt32LE(index, 4);
      hdr.writeUInt16LE(state, 8);
      const m = new NlMessage(28, 0, hdr);
      if (dst !== undefined) m.attr(1, dst);
      if (lladdr !== undefined) m.attr(2, mac(lladdr));
      return m.build().msg;
    };
    const names = new Map([[2, 'vx0'], [3, 'br0']]);
    const neighbors = reply(
      neigh(2, 2, 0x80, v4('10.5.0.3'), '02:42:0A:05:00:03'),
      neigh(2, 3, 0x02, v4('10.5.0.9'), '02:42:0a:05:00:09'), // reachable: learned, not ours
      neigh(2, 3, 0x80, v4('10.5.0.8')), // no link-layer address
      neigh(10, 2, 0x80, v6(0xfd05, 0, 0, 0, 0, 0, 0, 3), '02:42:0a:05:00:03'),
    );
    const ipNeigh = JSON.stringify([
      { dst: '10.5.0.3', dev: 'vx0', lladdr: '02:42:0a:05:00:03', state: ['PERMANENT'] },
      { dst: '10.5.0.9', dev: 'br0', lladdr: '02:42:0a:05:00:09', state: ['REACHABLE'] },
      { dst: '10.5.0.8', dev: 'br0', state: ['PERMANENT'] },
      { dst: 'fd05::3', dev: 'vx0', lladdr: '02:42:0a:05:00:03', state: ['PERMANENT'] },
    ]);
    assert.deepEqual(parseNeighbors(neighbors, names), [
      { dev: 'vx0', address: '10.5.0.3', mac: '02:42:0a:05:00:03', family: 4 },
      { dev: 'vx0', address: 'fd05::3', mac: '02:42:0a:05:00:03', family: 6 },
    ]);
    assert.equal(JSON.stringify(parseNeighbors(neighbors, names)), JSON.stringify(parseIpNeighbors(ipNeigh)));

    const fdb = reply(
      neigh(7, 2, 0x80, v4('10.0.0.2'), '00:00:00:00:00:00'),
      neigh(7, 3, 0x80, undefined, '33:33:00:00:00:01'), // a bridge's own multicast entry: no remote
      neigh(7, 2, 0x80, v6(0xfd00, 0, 0, 0, 0, 0, 0, 2), '02:42:0a:05:00:05'),
    );
    const bridgeJson = JSON.stringify([
      { mac: '00:00:00:00:00:00', ifname: 'vx0', dst: '10.0.0.2', flags: ['self'], state: 'permanent' },
      { mac: '33:33:00:00:00:01', ifname: 'br0', flags: ['self'], state: 'permanent' },
      { mac: '02:42:0a:05:00:05', ifname: 'vx0', dst: 'fd00::2', flags: ['self'], state: 'permanent' },
    ]);
    assert.deepEqual(parseFdb(fdb, names), [
      { dev: 'vx0', mac: '00:00:00:00:00:00', dst: '10.0.0.2' },
      { dev: 'vx0', mac: '02:42:0a:05:00:05', dst: 'fd00::2' },
    ]);
    assert.equal(JSON.stringify(parseFdb(fdb, names)), JSON.stringify(parseIpFdb(bridgeJson)));
  });

  it('addresses: grouped by link in link order, kernel order within a link, IFA_LOCAL before IFA_ADDRESS', () => {
    const addrs = reply(
      addrMsg(2, 2, 24, 0, { local: v4('10.1.0.1'), address: v4('10.1.0.1') }),
      addrMsg(2, 1, 8, 254, { local: v4('127.0.0.1'), address: v4('127.0.0.1') }),
      // a point-to-point address: local is ours, address the peer
      addrMsg(2, 3, 32, 0, { local: v4('10.9.0.1'), address: v4('10.9.0.2') }),
      addrMsg(10, 2, 64, 0, { address: v6(0xfd00, 0, 0, 1, 0, 0, 0, 1) }),
      addrMsg(10, 1, 128, 254, { address: v6(0, 0, 0, 0, 0, 0, 0, 1) }),
      addrMsg(10, 2, 64, 253, { address: v6(0xfe80, 0, 0, 0, 0x48c6, 0x41ff, 0xfe73, 0xba55) }),
      addrMsg(10, 3, 64, 200, { address: v6(0xfec0, 0, 0, 0, 0, 0, 0, 3) }),
      addrMsg(2, 42, 24, 0, { local: v4('10.42.0.1') }), // a link the link dump did not have
      addrMsg(17, 2, 0, 0, { local: Buffer.alloc(6) }), // not an IP family
    );
    assert.deepEqual(parseAddresses(LINKS, addrs), [
      { dev: 'lo', cidr: '127.0.0.1/8', family: 4, scope: 'host' },
      { dev: 'lo', cidr: '::1/128', family: 6, scope: 'host' },
      { dev: 'br0', cidr: '10.1.0.1/24', family: 4, scope: 'global' },
      { dev: 'br0', cidr: 'fd00:0:0:1::1/64', family: 6, scope: 'global' },
      { dev: 'br0', cidr: 'fe80::48c6:41ff:fe73:ba55/64', family: 6, scope: 'link' },
      { dev: 've0', cidr: '10.9.0.1/32', family: 4, scope: 'global' },
      { dev: 've0', cidr: 'fec0::3/64', family: 6, scope: 'site' },
    ]);
    const json = JSON.stringify([{ ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] }]);
    assert.deepEqual(parseAddresses(LINKS, addrs).slice(0, 1), parseIpAddresses(json));
  });

  it('IPv4 routes: main table only, no cloned ones, host routes without /32, scope unless global', () => {
    const names = linkNames(parseRawLinks(LINKS));
    const routes = reply(
      routeMsg({ family: 2, dstLen: 24, dst: v4('10.1.0.0'), scope: 253, oif: 2 }),
      routeMsg({ family: 2, dstLen: 0, gateway: v4('10.1.0.5'), oif: 2 }),
      routeMsg({ family: 2, dstLen: 32, dst: v4('10.9.9.9'), scope: 253, oif: 2 }),
      routeMsg({ family: 2, dstLen: 16, dst: v4('10.8.0.0'), gateway: v4('10.1.0.5'), oif: 99 }),
      routeMsg({ family: 2, dstLen: 32, dst: v4('10.1.0.1'), table: 255, scope: 254, type: 2, oif: 2 }), // local table
      routeMsg({ family: 2, dstLen: 32, dst: v4('10.1.0.7'), flags: 0x200, oif: 2 }), // cloned
      routeMsg({ family: 2, dstLen: 8, dst: v4('10.0.0.0'), table: 252, tableAttr: 1000, oif: 2 }), // table 1000
      routeMsg({ family: 2, dstLen: 8, dst: v4('11.0.0.0'), table: 252, tableAttr: 254, scope: 200 }), // main, by attribute
    );
    assert.deepEqual(parseRoutes(routes, 4, names), [
      { dst: '10.1.0.0/24', family: 4, dev: 'br0', scope: 'link' },
      { dst: 'default', family: 4, gateway: '10.1.0.5', dev: 'br0' },
      { dst: '10.9.9.9', family: 4, dev: 'br0', scope: 'link' },
      { dst: '10.8.0.0/16', family: 4, gateway: '10.1.0.5', dev: 'if99' },
      { dst: '11.0.0.0/8', family: 4, scope: 'site' },
    ]);
    const json = JSON.stringify([{ dst: '10.1.0.0/24', dev: 'br0', protocol: 'kernel', scope: 'link', prefsrc: '10.1.0.1', flags: [] }]);
    assert.deepEqual(parseRoutes(routes, 4, names).slice(0, 1), parseIpRoutes(json, 4));
  });

  it('IPv6 routes: like ip -6, local-type routes are hidden until another table shows up, then the table decides', () => {
    const names = linkNames(parseRawLinks(LINKS));
    const routes = reply(
      routeMsg({ family: 10, dstLen: 128, dst: v6(0xfd00, 0, 0, 1, 0, 0, 0, 9), type: 2, oif: 2 }), // main, local type: hidden
      routeMsg({ family: 10, dstLen: 64, dst: v6(0xfd00, 0, 0, 1), oif: 2 }),
      routeMsg({ family: 10, dstLen: 0, gateway: v6(0xfd00, 0, 0, 1, 0, 0, 0, 5), oif: 2 }),
      routeMsg({ family: 10, dstLen: 128, dst: v6(0, 0, 0, 0, 0, 0, 0, 1), table: 255, type: 2, oif: 1 }), // local table
      routeMsg({ family: 10, dstLen: 128, dst: v6(0xfd00, 0, 0, 2, 0, 0, 0, 1), type: 2, oif: 3 }), // main, now shown
      routeMsg({ family: 10, dstLen: 8, dst: v6(0xff00), table: 255, type: 5, oif: 2 }),
      routeMsg({ family: 2, dstLen: 0, gateway: v4('10.0.0.1') }), // another family: not this dump's
    );
    assert.deepEqual(parseRoutes(routes, 6, names), [
      { dst: 'fd00:0:0:1::/64', family: 6, dev: 'br0' },
      { dst: 'default', family: 6, gateway: 'fd00:0:0:1::5', dev: 'br0' },
      { dst: 'fd00:0:0:2::1', family: 6, dev: 've0' },
    ]);
  });

  it('IPv6 text as glibc inet_ntop (RFC 5952), IPv4 dotted', () => {
    const cases: [Buffer, string][] = [
      [v6(), '::'],
      [v6(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
      [v6(1), '1::'],
      [v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), '2001:db8::1:0:0:1'], // the first of two equal runs
      [v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'], // one zero word stays
      [v6(0x2001, 0xdb8, 0, 0, 0, 1, 0, 0), '2001:db8::1:0:0'], // the longer run wins
      [v6(0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203), '::ffff:10.1.2.3'],
      [v6(0, 0, 0, 0, 0, 0, 0x0a01, 0x0203), '::10.1.2.3'],
      [v6(0, 0, 0, 0, 0, 0, 0, 0x0100), '::100'],
      [v6(0xfe80, 0, 0, 0, 0xABCD, 0x00ff, 0xfe00, 0x0001), 'fe80::abcd:ff:fe00:1'],
      [v4('192.0.2.255'), '192.0.2.255'],
    ];
    for (const [bytes, text] of cases) assert.equal(formatAddress(bytes), text);
    assert.deepEqual([0, 200, 253, 254, 255, 17].map(scopeName), ['global', 'site', 'link', 'host', 'nowhere', '17']);
  });

  it('a reply whose message overruns it is an error, not a silent cut', () => {
    const one = linkMsg({ index: 1, name: 'lo' });
    assert.equal(replyMessages(one).length, 1);
    assert.throws(() => replyMessages(one.subarray(0, one.length - 4)), /overruns/);
    assert.deepEqual(replyMessages(undefined), []);
  });
});
