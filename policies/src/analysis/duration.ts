/**
 * Durations as Prometheus writes them (`30s`, `2m`, `1h30m`), limited to hours, minutes and
 * seconds: the units a measurement interval needs, and the form `{{window}}` is written back in.
 */
export const DURATION_PATTERN = '^(0|([0-9]{1,5}h)?([0-9]{1,5}m)?([0-9]{1,5}s)?)$';

/** Bounds, in seconds. A window below 10 s rarely holds two scrapes, so `rate()` has no data. */
export const INTERVAL_BOUNDS = Object.freeze({ min: 10, max: 24 * 3600 });
export const INITIAL_DELAY_BOUNDS = Object.freeze({ min: 0, max: 24 * 3600 });

const UNITS: Record<string, number> = { h: 3600, m: 60, s: 1 };

/** Seconds of a duration matching {@link DURATION_PATTERN}; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  if (text === '' || !new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let seconds = 0;
  for (const m of text.matchAll(/([0-9]+)([hms])/g)) seconds += Number(m[1]) * UNITS[m[2]!]!;
  return seconds;
}

/** The canonical Prometheus form of a whole number of seconds: 90 → `1m30s`, 0 → `0s`. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const [unit, size] of Object.entries(UNITS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
