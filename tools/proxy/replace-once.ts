/** Replaces `from` in the one directive line (comments ignored) that holds it; fails loudly if that line moved. */
export function replaceOnce(text: string, from: string, to: string): string {
  const lines = text.split('\n');
  const hits = lines
    .map((line, i) =>
      !line.trimStart().startsWith('#') && line.includes(from) ? i : -1,
    )
    .filter((i) => i >= 0);
  if (hits.length !== 1)
    throw new Error(
      `expected exactly one directive with "${from}" in the config, found ${hits.length}`,
    );
  lines[hits[0]] = lines[hits[0]].replace(from, to);
  return lines.join('\n');
}
