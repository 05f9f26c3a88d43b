// weekly.js - the weekly lägesbild view (also the printable weekly pack).
import { api, query } from './api.js';
import { h, clear } from './dom.js';
import { t, label, num, getLang } from './i18n.js';
import { params, range, fmt, addDays, shift, trendParams, current } from './period.js';
import { drawMap, legend } from './map.js';
import { seriesChart, heatmap, cellText } from './charts.js';

function changeCell(ch, k) {
  if (!ch || ch.absolute === null || ch.absolute === undefined) return h('td', { class: 'num' }, t('none'));
  const sign = ch.absolute > 0 ? '+' : '';
  const pct = ch.percent === null || ch.percent === undefined ? '' : ` (${sign}${num(ch.percent, 1)} %)`;
  return h('td', { class: `num${ch.significant ? ' sig' : ''}`, 'data-z': ch.z ?? '' },
    `${sign}${num(ch.absolute)}${pct}`,
    ch.significant ? h('abbr', { class: 'sig-mark', title: t('significant') }, '*') : null,
    ch.significant ? h('span', { class: 'sr-only' }, ` ${t('significant')}`) : null);
}

function categoryTable(sit) {
  const k = sit.privacy.min_count;
  const rows = sit.incidents.by_category.filter((c) => c.suppressed || c.previous_suppressed || c.year_ago_suppressed || c.count || c.previous || c.year_ago);
  const row = (c, name, cls) => h('tr', { class: cls, 'data-code': c.code || 'total' },
    h('th', { scope: 'row' }, name),
    h('td', { class: 'num', 'data-col': 'count' }, cellText(c, k, 'count')),
    h('td', { class: 'num', 'data-col': 'previous' }, cellText(c, k, 'previous')),
    h('td', { class: 'num', 'data-col': 'year_ago' }, cellText(c, k, 'year_ago')),
    changeCell(c.change_previous, k), changeCell(c.change_year_ago, k));
  return h('table', { class: 'data', id: 'category-table' },
    h('caption', {}, t('by_category')),
    h('thead', {}, h('tr', {}, [t('category'), t('this_period'), t('previous'), t('year_ago'), t('change'), t('change_ya')]
      .map((x, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, x)))),
    h('tbody', {}, rows.map((c) => row(c, label(c), ''))),
    h('tfoot', {}, row(sit.incidents.total, t('total'), 'total')));
}

function hotspotTable(sit) {
  return h('table', { class: 'data', id: 'hotspot-table' }, h('caption', {}, t('hot_spots')),
    h('thead', {}, h('tr', {}, [t('rank'), t('incidents'), t('patrols'), t('patrol_hours')].map((x) => h('th', { scope: 'col', class: 'num' }, x)))),
    h('tbody', {}, sit.hot_spots.map((hs) => h('tr', { 'data-rank': hs.rank },
      h('td', { class: 'num' }, `#${hs.rank}`), h('td', { class: 'num' }, num(hs.incident_count)),
      h('td', { class: 'num' }, num(hs.presence?.patrols?.count || 0)),
      h('td', { class: 'num' }, num((hs.presence?.patrols?.duration_s || 0) / 3600, 1))))));
}

function sourcesTable(sit) {
  return h('table', { class: 'data', id: 'sources-table' }, h('caption', {}, t('sources')),
    h('thead', {}, h('tr', {}, [t('party'), t('reported'), t('latest')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, (sit.sources || []).map((src) => h('tr', { class: src.reported ? '' : 'missing', 'data-party': src.code },
      h('th', { scope: 'row' }, src.name),
      h('td', {}, src.reported ? (src.events !== undefined ? `${t('yes')} (${num(src.events)} ${t('events')})` : t('yes')) : t('no_report')),
      h('td', {}, src.latest_occurred_at ? new Date(src.latest_occurred_at).toLocaleString(getLang() === 'en' ? 'en-GB' : 'sv-SE', { timeZone: 'Europe/Stockholm' }) : (src.latest_date || t('none')))))));
}

function commitmentsList(sit) {
  const st = t('statuses');
  if (!sit.commitments?.length) return h('p', {}, t('no_commitments'));
  return h('ul', { class: 'commitments-brief' }, sit.commitments.map((c) => h('li', {}, h('b', {}, c.code || `#${c.id}`), ` ${c.text} `, h('span', { class: `status ${c.status}` }, st[c.status] || c.status))));
}

function periodName(p) {
  if (p.kind === 'week') return `${t('week').toLowerCase()} ${p.value.replace('-W', ' v')}`;
  return p.value;
}

export async function renderWeekly(main, ctx) {
  const { st, navigate, cfg } = ctx;
  const p = st.period;
  const ap = { ...params(p), area_id: st.area || undefined };
  const t0 = performance.now();
  const [sitR, geoR, trendR] = await Promise.all([
    api(query('/v1/situation', ap)),
    api(query('/v1/situation/geojson', ap), { accept: 'application/geo+json' }),
    api(query('/v1/situation', { ...trendParams(p), area_id: st.area || undefined })),
  ]);
  const sit = sitR.body;
  const k = sit.privacy.min_count;
  const [from, to] = range(p);
  clear(main);
  const areaName = sit.area ? sit.area.name : t('all_areas');

  // Controls (not printed).
  const kindSel = h('select', { id: 'period-kind', 'aria-label': t('period_kind'), onchange: (e) => navigate({ ...st, period: current(e.target.value) }) },
    ['week', 'month', 'quarter'].map((kd) => h('option', { value: kd, selected: kd === p.kind }, t(kd))));
  const input = p.kind === 'quarter'
    ? h('input', { id: 'period-value', type: 'text', value: p.value, pattern: '\\d{4}-Q[1-4]', 'aria-label': t('quarter'), size: 8 })
    : h('input', { id: 'period-value', type: p.kind, value: p.value, 'aria-label': t(p.kind) });
  input.addEventListener('change', (e) => { if (e.target.value) navigate({ ...st, period: { kind: p.kind, value: e.target.value } }); });
  const areaSel = h('select', { id: 'area', 'aria-label': t('area'), onchange: (e) => navigate({ ...st, area: e.target.value }) },
    h('option', { value: '' }, t('all_areas')), ctx.areas.map((a) => h('option', { value: a.id, selected: String(a.id) === st.area }, a.name)));
  const controls = h('form', { class: 'controls no-print', onsubmit: (e) => e.preventDefault() },
    h('label', {}, t('period_kind'), ' ', kindSel), h('label', {}, t(p.kind), ' ', input),
    h('button', { type: 'button', id: 'prev', onclick: () => navigate({ ...st, period: shift(p, -1) }) }, `‹ ${t('prev')}`),
    h('button', { type: 'button', id: 'next', onclick: () => navigate({ ...st, period: shift(p, 1) }) }, `${t('next')} ›`),
    h('label', {}, t('area'), ' ', areaSel),
    h('button', { type: 'button', id: 'print', onclick: () => window.print() }, t('print')));

  const title = h('h1', { id: 'view-title' }, `${t('app_title')} ${periodName(p)} – ${areaName}`);
  const meta = h('p', { class: 'meta' }, t('period_label', fmt(from), fmt(addDays(to, -1))), ' · ',
    t('generated', new Date().toLocaleDateString(getLang() === 'en' ? 'en-GB' : 'sv-SE')));
  main.append(h('p', { class: 'print-only pack-title' }, t('pack_title')), title, meta, controls);

  if (!sit.incidents.total.suppressed && sit.incidents.total.count === 0) {
    main.append(h('div', { class: 'notice empty', role: 'status', id: 'empty' }, h('p', {}, t('empty', periodName(p))), h('p', {}, t('empty_hint'))));
  }
  const mapEl = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('map') });
  main.append(
    h('section', { class: 'grid-2 page-1' },
      h('div', {}, h('h2', {}, t('map')), h('p', { class: 'hint' }, t('map_desc')), mapEl, legend(sit, k)),
      h('div', {}, hotspotTable(sit),
        h('h2', {}, t('focuses')), h('ul', { class: 'focuses' }, (sit.focuses || []).filter((f) => f.active).map((f) => h('li', {}, `${f.code}: ${f.reason}`))),
        k > 1 ? h('p', { class: 'hint' }, t('suppressed_note', k)) : null)),
    h('section', { class: 'page-1' }, categoryTable(sit), h('p', { class: 'hint' }, t('sig_note'))),
    h('section', { class: 'grid-2 page-2 break' },
      h('div', {}, h('h2', {}, t('trend')), h('p', { class: 'hint' }, t('trend_desc', trendR.body.series.items.length)),
        seriesChart(trendR.body.series.items, trendR.body.privacy.min_count, t('trend'))),
      h('div', {}, h('h2', {}, t('heatmap')), h('p', { class: 'hint' }, t('heatmap_desc')), heatmap(sit.by_weekday_hour || [], k))),
    h('section', { class: 'grid-2 page-3 break' },
      h('div', {}, sourcesTable(sit)),
      h('div', {}, h('h2', {}, t('commitments_area')), commitmentsList(sit))));
  drawMap(mapEl, { geojson: geoR.body, situation: sit, basemapUrl: cfg.basemap_url, k });
  main.dataset.drawnMs = String(Math.round(performance.now() - t0));
  main.dataset.readyAt = String(performance.now()); // since navigation start (bench/web)
  main.dataset.ready = `${p.kind}:${p.value}:${st.area}`;
}
