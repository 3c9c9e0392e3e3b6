/** Times as people read them, always with their zone ("27 Nov 2026, 17:00 UTC"). */
export function formatTime(epochMs: number, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone, timeZoneName: 'short' }).format(new Date(epochMs));
}

/** Only the clock time with its zone ("17:00 UTC"): for "until" within the next day. */
export function formatClock(epochMs: number, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone, timeZoneName: 'short' }).format(new Date(epochMs));
}

/** "until 17:00 UTC" today, "until 28 Nov 2026, 17:00 UTC" later, "with no end" for null. */
export function until(epochMs: number | null, now: number, timeZone = 'UTC'): string {
  if (epochMs === null) return 'with no end';
  return `until ${epochMs - now < 20 * 3600_000 ? formatClock(epochMs, timeZone) : formatTime(epochMs, timeZone)}`;
}

/** "2 hours", "1 hour", "7 days". */
export function period(hours: number): string {
  if (hours % 24 === 0 && hours >= 48) return `${hours / 24} days`;
  return hours === 1 ? '1 hour' : `${hours} hours`;
}
