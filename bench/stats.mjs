// Small statistics every bench reports with: medians of several runs, and their spread.

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export const round = (value, digits = 2) => Number(value.toFixed(digits));

/** `min..max unit`, rounded: the spread column of bench/results.md. */
export const spreadOf = (values, unit = '') => `${round(Math.min(...values))}..${round(Math.max(...values))}${unit ? ` ${unit}` : ''}`;
