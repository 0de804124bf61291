// How figures read in every view: rates with one decimal below 100, counts with separators, ages in words.
const counts = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return counts.format(n);
}

export function formatRate(perSecond: number): string {
  return `${perSecond >= 100 ? counts.format(perSecond) : perSecond.toFixed(1)}/s`;
}

export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '–';
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
}

/** `12 s ago`, `3 min ago`, `2 h ago`. */
export function formatAge(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
