import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlags } from '../src/config.js';
import { dockerPluginEnabled } from '../src/docker-plugin/index.js';

describe('Docker plugin flags', () => {
  it('is on when /run/docker exists, unless --docker-plugin says otherwise', () => {
    assert.equal(dockerPluginEnabled(parseFlags([]), true), true);
    assert.equal(dockerPluginEnabled(parseFlags([]), false), false);
    assert.equal(dockerPluginEnabled(parseFlags(['--docker-plugin=false']), true), false);
    assert.equal(dockerPluginEnabled(parseFlags(['--docker-plugin']), false), true);
  });

  it('serves on /run/docker/plugins/patchbay.sock unless moved; the path must be absolute and end in .sock', () => {
    assert.equal(parseFlags([]).dockerPluginSocket, '/run/docker/plugins/patchbay.sock');
    assert.equal(parseFlags(['--docker-plugin-socket', '/run/docker/plugins/pb.sock']).dockerPluginSocket, '/run/docker/plugins/pb.sock');
    assert.throws(() => parseFlags(['--docker-plugin-socket', 'relative.sock']), /invalid --docker-plugin-socket "relative.sock"/);
    assert.throws(() => parseFlags(['--docker-plugin-socket', '/run/docker/plugins/patchbay']), /ending in \.sock/);
    assert.throws(() => parseFlags(['--docker-plugin=maybe']), /must be true or false/);
  });
});
