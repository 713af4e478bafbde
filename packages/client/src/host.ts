export const DEFAULT_HOST = 'unix:///run/patchbay/patchbay.sock';

/** Where the daemon listens: a unix socket path, or a TCP host and port (plain HTTP). */
export type Target = { kind: 'unix'; socketPath: string } | { kind: 'tcp'; hostname: string; port: number };

/**
 * Parses a daemon address in dockerd's `-H` style: `unix:///path.sock`, `tcp://HOST:PORT` or
 * `http://HOST[:PORT]`. Throws a plain Error naming the bad address.
 */
export function parseHost(host: string): Target {
  const bad = (why: string) => new Error(`invalid daemon address ${JSON.stringify(host)}: ${why}`);
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw bad('a unix socket path must be absolute (unix:///path.sock)');
    return { kind: 'unix', socketPath };
  }
  const scheme = /^([a-z]+):\/\//.exec(host)?.[1];
  if (scheme !== 'tcp' && scheme !== 'http') throw bad('expected unix://, tcp:// or http://');
  let url: URL;
  try {
    url = new URL(scheme === 'tcp' ? `http://${host.slice('tcp://'.length)}` : host);
  } catch {
    throw bad('not a valid URL');
  }
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') throw bad('expected only a host and a port');
  if (scheme === 'tcp' && url.port === '') throw bad('tcp:// needs a port, e.g. tcp://127.0.0.1:2375');
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', hostname, port: url.port === '' ? 80 : Number(url.port) };
}
