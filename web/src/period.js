// period.js - ISO weeks, months and quarters as API parameters (dates are
// local calendar dates; the API interprets them in Europe/Stockholm).
const DAY = 86400000;
const pad = (n) => String(n).padStart(2, '0');
export const fmt = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const utc = (y, m, d) => new Date(Date.UTC(y, m, d));

export function isoWeekOf(date) {
  const d = utc(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const dow = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - dow + 3); // Thursday of the week
  const year = d.getUTCFullYear();
  const week = Math.ceil(((d - utc(year, 0, 1)) / DAY + 1) / 7);
  return `${year}-W${pad(week)}`;
}
export function weekMonday(w) {
  const [, y, n] = /^(\d{4})-W(\d{2})$/.exec(w);
  const jan4 = utc(Number(y), 0, 4);
  const mon1 = new Date(jan4 - ((jan4.getUTCDay() + 6) % 7) * DAY);
  return new Date(mon1.getTime() + (Number(n) - 1) * 7 * DAY);
}
export const addDays = (d, n) => new Date(d.getTime() + n * DAY);

// A period value: {kind: 'week'|'month'|'quarter', value: '2026-W45'|'2026-11'|'2026-Q4'}.
export function valid(p) {
  if (!p) return false;
  if (p.kind === 'week') return /^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/.test(p.value);
  if (p.kind === 'month') return /^\d{4}-(0[1-9]|1[0-2])$/.test(p.value);
  if (p.kind === 'quarter') return /^\d{4}-Q[1-4]$/.test(p.value);
  return false;
}
export function current(kind, now = new Date()) {
  const w = isoWeekOf(now);
  if (kind === 'month') return { kind, value: `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}` };
  if (kind === 'quarter') return { kind, value: `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}` };
  return { kind: 'week', value: w };
}
// [from, to) dates.
export function range(p) {
  if (p.kind === 'week') { const m = weekMonday(p.value); return [m, addDays(m, 7)]; }
  if (p.kind === 'month') {
    const [y, m] = p.value.split('-').map(Number);
    return [utc(y, m - 1, 1), utc(y, m, 1)];
  }
  const [y, q] = p.value.split('-Q').map(Number);
  return [utc(y, (q - 1) * 3, 1), utc(y, q * 3, 1)];
}
export function params(p) {
  if (p.kind === 'week') return { week: p.value };
  const [f, t] = range(p);
  return { from: fmt(f), to: fmt(t) };
}
export function shift(p, n) {
  if (p.kind === 'week') return { kind: 'week', value: isoWeekOf(addDays(weekMonday(p.value), 7 * n)) };
  if (p.kind === 'month') {
    const [y, m] = p.value.split('-').map(Number);
    const d = utc(y, m - 1 + n, 1);
    return { kind: 'month', value: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}` };
  }
  const [y, q] = p.value.split('-Q').map(Number);
  const k = y * 4 + (q - 1) + n;
  return { kind: 'quarter', value: `${Math.floor(k / 4)}-Q${(k % 4) + 1}` };
}
// The trend window: at least 12 ISO weeks ending with the period.
export const TREND_WEEKS = 12;
export function trendParams(p) {
  const [f, t] = range(p);
  const lastMonday = weekMonday(isoWeekOf(addDays(t, -1)));
  const start = addDays(lastMonday, -7 * (TREND_WEEKS - 1));
  const from = start < f ? start : weekMonday(isoWeekOf(f));
  return { from: fmt(from), to: fmt(addDays(lastMonday, 7)), bucket: 'week' };
}
