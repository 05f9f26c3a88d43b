// state.js - the view's selection lives in the URL (shareable links):
//   /app/?week=2026-W45&area=4&lang=en   /app/?month=2026-11   /app/?quarter=2026-Q4
//   /app/commitments?agreement=1
import { current, valid } from './period.js';

export function read() {
  const q = new URLSearchParams(location.search);
  let period = null;
  for (const kind of ['week', 'month', 'quarter']) {
    const v = q.get(kind);
    if (v && valid({ kind, value: v })) period = { kind, value: v };
  }
  const area = /^\d+$/.test(q.get('area') || '') ? q.get('area') : '';
  const agreement = /^\d+$/.test(q.get('agreement') || '') ? q.get('agreement') : '';
  const view = location.pathname.replace(/^\/app\/?/, '').split('/')[0] || 'weekly';
  return { view, period: period || current('week'), area, agreement, lang: q.get('lang') === 'en' ? 'en' : 'sv' };
}

export function href(st) {
  const q = new URLSearchParams();
  if (st.view === 'weekly' || !st.view) {
    q.set(st.period.kind, st.period.value);
    if (st.area) q.set('area', st.area);
  } else if (st.agreement) {
    q.set('agreement', st.agreement);
  }
  if (st.lang === 'en') q.set('lang', 'en');
  const path = st.view && st.view !== 'weekly' ? `/app/${st.view}` : '/app/';
  return `${path}?${q}`;
}
