const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/**
 * Every CERTIFICATE block of a PEM text, in order, each with its markers. node:crypto reads only
 * the first block of a PEM text, so a CA bundle (root plus cross-signed or renewed roots) would
 * silently lose the rest. Text between blocks is ignored, as RFC 7468 allows; a block without its
 * end marker is refused. Linear: one indexOf scan, no backtracking pattern on policy input.
 */
export function pemCertificates(text: string): string[] {
  const blocks: string[] = [];
  for (let from = text.indexOf(BEGIN); from >= 0; from = text.indexOf(BEGIN, from)) {
    const end = text.indexOf(END, from);
    if (end < 0) throw new Error(`certificate ${blocks.length} has no end marker`);
    blocks.push(text.slice(from, end + END.length));
    from = end + END.length;
  }
  return blocks;
}
