/**
 * The fake's nftables: which tables exist, the chain and rule text applied to each, and their
 * named sets and maps with their elements (so `add|create|delete|destroy element`, `flush set`
 * change what `nft list` shows, as in the kernel). A document is parsed only as far as its
 * top-level commands (`table F N { … }`, `add|create|delete|destroy|flush table`, `flush
 * ruleset`, and commands on chains/rules/sets/elements that need their table) and applied
 * atomically: any error leaves every table as it was, like `nft -f`.
 */

const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const VERBS = new Set(['add', 'create', 'delete', 'destroy', 'flush', 'insert', 'replace', 'reset']);
const TABLE_OBJECTS = new Set(['chain', 'rule', 'set', 'map', 'element', 'flowtable', 'counter', 'quota', 'limit', 'ct']);

export class NftError extends Error {
  override name = 'NftError';
}

interface Statement {
  head: string[];
  /** text between the outermost braces, if any */
  body?: string;
  text: string;
}

/** Splits a document into top-level statements: ends at a newline or ';' outside braces. */
function statements(document: string): Statement[] {
  const text = document.replace(/#[^\n]*/g, '');
  const out: Statement[] = [];
  let depth = 0;
  let start = 0;
  const flush = (end: number) => {
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') return;
    const open = raw.indexOf('{');
    const head = (open < 0 ? raw : raw.slice(0, open)).trim().split(/\s+/);
    const body = open < 0 ? undefined : raw.slice(open + 1, raw.lastIndexOf('}')).trim();
    out.push({ head, text: raw, ...(body !== undefined ? { body } : {}) });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (--depth < 0) throw new NftError('Error: syntax error, unexpected }');
    } else if ((c === '\n' || c === ';') && depth === 0) flush(i);
  }
  if (depth !== 0) throw new NftError('Error: syntax error, unexpected end of file');
  flush(text.length);
  return out;
}

/** `[family] name` at the start of `words` (family defaults to ip, as in nft). */
function tableRef(words: string[]): { key: string; family: string; name: string } {
  const [a, b] = words;
  const [family, name] = a !== undefined && FAMILIES.has(a) ? [a, b] : ['ip', a];
  if (name === undefined || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new NftError(`Error: syntax error, unexpected ${name ?? 'end of file'}`);
  }
  return { key: `${family} ${name}`, family, name };
}

const missing = (): NftError => new NftError('Error: Could not process rule: No such file or directory');
const exists = (): NftError => new NftError('Error: Could not process rule: File exists');

/** A named set or map: its declaration lines (type, flags) and its elements by key. */
interface NamedSet {
  kind: 'set' | 'map';
  decl: string[];
  /** key → element text (`key` or `key : value`), in insertion order */
  elements: Map<string, string>;
}

interface Table {
  /** what the table lists, in order: statement text (chains, rules, comment) or a named set */
  items: ({ text: string } | { set: string })[];
  sets: Map<string, NamedSet>;
}

const emptyTable = (): Table => ({ items: [], sets: new Map() });
const cloneTable = (t: Table): Table => ({
  items: [...t.items],
  sets: new Map([...t.sets].map(([name, s]) => [name, { kind: s.kind, decl: [...s.decl], elements: new Map(s.elements) }])),
});

/** `{ a, b : c }` → element texts; elements never contain commas or braces. */
function elementList(body: string | undefined): string[] {
  return (body ?? '').split(',').map((e) => e.trim().replace(/\s+/g, ' ')).filter((e) => e !== '');
}
const elementKey = (element: string) => element.split(/\s+:\s+/)[0]!;

function addElements(set: NamedSet, elements: string[], create: boolean): void {
  for (const element of elements) {
    const key = elementKey(element);
    const old = set.elements.get(key);
    if (old !== undefined && (create || old !== element)) throw exists();
    set.elements.set(key, element);
  }
}

/** `set|map NAME { type …; flags …; elements = { … } }` inside a table, or after `add set F T`. */
function defineSet(table: Table, kind: 'set' | 'map', name: string | undefined, body: string | undefined, create: boolean): void {
  if (name === undefined || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new NftError(`Error: syntax error, unexpected ${name ?? 'end of file'}`);
  const decl: string[] = [];
  const elements: string[] = [];
  for (const st of statements(body ?? '')) {
    if (st.head[0] === 'elements') elements.push(...elementList(st.body));
    else decl.push(st.text);
  }
  let set = table.sets.get(name);
  if (set && create) throw exists();
  if (set && set.kind !== kind) throw exists();
  if (!set) {
    set = { kind, decl, elements: new Map() };
    table.sets.set(name, set);
    table.items.push({ set: name });
  }
  addElements(set, elements, false);
}

function removeSet(table: Table, name: string): void {
  table.sets.delete(name);
  table.items = table.items.filter((i) => !('set' in i) || i.set !== name);
}

function renderSet(name: string, set: NamedSet): string {
  const lines = [`${set.kind} ${name} {`, ...set.decl.map((d) => `\t${d}`)];
  // the kernel lists elements in its own order, not in the order they were added
  if (set.elements.size > 0) lines.push(`\telements = { ${[...set.elements.values()].sort().join(', ')} }`);
  return [...lines, '}'].join('\n');
}

export class FakeNft {
  /** 'family name' → the table's chains and rules (as applied text) and its named sets with elements */
  private tables = new Map<string, Table>();

  apply(document: string): void {
    const next = new Map<string, Table>([...this.tables].map(([k, v]) => [k, cloneTable(v)]));
    for (const st of statements(document)) this.applyOne(next, st);
    this.tables = next;
  }

  private applyOne(tables: Map<string, Table>, st: Statement): void {
    const words = [...st.head];
    if (words[0] === 'define') return;
    const verb = VERBS.has(words[0]!) ? words.shift()! : 'add';
    const object = words.shift();
    if (object === 'ruleset') {
      if (verb !== 'flush') throw new NftError(`Error: syntax error, unexpected ruleset`);
      tables.clear();
      return;
    }
    if (object === 'table') {
      const { key } = tableRef(words);
      const found = tables.get(key);
      if (verb === 'add' || verb === 'create') {
        if (verb === 'create' && found) throw exists();
        const table = found ?? emptyTable();
        for (const inner of statements(st.body ?? '')) {
          if (inner.head[0] === 'set' || inner.head[0] === 'map') defineSet(table, inner.head[0], inner.head[1], inner.body, false);
          else table.items.push({ text: inner.text });
        }
        tables.set(key, table);
      } else if (verb === 'delete' || verb === 'flush') {
        if (!found) throw missing();
        if (verb === 'delete') tables.delete(key);
        else tables.set(key, emptyTable());
      } else if (verb === 'destroy') {
        tables.delete(key);
      } else {
        throw new NftError(`Error: syntax error, unexpected ${verb}`);
      }
      return;
    }
    if (object !== undefined && TABLE_OBJECTS.has(object)) {
      const ref = tableRef(words);
      const table = tables.get(ref.key);
      if (!table) throw missing();
      const rest = words.slice(words[0] === ref.family ? 2 : 1);
      if (object === 'set' || object === 'map' || object === 'element') return this.applySetCommand(table, verb, object, rest[0], st.body);
      if (verb === 'add' || verb === 'create' || verb === 'insert' || verb === 'replace') table.items.push({ text: st.text });
      return;
    }
    throw new NftError(`Error: syntax error, unexpected ${object ?? verb}`);
  }

  /** `VERB set|map|element F T NAME [{ … }]` on an existing table. */
  private applySetCommand(table: Table, verb: string, object: 'set' | 'map' | 'element', name: string | undefined, body: string | undefined): void {
    if (object !== 'element') {
      if (verb === 'add' || verb === 'create') return defineSet(table, object, name, body, verb === 'create');
      const set = name === undefined ? undefined : table.sets.get(name);
      if (!set) {
        if (verb === 'destroy') return;
        throw missing();
      }
      if (verb === 'flush') set.elements.clear();
      else if (verb === 'delete' || verb === 'destroy') removeSet(table, name!);
      else throw new NftError(`Error: syntax error, unexpected ${verb}`);
      return;
    }
    const set = name === undefined ? undefined : table.sets.get(name);
    if (!set) throw missing();
    const elements = elementList(body);
    if (verb === 'add' || verb === 'create') return addElements(set, elements, verb === 'create');
    if (verb === 'delete' || verb === 'destroy') {
      for (const key of elements.map(elementKey)) {
        if (!set.elements.delete(key) && verb === 'delete') throw missing();
      }
      return;
    }
    throw new NftError(`Error: syntax error, unexpected ${verb}`);
  }

  list(family: string, name: string): string | undefined {
    const table = this.tables.get(`${family} ${name}`);
    if (!table) return undefined;
    const body = table.items
      .map((i) => ('set' in i ? renderSet(i.set, table.sets.get(i.set)!) : i.text).replace(/^/gm, '\t'))
      .join('\n');
    return `table ${family} ${name} {\n${body}${body ? '\n' : ''}}\n`;
  }

  delete(family: string, name: string): void {
    this.tables.delete(`${family} ${name}`);
  }

  names(): string[] {
    return [...this.tables.keys()];
  }
}
