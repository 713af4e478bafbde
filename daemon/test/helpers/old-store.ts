import { openDb } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

/** A store file at schema `version` (its first migrations only) holding `rows`: what an older patchbayd left behind. */
export function writeOldStore(path: string, version: number, rows: string): void {
  const Database = openDb(':memory:').constructor as new (p: string) => ReturnType<typeof openDb>;
  const old = new Database(path);
  for (const sql of MIGRATIONS.slice(0, version)) old.exec(sql);
  old.pragma(`user_version = ${version}`);
  old.exec(rows);
  old.close();
}
