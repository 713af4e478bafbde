/**
 * Reading `nft list table` text. Only a few robust facts are taken from it (chain names, the table
 * comment, element and rule counts), never a full parse, so nft's formatting of addresses or
 * line wrapping cannot cause false alarms.
 */

export function listedComment(listing: string): string | undefined {
  return /^\s*comment "([^"]*)"\s*$/m.exec(listing)?.[1];
}

export function listedChains(listing: string): string[] {
  return [...listing.matchAll(/^\s*chain (\S+) \{\s*$/gm)].map((m) => m[1]!);
}

/** Number of elements in a set or map (0 when it has none or does not exist). */
export function listedElementCount(listing: string, name: string): number {
  const block = new RegExp(`^\\s*(?:set|map) ${name} \\{([^}]*?)elements = \\{([^}]*)\\}`, 'm').exec(listing);
  if (!block) return 0;
  // elements never contain commas or braces (addresses, ports, protocol names, ifnames, verdicts)
  return block[2]!.split(',').filter((e) => e.trim() !== '').length;
}

/** Rules in all chains of the listing (chain headers such as `type … hook …` are not rules). */
export function listedRuleCount(listing: string): number {
  let inChain = false;
  let count = 0;
  for (const line of listing.split('\n')) {
    const text = line.trim();
    if (/^chain \S+ \{$/.test(text)) inChain = true;
    else if (text === '}') inChain = false;
    else if (inChain && text !== '' && !/^(type|policy|comment|devices) /.test(text)) count += 1;
  }
  return count;
}
