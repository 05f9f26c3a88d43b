// public.js - the public medborgarlöfte page (/app/public/): no sign-in,
// only the aggregates /v1/public/ returns; hidden counts stay "< k".
import './app.css';
import { api } from './api.js';
import { h, clear } from './dom.js';
import { t, setLang, label, num } from './i18n.js';

function valueText(p, k) {
  if (!p) return t('none');
  if (p.value_suppressed) return `< ${k}`;
  if (p.value === null || p.value === undefined) return t('none');
  return p.indicator?.measure === 'duration_hours' ? `${num(p.value, 1)} h` : num(p.value);
}

async function render() {
  const q = new URLSearchParams(location.search);
  setLang(q.get('lang') === 'en' ? 'en' : 'sv');
  const main = clear(document.getElementById('main'));
  const top = clear(document.getElementById('top'));
  const other = q.get('lang') === 'en' ? 'sv' : 'en';
  const langBtn = h('button', { type: 'button', id: 'lang', onclick: () => { q.set('lang', other); history.replaceState(null, '', `?${q}`); render(); } }, t('lang_toggle'));
  top.append(h('span', { class: 'brand' }, 'estd'), h('span', { class: 'spacer' }), langBtn);
  document.querySelector('.skip').textContent = t('skip');
  document.title = t('public_title');
  try {
    const list = (await api('/v1/public/agreements')).body.items;
    const id = q.get('agreement') || location.pathname.split('/').filter(Boolean)[2] || list[0]?.id;
    main.append(h('h1', { id: 'view-title' }, t('public_title')), h('p', {}, t('public_intro')));
    if (!id) return;
    const doc = (await api(`/v1/public/agreements/${encodeURIComponent(id)}`)).body;
    const k = doc.privacy.min_count;
    const st = t('statuses');
    main.append(h('h2', {}, label(doc.agreement, 'title') || doc.agreement.title),
      h('p', { class: 'meta' }, `${doc.agreement.valid_from} – ${doc.agreement.valid_to}`),
      h('table', { class: 'data', id: 'public-table' }, h('caption', {}, t('commitments')),
        h('thead', {}, h('tr', {}, [t('commitments'), t('responsible'), t('status'), t('progress'), t('on_track')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, doc.commitments.map((c) => h('tr', { 'data-commitment': c.id },
          h('td', {}, h('b', {}, c.code || ''), ' ', c.text),
          h('td', {}, (c.responsible_parties || []).map((p) => p.name).join(', ')),
          h('td', {}, st[c.status] || c.status),
          h('td', { class: 'num progress' }, valueText(c.progress, k), c.target?.value ? ` / ${num(c.target.value)}` : ''),
          h('td', {}, c.progress?.on_track === true ? t('on_track_yes') : c.progress?.on_track === false ? t('on_track_no') : t('on_track_unknown')))))),
      h('p', { class: 'hint' }, t('suppressed_note', k)));
  } catch (err) {
    main.append(h('div', { class: 'notice error', role: 'alert', id: 'error' },
      h('p', {}, err.kind === 'notfound' ? t('public_off') : err.kind === 'network' ? t('unreachable') : err.kind === 'unavailable' ? t('unavailable') : t('error', err.message)),
      h('button', { type: 'button', id: 'retry', onclick: render }, t('retry'))));
  }
}
render();
