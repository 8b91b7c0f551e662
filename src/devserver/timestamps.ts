/** An ISO 8601 date-time as pydantic reads it; `aware` when it carries a zone (Z or ±hh:mm). */
export function parseTimestamp(text: string): { date: Date; aware: boolean } | null {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text.trim());
  if (!match) return null;
  const [, day, time, fraction, zone] = match;
  const millis = (fraction ?? '').padEnd(3, '0').slice(0, 3);
  const normalisedZone =
    zone === undefined ? 'Z' : zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const date = new Date(`${day}T${time}${time!.length === 5 ? ':00' : ''}.${millis}${normalisedZone}`);
  if (Number.isNaN(date.getTime())) return null;
  return { date, aware: zone !== undefined };
}
