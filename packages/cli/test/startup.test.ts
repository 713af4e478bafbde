import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(new URL('../../..', import.meta.url).pathname);

/** The workspace module a specifier names (its `development` export: the TypeScript source). */
function workspaceModule(spec: string): string | undefined {
  const m = /^@patchbay\/([^/]+)(?:\/(.+))?$/.exec(spec);
  if (!m) return undefined;
  const dir = existsSync(join(root, 'packages', m[1]!)) ? join(root, 'packages', m[1]!) : join(root, m[1]!);
  const exports = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).exports as Record<string, { development: string }>;
  const entry = exports[m[2] ? `./${m[2]}` : '.'];
  assert.ok(entry, `${spec} is exported`);
  return join(dir, entry.development);
}

/** Every package and module the CLI loads at run time (type-only imports load nothing). */
function runtimeGraph(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (modules.has(file)) return;
    modules.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
      if (m[1]) continue;
      const spec = m[2]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (spec.startsWith('@patchbay/')) visit(workspaceModule(spec)!);
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(entry);
  return { modules, packages };
}

test('the CLI never loads zod or the API schemas: its start-up is node\'s own plus its commands', () => {
  const { modules, packages } = runtimeGraph(join(root, 'packages/cli/src/main.ts'));
  assert.ok(modules.size > 10, 'the walk followed the imports');
  assert.ok(!packages.has('zod'), `zod is loaded through ${[...modules].filter((f) => /from ['"]zod['"]/.test(readFileSync(f, 'utf8'))).join(', ')}`);
  assert.ok(![...modules].some((f) => f.endsWith('packages/api/src/index.ts')), '@patchbay/api (every schema) is loaded');
});
