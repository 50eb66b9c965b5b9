// Numbers in the reader's locale. Credits carry up to six decimals (micro-credits): shown with two, or with as many
// as a small amount needs to not read as zero.

const locale = navigator.language || undefined;

export function credits(value) {
  const n = Number(value ?? 0);
  const abs = Math.abs(n);
  let digits = 2;
  if (abs !== 0 && abs < 0.01) digits = Math.min(6, Math.max(2, -Math.floor(Math.log10(abs)) + 1));
  const exact = Math.round(abs * 1e6) / 1e6;
  if (exact !== Math.round(exact * 10 ** digits) / 10 ** digits) digits = Math.min(6, Math.max(digits, decimals(exact)));
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: digits }).format(n);
}

function decimals(n) {
  const s = n.toFixed(6).replace(/0+$/, '');
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

export const count = (value) => new Intl.NumberFormat(locale).format(Number(value ?? 0));

export function date(value) {
  if (!value) return '–';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value));
}

export function day(value) {
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(value));
}
