import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Open (or create) the store: WAL, foreign keys, busy retry, migrations by user_version.
 *
 * The daemon is the store's only user: it keeps the file locked while it runs (exclusive locking
 * mode, set before the first access, so the WAL index lives in its memory, not in a shared -shm
 * file). A query then takes no file locks of its own (two fcntl calls each in normal mode, about
 * 10 µs of a 12 µs read), and a second patchbayd on the same data root cannot start beside it.
 */
export function openDb(path: string, { busyTimeoutMs = 5000 } = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    // the wait above lets a restart overlap the exit of the daemon it replaces
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(`the store ${path} is locked by another process (is a patchbayd already running with this --data-root?)`);
    }
    throw err;
  }
}

/**
 * Foreign keys are off while migrations run (SQLite ignores the pragma inside a transaction): a
 * table rebuild drops the old table, which would otherwise cascade into the rows that refer to it.
 * Each migration checks the keys before it commits.
 */
function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`store schema version ${current} is newer than this patchbayd (${MIGRATIONS.length}); refusing to open`);
  }
  if (current === MIGRATIONS.length) return;
  const keys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`store migration ${v + 1} broke ${broken.length} foreign key(s); nothing changed`);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
  } finally {
    db.pragma(`foreign_keys = ${keys ? 'ON' : 'OFF'}`);
  }
}
