/** What the scale run measured at its size, for a linear look past it. */
export interface ScaleFigures {
  endpoints: number;
  /** the empty daemon's RSS, before the networks were made */
  rssEmptyMb: number;
  /** RSS after the fill, the reads and the check */
  rssMb: number;
  /** median `system check` wall time */
  checkMs: number;
  /** the list answer's size */
  listBytes: number;
}

/** Where each figure meets its target if it keeps growing as from 0 (check, list) or from the empty daemon (RSS) to this run's size. */
export function projectLimits(f: ScaleFigures, targets = { rssMb: 200, checkMs: 2000 }) {
  const rssPerEndpointKb = ((f.rssMb - f.rssEmptyMb) * 1024) / f.endpoints;
  const checkPerEndpointMs = f.checkMs / f.endpoints;
  return {
    rssPerEndpointKb,
    rssAt: rssPerEndpointKb > 0 ? Math.floor(((targets.rssMb - f.rssEmptyMb) * 1024) / rssPerEndpointKb) : Infinity,
    checkPerEndpointMs,
    checkAt: Math.floor(targets.checkMs / checkPerEndpointMs),
    listBytesPerEndpoint: f.listBytes / f.endpoints,
  };
}

/** Thousands to the nearest 500 (a projection, not a count). */
export const roughly = (n: number) => (Number.isFinite(n) ? `${(Math.round(n / 500) * 500).toLocaleString('en-US')}` : 'never');
