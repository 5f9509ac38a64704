/**
 * One JSON log line (its parsed object) as short human text: `LEVEL [context] msg key=value …`.
 * The tiers' `LOG_FORMAT=pretty` and `npm run stack` (which reads the tiers' JSON) both print this.
 * `time` and `service` are left out: a terminal shows when, and the caller says which tier.
 */
export function prettyLogLine(
  record: Readonly<Record<string, unknown>>,
): string {
  const {
    time: _time,
    service: _service,
    level,
    context,
    msg,
    ...fields
  } = record;
  let line = `${text(level ?? '')
    .toUpperCase()
    .padEnd(5)} `;
  if (typeof context === 'string') line += `[${context}] `;
  line += text(msg ?? '');
  for (const [key, value] of Object.entries(fields))
    line += ` ${key}=${text(value)}`;
  return line;
}

const text = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);
