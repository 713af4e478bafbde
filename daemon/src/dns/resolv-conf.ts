/**
 * The host's resolvers: `nameserver` lines of resolv.conf, read at start and again whenever the
 * file changes (it is often replaced by rename, or is a symlink into /run, so the directories of
 * both the path and its target are watched, not the file itself).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isIP } from 'node:net';

/** glibc uses at most three (MAXNS); so does the forwarder. */
export const MAX_NAMESERVERS = 3;

export function parseNameservers(text: string): string[] {
  const found: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, value] = line.split(/\s+/);
    if (keyword !== 'nameserver' || value === undefined) continue;
    const address = value.split('%')[0]!;
    if (isIP(address) !== 0 && !found.includes(value)) found.push(value);
  }
  return found.slice(0, MAX_NAMESERVERS);
}

export interface ResolvConfLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ResolvConfWatch {
  current(): readonly string[];
  /** Read the file again now (the watcher calls this; tests and callers may too). */
  reload(): Promise<void>;
  close(): void;
}

const DEBOUNCE_MS = 50;

export async function watchResolvConf(path: string, log: ResolvConfLogger, onChange?: (servers: readonly string[]) => void): Promise<ResolvConfWatch> {
  let servers: string[] = [];
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const reload = async () => {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      log.warn({ path, err: (e as Error).message }, 'cannot read resolv.conf; nothing to forward to');
    }
    const next = parseNameservers(text);
    if (next.join() === servers.join()) return;
    servers = next;
    log.info({ path, nameservers: next }, 'upstream nameservers');
    onChange?.(next);
  };

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), DEBOUNCE_MS);
  };

  await reload();
  const target = await realpath(path).catch(() => path);
  const names = new Set([basename(path), basename(target)]);
  for (const dir of new Set([dirname(path), dirname(target)])) {
    try {
      const w = watch(dir, (_event, file) => {
        if (file === null || names.has(file.toString())) schedule();
      });
      w.on('error', (e) => log.warn({ dir, err: e.message }, 'resolv.conf watch failed'));
      watchers.push(w);
    } catch (e) {
      log.warn({ dir, err: (e as Error).message }, 'cannot watch resolv.conf; changes need a restart');
    }
  }

  return {
    current: () => servers,
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
