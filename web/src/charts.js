// charts.js - small SVG charts written here (no chart library): a weekly
// series and a weekday x hour heatmap. Suppressed values are drawn as
// hatched "< k" cells, never as 0.
import { s, h } from './dom.js';
import { t, num } from './i18n.js';

export function cellText(cell, k, key = 'count') {
  if (cell && cell[key === 'count' ? 'suppressed' : `${key}_suppressed`]) return `< ${k}`;
  const v = cell ? cell[key] : null;
  if (v === null || v === undefined) return `< ${k}`;
  return num(v);
}

export function seriesChart(items, k, title) {
  const W = 640, H = 220, L = 36, B = 34, T = 12;
  const max = Math.max(k, ...items.map((i) => (i.suppressed ? k : i.count || 0)));
  const bw = (W - L - 8) / Math.max(items.length, 1);
  const y = (v) => H - B - ((H - B - T) * v) / max;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart series', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  for (let g = 0; g <= 4; g++) {
    const v = Math.round((max * g) / 4);
    svg.append(s('line', { x1: L, x2: W - 4, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: L - 4, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, num(v)));
  }
  items.forEach((it, i) => {
    const x = L + i * bw + 2;
    const sup = it.suppressed || it.count === null;
    const v = sup ? k : it.count;
    const wk = isoWeekLabel(it.start);
    svg.append(s('rect', { x, y: y(v), width: Math.max(bw - 4, 1), height: H - B - y(v), class: sup ? 'bar suppressed' : 'bar', 'data-start': it.start, 'data-value': sup ? `<${k}` : v },
      s('title', {}, `${wk}: ${sup ? `< ${k}` : num(v)}`)));
    svg.append(s('text', { x: x + bw / 2 - 2, y: H - B + 14, class: 'axis', 'text-anchor': 'middle' }, wk.replace(/^\d{4}-/, '')));
    svg.append(s('text', { x: x + bw / 2 - 2, y: y(v) - 3, class: 'val', 'text-anchor': 'middle' }, sup ? `<${k}` : num(v)));
  });
  return svg;
}

function isoWeekLabel(date) {
  const d = new Date(date + 'T00:00:00Z');
  const thu = new Date(d.getTime() + ((3 - ((d.getUTCDay() + 6) % 7)) * 86400000));
  const y = thu.getUTCFullYear();
  const wk = Math.ceil(((thu - Date.UTC(y, 0, 1)) / 86400000 + 1) / 7);
  return `${y}-v${String(wk).padStart(2, '0')}`;
}

// A table (accessible, printable) with cell shading by value.
export function heatmap(cells, k) {
  const byKey = new Map(cells.map((c) => [`${c.weekday}-${c.hour}`, c]));
  const max = Math.max(1, ...cells.map((c) => (c.suppressed ? 0 : c.count || 0)));
  const days = t('weekdays');
  const head = h('tr', {}, h('th', { scope: 'col' }, ''), [...Array(24).keys()].map((hr) => h('th', { scope: 'col' }, String(hr).padStart(2, '0'))));
  const rows = days.map((name, i) => h('tr', {}, h('th', { scope: 'row' }, name), [...Array(24).keys()].map((hr) => {
    const c = byKey.get(`${i + 1}-${hr}`);
    const sup = c && (c.suppressed || c.count === null);
    const level = sup ? 'sup' : String(Math.min(5, Math.ceil(((c?.count || 0) / max) * 5)));
    return h('td', { class: `heat l${level}`, 'data-weekday': i + 1, 'data-hour': hr }, sup ? `<${k}` : (c?.count ? String(c.count) : ''));
  })));
  return h('table', { class: 'heatmap' }, h('caption', { class: 'sr-only' }, t('heatmap')), h('thead', {}, head), h('tbody', {}, rows));
}
