// map.js - the Leaflet map: areas coloured by their incident count, hot
// spots as hulls labelled with rank and count, patrol presence inside each
// hot spot, and the focus areas outlined. No basemap unless configured
// (ESTD_UI_BASEMAP_URL), so the page works offline. SVG renderer (no WebGL).
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { h } from './dom.js';
import { t, num } from './i18n.js';

const RAMP = ['#f7f4f9', '#e7e1ef', '#d4b9da', '#c994c7', '#df65b0', '#e7298a', '#ce1256', '#91003f'];
export function colourFor(count, max) {
  if (count === null || count === undefined) return '#bdbdbd';
  if (!count) return RAMP[0];
  return RAMP[Math.min(RAMP.length - 1, 1 + Math.floor(((count - 1) / Math.max(max, 1)) * (RAMP.length - 1)))];
}

// The colour key under the map: 0, the steps up to the largest area count, hidden.
export function legend(situation, k) {
  const counts = (situation.by_area || []).map((a) => a.count || 0);
  const max = Math.max(1, ...counts);
  const steps = [...new Set([0, 1, ...[0.25, 0.5, 0.75, 1].map((f) => Math.max(1, Math.round(f * max)))])].sort((a, b) => a - b);
  const sw = (colour, text) => {
    const box = h('span', { class: 'swatch' });
    box.style.background = colour; // CSSOM, not an inline style attribute: allowed by the CSP
    return h('li', {}, box, ` ${text}`);
  };
  return h('ul', { class: 'legend', 'aria-label': t('incidents') },
    steps.map((v) => sw(colourFor(v, max), num(v))), k > 1 ? sw('#bdbdbd', `< ${k}`) : null);
}

let map = null;
let layer = null;
let bounds = null;

// The printed pack has another map size: refit when print starts (the
// media query also fires under print emulation) and when it ends.
function refit() {
  if (!map || !bounds?.isValid()) return;
  map.invalidateSize({ animate: false });
  map.fitBounds(bounds, { padding: [12, 12], animate: false });
}
if (typeof window !== 'undefined') {
  window.matchMedia('print').addEventListener('change', refit);
  window.addEventListener('beforeprint', refit);
  window.addEventListener('afterprint', refit);
}

export function drawMap(el, { geojson, situation, basemapUrl, k }) {
  if (!map || map.getContainer() !== el) {
    if (map) map.remove();
    map = L.map(el, { renderer: L.svg(), zoomSnap: 0.25, attributionControl: Boolean(basemapUrl), keyboard: true });
    if (basemapUrl) L.tileLayer(basemapUrl, { maxZoom: 19, attribution: '' }).addTo(map);
  }
  if (layer) layer.remove();
  layer = L.featureGroup().addTo(map);
  const tag = []; // [leaflet layer, attributes]: set once the paths exist (after the view is set)
  const counts = new Map((situation.by_area || []).map((a) => [a.area_id, a]));
  const max = Math.max(1, ...[...counts.values()].map((a) => a.count || 0));
  const focusAreas = new Set((situation.focuses || []).filter((f) => f.active).map((f) => f.area_id));
  const areas = geojson.features.filter((f) => f.properties.feature_type === 'area');
  // Union areas (e.g. särskilt utsatta områden) are drawn as outlines above the districts.
  areas.sort((a, b) => (a.properties.kind === 'district' ? -1 : 1) - (b.properties.kind === 'district' ? -1 : 1));
  for (const f of areas) {
    const p = f.properties;
    const c = counts.get(p.area_id);
    const district = p.kind === 'district' || areas.length === 1;
    const text = c ? (c.suppressed || c.count === null ? `< ${k}` : num(c.count)) : '';
    L.geoJSON(f, {
      style: {
        className: `area${focusAreas.has(p.area_id) ? ' focus' : ''}`,
        color: focusAreas.has(p.area_id) ? '#005a9c' : '#555', weight: focusAreas.has(p.area_id) ? 3 : 1,
        dashArray: district ? null : '6 4',
        fillColor: district ? colourFor(c ? c.count : 0, max) : '#000', fillOpacity: district ? 0.75 : 0,
      },
    }).bindTooltip(h("span", {}, `${p.name}: ${text}`), { sticky: true }).addTo(layer);
    layer.getLayers().at(-1).eachLayer((l) => tag.push([l, { 'data-area-id': p.area_id }]));
  }
  for (const f of geojson.features.filter((x) => x.properties.feature_type === 'hot_spot')) {
    const p = f.properties;
    const patrols = p.presence?.patrols || { count: 0, duration_s: 0 };
    const gl = L.geoJSON(f, { style: { className: 'hotspot', color: '#b30000', weight: 2, fillColor: '#ff4d4d', fillOpacity: 0.45 } }).addTo(layer);
    gl.eachLayer((l) => tag.push([l, { 'data-rank': p.rank, 'data-count': p.incident_count }]));
    const label = h('span', { class: 'hs-label' }, h('b', {}, `#${p.rank}`), ` ${num(p.incident_count)}`,
      patrols.count ? h('span', { class: 'hs-patrol' }, ` · ${t('patrols')} ${patrols.count}`) : null);
    L.marker([p.centroid.lat, p.centroid.lon], {
      icon: L.divIcon({ className: 'hs-marker', html: label, iconSize: null }),
      keyboard: false, interactive: false,
    }).addTo(layer);
  }
  bounds = layer.getBounds();
  map.invalidateSize();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], animate: false });
  for (const [l, attrs] of tag) {
    const e = l.getElement?.();
    if (e) for (const [a, v] of Object.entries(attrs)) e.setAttribute(a, v);
  }
  return map;
}
