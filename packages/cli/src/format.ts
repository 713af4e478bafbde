import { naturalCompare } from './natural-order.js';

/** docker's tabwriter settings: a column is at least 10 wide and 3 spaces wider than its widest cell. */
const MIN_WIDTH = 10;
const PADDING = 3;

/** An aligned table with a header row, newline-terminated; cells are shown as given. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(MIN_WIDTH, ...all.map((r) => (r[col] ?? '').length + PADDING)));
  const line = (r: string[]) =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('')
      .trimEnd();
  return all.map(line).join('\n') + '\n';
}

/** `Label:  value` lines with the values aligned. */
export function fields(pairs: [string, string | number][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n') + '\n';
}

export const shortId = (id: string): string => id.slice(0, 12);

/** Like `docker inspect` and `--format json`: 4-space indented, newline-terminated. */
export const json = (value: unknown): string => JSON.stringify(value, null, 4) + '\n';

export const byName = <T extends { name: string }>(a: T, b: T): number => naturalCompare(a.name, b.name);

/** 3725 → "1h2m5s" */
export function duration(seconds: number): string {
  let s = Math.floor(seconds);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join('');
}

export const ensureNewline = (text: string): string => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
