import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOp } from '../src/netlink/encode.js';
import { FIXUP_IFINDEX, FIXUP_NETNS_FD, NlMessage } from '../src/netlink/message.js';
import { describeErrno, isMissingErrno } from '../src/netlink/run.js';

interface Attr {
  type: number;
  start: number;
  payload: Buffer;
}

/** Attributes of `buf` from `from` to its end, checking every length stays inside. */
function attrs(buf: Buffer, from: number, to = buf.length): Attr[] {
  const out: Attr[] = [];
  let at = from;
  while (at < to) {
    const len = buf.readUInt16LE(at);
    assert.ok(len >= 4 && at + len <= to, `attribute at ${at} (length ${len}) overruns ${to}`);
    out.push({ type: buf.readUInt16LE(at + 2), start: at, payload: buf.subarray(at + 4, at + len) });
    at += (len + 3) & ~3;
  }
  assert.equal(at, to);
  return out;
}
const attr = (list: Attr[], type: number): Attr => {
  const found = list.find((a) => a.type === type);
  assert.ok(found, `attribute ${type} missing`);
  return found;
};
const nested = (a: Attr, skip = 0): Attr[] => attrs(a.payload, skip);

describe('netlink encoding', () => {
  it('a veth with its peer in another namespace: nested lengths add up, the netns fd is a fixup', () => {
    const { msg, fixups } = encodeOp(
      { op: 'veth.add', name: 'pbvabc', peer: 'eth0', peerNetns: '/run/netns/sb', mtu: 1400, peerMac: '02:42:0a:00:00:02' },
      null,
      '/proc/1/ns/net',
    );
    assert.equal(msg.readUInt32LE(0), msg.length);
    assert.equal(msg.readUInt16LE(4), 16); // RTM_NEWLINK
    assert.equal(msg.readUInt16LE(6), 0x1 | 0x4 | 0x200 | 0x400); // request, ack, excl, create
    const top = attrs(msg, 32);
    assert.equal(attr(top, 3).payload.toString(), 'pbvabc\0');
    assert.equal(attr(top, 4).payload.readUInt32LE(0), 1400);
    const info = nested(attr(top, 18));
    assert.equal(attr(info, 1).payload.toString(), 'veth\0');
    const peer = attr(nested(attr(info, 2)), 1);
    const peerAttrs = attrs(peer.payload, 16); // after the peer's ifinfomsg
    assert.equal(attr(peerAttrs, 3).payload.toString(), 'eth0\0');
    // one transmit and one receive queue on both ends (IFLA_NUM_TX_QUEUES 31, IFLA_NUM_RX_QUEUES 32)
    for (const list of [top, peerAttrs]) for (const type of [31, 32]) assert.equal(attr(list, type).payload.readUInt32LE(0), 1);
    assert.deepEqual([...attr(peerAttrs, 1).payload], [0x02, 0x42, 0x0a, 0, 0, 2]);
    assert.ok(peerAttrs.some((a) => a.type === 28), 'IFLA_NET_NS_FD');
    assert.equal(fixups.length, 1);
    assert.equal(fixups[0]!.kind, FIXUP_NETNS_FD);
    assert.equal(fixups[0]!.value, '/run/netns/sb');
    // the fixup points at the 4 payload bytes of an IFLA_NET_NS_FD attribute (length 8, type 28)
    assert.equal(msg.readUInt16LE(fixups[0]!.offset - 4), 8);
    assert.equal(msg.readUInt16LE(fixups[0]!.offset - 2), 28);
  });

  it('no netns attribute when the peer stays in the batch namespace; the host is named by its /proc path', () => {
    assert.deepEqual(encodeOp({ op: 'veth.add', name: 'a', peer: 'b', peerNetns: null }, null, '/proc/9/ns/net').fixups, []);
    const { fixups } = encodeOp({ op: 'veth.add', name: 'a', peer: 'b', peerNetns: null }, '/run/netns/x', '/proc/9/ns/net');
    assert.equal(fixups[0]?.value, '/proc/9/ns/net');
  });

  it('addresses: IPv6 with ::, the prefix, and the interface index as a fixup in ifaddrmsg', () => {
    const { msg, fixups } = encodeOp({ op: 'addr.add', dev: 'eth0', cidr: 'fd00:7::2/64' }, null, '/proc/1/ns/net');
    assert.equal(msg.readUInt8(16), 10); // AF_INET6
    assert.equal(msg.readUInt8(17), 64);
    assert.deepEqual(fixups, [{ offset: 20, kind: FIXUP_IFINDEX, value: 'eth0' }]);
    const local = attr(attrs(msg, 24), 2).payload;
    assert.equal(local.toString('hex'), 'fd000007000000000000000000000002');
    const v4 = encodeOp({ op: 'addr.add', dev: 'eth0', cidr: '172.18.0.5/16' }, null, '/proc/1/ns/net').msg;
    assert.deepEqual([...attr(attrs(v4, 24), 2).payload], [172, 18, 0, 5]);
    const mapped = encodeOp({ op: 'addr.add', dev: 'eth0', cidr: '::ffff:10.1.2.3/128' }, null, '/proc/1/ns/net').msg;
    assert.equal(attr(attrs(mapped, 24), 2).payload.toString('hex'), '00000000000000000000ffff0a010203');
  });

  it('routes: default via a gateway in the main table, on the named device', () => {
    const { msg, fixups } = encodeOp({ op: 'route.add', dst: '::/0', via: 'fd00::1', dev: 'eth1' }, null, '/proc/1/ns/net');
    assert.deepEqual([...msg.subarray(16, 24)], [10, 0, 0, 0, 254, 3, 0, 1]);
    const list = attrs(msg, 28);
    assert.equal(list.some((a) => a.type === 1), false, 'no RTA_DST for a /0');
    assert.equal(attr(list, 5).payload.toString('hex'), 'fd000000000000000000000000000001');
    assert.equal(fixups[0]?.kind, FIXUP_IFINDEX);
    assert.equal(fixups[0]?.value, 'eth1');
  });

  it('link set: up flag with its change mask, master by index, hairpin as bridge-port data', () => {
    const up = encodeOp({ op: 'link.set', name: 'pbv1', master: 'pb0', up: true }, null, '/p').msg;
    assert.equal(up.readUInt32LE(24), 1);
    assert.equal(up.readUInt32LE(28), 1);
    const hp = encodeOp({ op: 'link.set', name: 'pbv1', hairpin: true }, null, '/p').msg;
    const info = nested(attr(attrs(hp, 32), 18));
    assert.equal(attr(info, 4).payload.toString(), 'bridge\0');
    assert.deepEqual([...attr(nested(attr(info, 5)), 4).payload], [1]);
    const down = encodeOp({ op: 'link.set', name: 'x', up: false, nomaster: true }, null, '/p').msg;
    assert.equal(down.readUInt32LE(24), 0);
    assert.equal(down.readUInt32LE(28), 1);
    assert.equal(attr(attrs(down, 32), 10).payload.readUInt32LE(0), 0);
  });

  it('a macvlan made in another namespace: the parent by index in the batch\'s namespace, the target a netns fd, the mode in info data', () => {
    const { msg, fixups } = encodeOp(
      { op: 'macvlan.add', name: 'eth0', parent: 'enp1', mode: 'passthru', netns: '/run/netns/sb', mtu: 1400, mac: '02:42:0a:00:00:07' },
      null,
      '/proc/1/ns/net',
    );
    assert.equal(msg.readUInt32LE(0), msg.length);
    assert.equal(msg.readUInt16LE(6), 0x1 | 0x4 | 0x200 | 0x400);
    const top = attrs(msg, 32);
    assert.equal(attr(top, 3).payload.toString(), 'eth0\0');
    assert.equal(attr(top, 4).payload.readUInt32LE(0), 1400);
    assert.deepEqual([...attr(top, 1).payload], [0x02, 0x42, 0x0a, 0, 0, 7]);
    const info = nested(attr(top, 18));
    assert.equal(attr(info, 1).payload.toString(), 'macvlan\0');
    assert.deepEqual(attrs(attr(info, 2).payload, 0).map((a) => [a.type, a.payload.readUInt32LE(0)]), [[1, 8]]); // IFLA_MACVLAN_MODE passthru
    // IFLA_LINK (5) and IFLA_NET_NS_FD (28), each filled in by the native side
    assert.deepEqual(fixups.map((f) => [f.kind, f.value, msg.readUInt16LE(f.offset - 2)]), [
      [FIXUP_IFINDEX, 'enp1', 5],
      [FIXUP_NETNS_FD, '/run/netns/sb', 28],
    ]);
    for (const [mode, value] of [['private', 1], ['vepa', 2], ['bridge', 4]] as const) {
      const m = encodeOp({ op: 'macvlan.add', name: 'm', parent: 'p', mode }, '/run/netns/x', '/proc/1/ns/net');
      assert.equal(attrs(attr(nested(attr(attrs(m.msg, 32), 18)), 2).payload, 0)[0]!.payload.readUInt32LE(0), value);
      assert.deepEqual(m.fixups.map((f) => f.kind), [FIXUP_IFINDEX], 'no netns: the link stays in the batch\'s namespace');
    }
    const home = encodeOp({ op: 'macvlan.add', name: 'm', parent: 'p', mode: 'bridge', netns: null }, '/run/netns/x', '/proc/1/ns/net');
    assert.equal(home.fixups[1]?.value, '/proc/1/ns/net', 'netns null from elsewhere: the daemon\'s namespace by its path');
  });

  it('ipvlan mode and flags are 16-bit; vlan id 16-bit; dummy has only a kind', () => {
    const data = (op: Parameters<typeof encodeOp>[0]) => {
      const info = nested(attr(attrs(encodeOp(op, null, '/p').msg, 32), 18));
      return [attr(info, 1).payload.toString(), attrs(attr(info, 2).payload, 0).map((a) => [a.type, a.payload.length, a.payload.readUInt16LE(0)])];
    };
    assert.deepEqual(data({ op: 'ipvlan.add', name: 'i', parent: 'p', mode: 'l3s', flag: 'vepa' }), ['ipvlan\0', [[1, 2, 2], [2, 2, 2]]]);
    assert.deepEqual(data({ op: 'ipvlan.add', name: 'i', parent: 'p', mode: 'l2', flag: 'private' }), ['ipvlan\0', [[1, 2, 0], [2, 2, 1]]]);
    assert.deepEqual(data({ op: 'ipvlan.add', name: 'i', parent: 'p', mode: 'l3' }), ['ipvlan\0', [[1, 2, 1]]]);
    assert.deepEqual(data({ op: 'vlan.add', name: 'p.10', parent: 'p', id: 4094 }), ['vlan\0', [[1, 2, 4094]]]);
    const dummy = encodeOp({ op: 'dummy.add', name: 'd0' }, null, '/p');
    const info = nested(attr(attrs(dummy.msg, 32), 18));
    assert.deepEqual([info.length, attr(info, 1).payload.toString(), dummy.fixups], [1, 'dummy\0', []]);
  });

  it('vxlan: id 32-bit, port in network order, the source address by family, learning and proxy as bytes', () => {
    const data = (op: Parameters<typeof encodeOp>[0]) => {
      const info = nested(attr(attrs(encodeOp(op, null, '/p').msg, 32), 18));
      assert.equal(attr(info, 1).payload.toString(), 'vxlan\0');
      return attrs(attr(info, 2).payload, 0).map((a) => [a.type, a.payload.toString('hex')]);
    };
    assert.deepEqual(data({ op: 'vxlan.add', name: 'vx0', vni: 4242, dstport: 4789, local: '10.0.0.1', learning: false, proxy: true }), [
      [1, '92100000'], [15, '12b5'], [4, '0a000001'], [7, '00'], [11, '01'],
    ]);
    assert.deepEqual(data({ op: 'vxlan.add', name: 'vx0', vni: 7, dstport: 8472, local: 'fd00::1', learning: true }), [
      [1, '07000000'], [15, '2118'], [17, 'fd000000000000000000000000000001'], [7, '01'],
    ]);
  });

  it('fdb entries: AF_BRIDGE, permanent, the device\'s own table (NTF_SELF), append; neighbours: their family, replace', () => {
    const fdb = encodeOp({ op: 'fdb.append', dev: 'vx0', mac: '00:00:00:00:00:00', dst: '10.0.0.2' }, null, '/p');
    assert.equal(fdb.msg.readUInt16LE(4), 28); // RTM_NEWNEIGH
    assert.equal(fdb.msg.readUInt16LE(6), 0x1 | 0x4 | 0x400 | 0x800); // request, ack, create, append
    assert.deepEqual([fdb.msg[16], fdb.msg.readUInt16LE(24), fdb.msg[26]], [7, 0x80, 0x02]);
    assert.deepEqual(fdb.fixups, [{ offset: 20, kind: FIXUP_IFINDEX, value: 'vx0' }]);
    assert.deepEqual(attrs(fdb.msg, 28).map((a) => [a.type, a.payload.toString('hex')]), [[2, '000000000000'], [1, '0a000002']]);
    const del = encodeOp({ op: 'fdb.del', dev: 'vx0', mac: '02:42:0a:00:00:05', dst: 'fd00::2' }, null, '/p');
    assert.deepEqual([del.msg.readUInt16LE(4), del.msg.readUInt16LE(6), del.msg[16], del.msg[26]], [29, 0x1 | 0x4, 7, 0x02]);
    assert.equal(attr(attrs(del.msg, 28), 1).payload.length, 16);

    const neigh = encodeOp({ op: 'neigh.replace', dev: 'vx0', address: 'fd05::3', mac: '02:42:0a:05:00:03' }, null, '/p');
    assert.deepEqual([neigh.msg.readUInt16LE(4), neigh.msg.readUInt16LE(6)], [28, 0x1 | 0x4 | 0x400 | 0x100]); // create, replace
    assert.deepEqual([neigh.msg[16], neigh.msg.readUInt16LE(24), neigh.msg[26]], [10, 0x80, 0]);
    assert.deepEqual(attrs(neigh.msg, 28).map((a) => [a.type, a.payload.toString('hex')]), [[1, 'fd050000000000000000000000000003'], [2, '02420a050003']]);
    const gone = encodeOp({ op: 'neigh.del', dev: 'vx0', address: '10.5.0.3' }, null, '/p');
    assert.deepEqual([gone.msg.readUInt16LE(4), gone.msg[16]], [29, 2]);
    assert.deepEqual(attrs(gone.msg, 28).map((a) => a.type), [1]);
  });

  it('errno names and what counts as already gone in teardown', () => {
    assert.deepEqual(describeErrno(17), { name: 'EEXIST', text: 'File already exists' });
    assert.equal(isMissingErrno({ op: 'link.del', name: 'x' }, 19), true);
    assert.equal(isMissingErrno({ op: 'addr.del', dev: 'x', cidr: '10.0.0.1/8' }, 99), true);
    assert.equal(isMissingErrno({ op: 'addr.add', dev: 'x', cidr: '10.0.0.1/8' }, 99), false);
    assert.equal(isMissingErrno({ op: 'route.del', dst: 'default' }, 3), true);
    assert.equal(isMissingErrno({ op: 'link.del', name: 'x' }, 1), false);
  });

  it('a message written into one buffer: grown past its first size, nested lengths kept, padding zero even over used pool memory', () => {
    // dirty node's buffer pool, from which a message's buffer comes
    for (let i = 0; i < 64; i++) Buffer.allocUnsafe(200).fill(0xee);
    const m = new NlMessage(16, 0, Buffer.alloc(16));
    m.begin(18);
    const names: string[] = [];
    for (let i = 0; i < 40; i++) {
      const name = `link-${i}`.repeat((i % 3) + 1);
      names.push(name);
      m.str(3, name).u8(7, i).u16(8, i * 3).u32(9, 0xfffffff0 + (i % 8));
    }
    m.end();
    const { msg } = m.build();
    assert.ok(msg.length > 256, `message of ${msg.length} bytes did not grow past the first buffer`);
    assert.equal(msg.readUInt32LE(0), msg.length);
    assert.equal(msg.readUInt16LE(6), 0x1); // NLM_F_REQUEST
    assert.ok(msg.subarray(16, 32).every((b) => b === 0), 'the family header is as given');
    const outer = attrs(msg, 32);
    assert.equal(outer.length, 1);
    const inner = nested(outer[0]!);
    assert.equal(inner.length, 160);
    for (let i = 0; i < 40; i++) {
      const [s, b, h, w] = inner.slice(i * 4, i * 4 + 4);
      assert.equal(s!.payload.toString(), `${names[i]}\0`);
      assert.equal(b!.payload.length, 1);
      assert.equal(b!.payload[0], i);
      assert.equal(h!.payload.readUInt16LE(0), i * 3);
      assert.equal(w!.payload.readUInt32LE(0), 0xfffffff0 + (i % 8));
      for (const a of [s!, b!, h!]) {
        const end = a.start + 4 + a.payload.length;
        assert.ok(outer[0]!.payload.subarray(end, (end + 3) & ~3).every((x) => x === 0), `padding after attribute at ${a.start} is zero`);
      }
    }
  });
});
