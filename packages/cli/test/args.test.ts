import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommandArgs, parseKeyValue, parseKeyValues, parsePublish, strs, UsageError } from '../src/args.js';
import { connectBody, networkCreateBody } from '../src/commands/network.js';
import { buildPools } from '../src/pools.js';

const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message);

describe('parsePublish (docker -p)', () => {
  test('container port only, with host port, with host ip', () => {
    assert.deepEqual(parsePublish('80'), [{ containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(parsePublish('8080:80'), [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(parsePublish('127.0.0.1:8080:80/udp'), [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' }]);
    assert.deepEqual(parsePublish('127.0.0.1::53/UDP'), [{ hostIp: '127.0.0.1', containerPort: 53, protocol: 'udp' }]);
    assert.deepEqual(parsePublish('9000/sctp'), [{ containerPort: 9000, protocol: 'sctp' }]);
  });

  test('IPv6 host addresses, bracketed or not', () => {
    assert.deepEqual(parsePublish('[::1]:8080:80'), [{ hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(parsePublish('fd00::1:8080:80'), [{ hostIp: 'fd00::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(parsePublish('[::]::80'), [{ hostIp: '::', containerPort: 80, protocol: 'tcp' }]);
  });

  test('ranges expand pairwise', () => {
    assert.deepEqual(parsePublish('8000-8002:80-82'), [
      { hostPort: 8000, containerPort: 80, protocol: 'tcp' },
      { hostPort: 8001, containerPort: 81, protocol: 'tcp' },
      { hostPort: 8002, containerPort: 82, protocol: 'tcp' },
    ]);
    assert.deepEqual(parsePublish('7000-7001'), [
      { containerPort: 7000, protocol: 'tcp' },
      { containerPort: 7001, protocol: 'tcp' },
    ]);
  });

  test('bad specs are usage errors naming the problem', () => {
    assert.throws(() => parsePublish(''), usage(/container port is missing/));
    assert.throws(() => parsePublish('8080:'), usage(/container port is missing/));
    assert.throws(() => parsePublish('0'), usage(/container port "0" is out of range 1-65535/));
    assert.throws(() => parsePublish('65536'), usage(/out of range/));
    assert.throws(() => parsePublish('80/icmp'), usage(/unknown protocol "icmp"/));
    assert.throws(() => parsePublish('web:80'), usage(/host port "web" is not a port or range/));
    assert.throws(() => parsePublish('nohost:8080:80'), usage(/"nohost" is not an IP address/));
    assert.throws(() => parsePublish('8000-8001:80'), usage(/same length/));
    assert.throws(() => parsePublish('90-80'), usage(/ends before it starts/));
  });
});

describe('key=value flags', () => {
  test('split on the first =, keep later ones in the value', () => {
    assert.deepEqual(parseKeyValue('com.example.mtu=1400', '--opt'), ['com.example.mtu', '1400']);
    assert.deepEqual(parseKeyValue('k=a=b', '--opt'), ['k', 'a=b']);
    assert.deepEqual(parseKeyValue('k=', '--opt'), ['k', '']);
  });

  test('a bare key is allowed only where docker allows it (labels)', () => {
    assert.deepEqual(parseKeyValue('team', '--label', true), ['team', '']);
    assert.throws(() => parseKeyValue('router', '--aux-address'), usage(/invalid --aux-address "router": expected key=value/));
    assert.throws(() => parseKeyValue('=1.2.3.4', '--aux-address'), usage(/empty key/));
  });

  test('repeated keys keep the last value', () => {
    assert.deepEqual(parseKeyValues(['a=1', 'b=2', 'a=3'], '--opt'), { a: '3', b: '2' });
  });
});

describe('parseCommandArgs', () => {
  const specs = {
    subnet: { type: 'string', multiple: true, description: '' },
    driver: { type: 'string', short: 'd', description: '' },
    ipv6: { type: 'boolean', description: '' },
  } as const;

  test('repeatable flags, short flags, = values and positionals in any order', () => {
    const { values, positionals } = parseCommandArgs(['--subnet', '10.1.0.0/24', 'net1', '-d', 'bridge', '--subnet=10.2.0.0/24', '--ipv6'], specs);
    assert.deepEqual(strs(values, 'subnet'), ['10.1.0.0/24', '10.2.0.0/24']);
    assert.equal(values.driver, 'bridge');
    assert.equal(values.ipv6, true);
    assert.deepEqual(positionals, ['net1']);
  });

  test('docker-like messages for bad flags', () => {
    assert.throws(() => parseCommandArgs(['--nope'], specs), usage(/^unknown flag: --nope$/));
    assert.throws(() => parseCommandArgs(['-x'], specs), usage(/^unknown flag: -x$/));
    assert.throws(() => parseCommandArgs(['--subnet'], specs), usage(/^flag needs an argument: --subnet$/));
    assert.throws(() => parseCommandArgs(['--ipv6=yes'], specs), usage(/^flag --ipv6 does not take a value$/));
  });
});

describe('buildPools (--subnet/--gateway/--ip-range/--aux-address)', () => {
  const none = { subnets: [], gateways: [], ipRanges: [], auxAddresses: [] as [string, string][] };

  test('values go to the subnet that contains them, so in-order flags pair up', () => {
    assert.deepEqual(
      buildPools({
        subnets: ['10.1.0.0/24', 'fd00:1::/64'],
        gateways: ['10.1.0.254', 'fd00:1::1'],
        ipRanges: ['10.1.0.128/25'],
        auxAddresses: [
          ['router', '10.1.0.2'],
          ['dns6', 'fd00:1::53'],
          ['printer', '10.1.0.3'],
        ],
      }),
      [
        { subnet: '10.1.0.0/24', ipRange: '10.1.0.128/25', gateway: '10.1.0.254', auxAddresses: { router: '10.1.0.2', printer: '10.1.0.3' } },
        { subnet: 'fd00:1::/64', gateway: 'fd00:1::1', auxAddresses: { dns6: 'fd00:1::53' } },
      ],
    );
  });

  test('gateways given out of order still land on their own subnet', () => {
    assert.deepEqual(buildPools({ ...none, subnets: ['10.1.0.0/24', '10.2.0.0/24'], gateways: ['10.2.0.1', '10.1.0.1'] }), [
      { subnet: '10.1.0.0/24', gateway: '10.1.0.1' },
      { subnet: '10.2.0.0/24', gateway: '10.2.0.1' },
    ]);
  });

  test('no flags, no pools', () => {
    assert.deepEqual(buildPools(none), []);
  });

  test("docker's errors", () => {
    assert.throws(() => buildPools({ ...none, gateways: ['10.1.0.1'] }), usage(/every ip-range or gateway must have a corresponding subnet/));
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.0.0/16', '10.1.2.0/24'] }), usage(/overlapping/));
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.2.0/24', '10.1.0.0/16'] }), usage(/overlapping/));
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.0.0/24'], gateways: ['10.9.0.1'] }), usage(/no matching subnet for gateway 10.9.0.1/));
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.0.0/24'], ipRanges: ['10.1.0.0/16'] }), usage(/no matching subnet for range 10.1.0.0\/16/));
    assert.throws(
      () => buildPools({ ...none, subnets: ['10.1.0.0/24', '10.2.0.0/24'], gateways: ['10.1.0.1', '10.1.0.2'] }),
      usage(/cannot configure multiple gateways \(10.1.0.2, 10.1.0.1\) for the same subnet \(10.1.0.0\/24\)/),
    );
    assert.throws(
      () => buildPools({ ...none, subnets: ['10.1.0.0/24', '10.2.0.0/24'], ipRanges: ['10.1.0.0/25', '10.1.0.128/25'] }),
      usage(/cannot configure multiple ranges/),
    );
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.0.0/24'], auxAddresses: [['x', '10.2.0.1']] }), usage(/no matching subnet for aux-address 10.2.0.1/));
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.0.0/24'], auxAddresses: [['x', 'router']] }), usage(/not an IP address/));
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.0.0'] }), usage(/invalid CIDR address: 10.1.0.0/));
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.0.0/33'] }), usage(/invalid CIDR address/));
    assert.throws(() => buildPools({ ...none, subnets: ['10.1.0.0/24'], gateways: ['fd00::1'] }), usage(/no matching subnet for gateway fd00::1/));
  });
});

describe('request bodies from flags', () => {
  const flags = (argv: string[], specs: Parameters<typeof parseCommandArgs>[1]) => parseCommandArgs(argv, specs).values;

  test('network create: only what was asked for is sent, the daemon fills defaults', () => {
    assert.deepEqual(networkCreateBody('plain', {}), { name: 'plain' });
    const values = {
      driver: 'bridge',
      subnet: ['10.1.0.0/24'],
      gateway: ['10.1.0.1'],
      'aux-address': ['router=10.1.0.2'],
      opt: ['com.docker.network.bridge.name=br-test', 'mtu=1400'],
      label: ['team=net', 'temp'],
      'ipam-driver': 'default',
      'ipam-opt': ['x=y'],
      ipv6: true,
      internal: true,
      attachable: true,
    };
    assert.deepEqual(networkCreateBody('front', values), {
      name: 'front',
      driver: 'bridge',
      ipam: { driver: 'default', options: { x: 'y' }, config: [{ subnet: '10.1.0.0/24', gateway: '10.1.0.1', auxAddresses: { router: '10.1.0.2' } }] },
      options: { 'com.docker.network.bridge.name': 'br-test', mtu: '1400' },
      labels: { team: 'net', temp: '' },
      enableIPv6: true,
      internal: true,
      attachable: true,
    });
  });

  test('network connect: addresses, aliases and every -p', () => {
    const specs = {
      ip: { type: 'string', description: '' },
      mac: { type: 'string', description: '' },
      alias: { type: 'string', multiple: true, description: '' },
      publish: { type: 'string', short: 'p', multiple: true, description: '' },
    } as const;
    const values = flags(['--ip', '10.1.0.9', '--mac', '02:42:0a:01:00:09', '--alias', 'db', '-p', '5432:5432', '-p', '127.0.0.1:53:53/udp'], specs);
    assert.deepEqual(connectBody('web', values), {
      sandbox: 'web',
      ipv4Address: '10.1.0.9',
      macAddress: '02:42:0a:01:00:09',
      aliases: ['db'],
      ports: [
        { hostPort: 5432, containerPort: 5432, protocol: 'tcp' },
        { hostIp: '127.0.0.1', hostPort: 53, containerPort: 53, protocol: 'udp' },
      ],
    });
    assert.deepEqual(connectBody('web', {}), { sandbox: 'web' });
  });
});
