// Numbers as the benchmark reports print them: thousands separated, fixed decimals.
export const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
