// The median of a list of numbers (the mean of the middle two for an even count); NaN for an empty list.
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b), h = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
