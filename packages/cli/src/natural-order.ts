const isDigit = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/**
 * Docker's order for names in listings (`docker network ls` sorts with sortorder.NaturalLess):
 * runs of digits compare as numbers (net2 < net10), digits sort before other characters, other
 * characters compare by code unit (so case-sensitive: "Z" < "a"), a shorter prefix first.
 * Written out rather than Intl.Collator, whose set-up (ICU collation data) cost a one-shot
 * `patchbay network ls` more than everything else it loads.
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const digitA = isDigit(a, i);
    const digitB = isDigit(b, j);
    if (digitA !== digitB) return digitA ? -1 : 1;
    if (!digitA) {
      if (a[i] !== b[j]) return a.charCodeAt(i) < b.charCodeAt(j) ? -1 : 1;
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === '0') i++;
    while (j < b.length && b[j] === '0') j++;
    const startA = i;
    const startB = j;
    while (i < a.length && isDigit(a, i)) i++;
    while (j < b.length && isDigit(b, j)) j++;
    // a longer number (without leading zeros) is larger; same length: digit by digit; then fewer zeros first
    if (i - startA !== j - startB) return i - startA < j - startB ? -1 : 1;
    const numberA = a.slice(startA, i);
    const numberB = b.slice(startB, j);
    if (numberA !== numberB) return numberA < numberB ? -1 : 1;
    if (startA !== startB) return startA < startB ? -1 : 1;
  }
  return a.length - i === b.length - j ? 0 : a.length - i < b.length - j ? -1 : 1;
}
