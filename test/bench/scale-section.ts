/**
 * The scale run's part of BENCHMARKS.md: a section of its own (heading SCALE_HEADING) that
 * `npm run bench -- --scale` replaces and the main run carries over unchanged, so each keeps the
 * other's latest figures.
 */
export const SCALE_HEADING = '## Scale: 10,000 endpoints across 20 networks of 500 (issue 16)';

/** Where the scale section starts in `doc` and where the next section (or the end) begins. */
function sectionBounds(doc: string): { start: number; end: number } | undefined {
  const lines = doc.split('\n');
  const first = lines.findIndex((l) => l === SCALE_HEADING);
  if (first < 0) return undefined;
  const next = lines.findIndex((l, i) => i > first && /^## /.test(l));
  const offset = (n: number) => lines.slice(0, n).join('\n').length + (n > 0 ? 1 : 0);
  return { start: offset(first), end: next < 0 ? doc.length : offset(next) };
}

/** The scale section of `doc` (heading to the next section), or undefined when it has none. */
export function scaleSection(doc: string): string | undefined {
  const b = sectionBounds(doc);
  return b ? doc.slice(b.start, b.end).trimEnd() + '\n' : undefined;
}

/** `doc` with its scale section replaced by `section` (appended at the end when it had none). */
export function withScaleSection(doc: string, section: string): string {
  const body = section.trimEnd() + '\n';
  const b = sectionBounds(doc);
  if (!b) return `${doc.trimEnd()}\n\n${body}`;
  const after = doc.slice(b.end);
  return `${doc.slice(0, b.start)}${body}${after === '' ? '' : `\n${after}`}`;
}

/** A freshly rendered main document with the scale section of the previous file kept (if it had one). */
export function keepScaleSection(previous: string | undefined, fresh: string): string {
  const section = previous === undefined ? undefined : scaleSection(previous);
  return section === undefined ? fresh : withScaleSection(fresh, section);
}
