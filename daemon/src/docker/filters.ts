import { PatchbayError } from '@patchbay/errors';

/** moby's filters.Args: key → set of values. */
export type FilterArgs = Map<string, Set<string>>;

const invalid = (message: string) => new PatchbayError('PB_ERR_INVALID', message);

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isBoolMap = (v: unknown): v is Record<string, boolean> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'boolean');

/**
 * Parses `?filters=` in both encodings: `{"name":{"foo":true}}` and the legacy `{"name":["foo"]}`.
 * Anything else is moby's `invalid filter`.
 */
export function parseFilters(raw: string | undefined): FilterArgs {
  const args: FilterArgs = new Map();
  if (raw === undefined || raw === '') return args;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid('invalid filter');
  }
  if (parsed === null) return args;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('invalid filter');
  for (const [key, value] of Object.entries(parsed)) {
    if (value === null) args.set(key, new Set());
    else if (isBoolMap(value)) args.set(key, new Set(Object.keys(value).filter((k) => value[k])));
    else if (isStringArray(value)) args.set(key, new Set(value));
    else throw invalid('invalid filter');
  }
  return args;
}

export function validateFilterKeys(args: FilterArgs, accepted: readonly string[]): void {
  for (const key of args.keys()) if (!accepted.includes(key)) throw invalid(`invalid filter '${key}'`);
}

const values = (args: FilterArgs, key: string) => [...(args.get(key) ?? [])];

/** True when the key is absent or empty, or the source equals one value. */
export function exactMatch(args: FilterArgs, key: string, source: string): boolean {
  const v = args.get(key);
  return !v || v.size === 0 || v.has(source);
}

/** Go's regexp.MatchString: unanchored; a value that is not a valid pattern matches nothing. */
function regexMatches(pattern: string, source: string): boolean {
  try {
    return new RegExp(pattern).test(source);
  } catch {
    return false;
  }
}

/** Exact match, or an unanchored regular-expression match of any value. */
export function match(args: FilterArgs, key: string, source: string): boolean {
  return exactMatch(args, key, source) || values(args, key).some((p) => regexMatches(p, source));
}

/** Exact match, or the source starts with one of the values. */
export function fuzzyMatch(args: FilterArgs, key: string, source: string): boolean {
  return exactMatch(args, key, source) || values(args, key).some((p) => source.startsWith(p));
}

/** Every value (`key` or `key=value`) is present in `labels`; true when the filter has no values. */
export function matchKVList(args: FilterArgs, key: string, labels: Record<string, string>): boolean {
  const wanted = values(args, key);
  if (wanted.length === 0) return true;
  if (Object.keys(labels).length === 0) return false;
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    if (!Object.hasOwn(labels, k)) return false;
    return eq < 0 || labels[k] === w.slice(eq + 1);
  });
}

export function onlyValue(args: FilterArgs, key: string): string[] {
  return values(args, key);
}
