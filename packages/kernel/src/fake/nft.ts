/**
 * The fake's nftables: which tables exist, and the text last applied to each. A document is
 * parsed only as far as its top-level commands (`table F N { … }`, `add|create|delete|destroy|
 * flush table`, `flush ruleset`, and commands on chains/rules/sets that need their table) and
 * applied atomically: any error leaves every table as it was, like `nft -f`.
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

export class FakeNft {
  /** 'family name' → body chunks applied to the table since it was (re)created */
  private tables = new Map<string, string[]>();

  apply(document: string): void {
    const next = new Map<string, string[]>([...this.tables].map(([k, v]) => [k, [...v]]));
    for (const st of statements(document)) this.applyOne(next, st);
    this.tables = next;
  }

  private applyOne(tables: Map<string, string[]>, st: Statement): void {
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
      const exists = tables.has(key);
      if (verb === 'add' || verb === 'create') {
        if (verb === 'create' && exists) throw new NftError('Error: Could not process rule: File exists');
        const chunks = tables.get(key) ?? [];
        if (st.body) chunks.push(st.body);
        tables.set(key, chunks);
      } else if (verb === 'delete' || verb === 'flush') {
        if (!exists) throw missing();
        if (verb === 'delete') tables.delete(key);
        else tables.set(key, []);
      } else if (verb === 'destroy') {
        tables.delete(key);
      } else {
        throw new NftError(`Error: syntax error, unexpected ${verb}`);
      }
      return;
    }
    if (object !== undefined && TABLE_OBJECTS.has(object)) {
      const chunks = tables.get(tableRef(words).key);
      if (!chunks) throw missing();
      if (verb === 'add' || verb === 'create' || verb === 'insert' || verb === 'replace') chunks.push(st.text);
      return;
    }
    throw new NftError(`Error: syntax error, unexpected ${object ?? verb}`);
  }

  list(family: string, name: string): string | undefined {
    const chunks = this.tables.get(`${family} ${name}`);
    if (!chunks) return undefined;
    const body = chunks.map((c) => c.replace(/^/gm, '\t')).join('\n');
    return `table ${family} ${name} {\n${body}${body ? '\n' : ''}}\n`;
  }

  delete(family: string, name: string): void {
    this.tables.delete(`${family} ${name}`);
  }

  names(): string[] {
    return [...this.tables.keys()];
  }
}
