// commitments.js - the commitments board of an agreement: each commitment
// with its responsible parties, target, progress, on-track and follow-up
// note. A user whose party is responsible may change status and note; the
// change is sent with If-Match and a 412 is shown as a conflict.
import { api, all, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { t, label, num } from './i18n.js';

const STATUSES = ['planned', 'ongoing', 'fulfilled', 'partially_fulfilled', 'not_fulfilled'];

function progressText(c) {
  const p = c.progress;
  if (!p || p.value === null || p.value === undefined) return t('none');
  const unit = p.indicator?.measure === 'duration_hours' ? ' h' : '';
  const v = `${num(p.value, p.indicator?.measure === 'duration_hours' ? 1 : 0)}${unit}`;
  return c.target?.value ? t('of_target', v, `${num(c.target.value)}${unit}`) : v;
}
function onTrack(p) {
  if (!p || p.on_track === null || p.on_track === undefined) return h('span', { class: 'track unknown' }, t('on_track_unknown'));
  return p.on_track ? h('span', { class: 'track yes' }, `✔ ${t('on_track_yes')}`) : h('span', { class: 'track no' }, `✘ ${t('on_track_no')}`);
}
function targetText(tg) {
  if (!tg) return t('none');
  return `${tg.comparison === 'at_most' ? '≤' : '≥'} ${num(tg.value)} ${tg.unit || ''}${tg.per && tg.per !== 'period' ? ' / ' + tg.per : ''}`;
}

export function canEdit(session, cfg, commitment) {
  if (cfg.auth === 'off') return true; // development mode: the API lets every caller write
  if (!session?.authenticated) return false;
  const scopes = session.scopes || [];
  if (scopes.includes('admin')) return true;
  if (!scopes.includes('write-commitments')) return false;
  return (commitment.responsible_parties || []).some((p) => p.code === session.party || String(p.id) === String(session.party_id));
}

function editor(c, version, ctx, rerender) {
  const st = t('statuses');
  const id = `c${c.id}`;
  const status = h('select', { id: `${id}-status`, name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === c.status }, st[s])));
  const note = h('textarea', { id: `${id}-note`, name: 'follow_up_note', rows: 3 }, c.follow_up_note || '');
  const msg = h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'edit', 'data-commitment': c.id, 'data-version': version },
    h('label', { for: `${id}-status` }, t('status')), status,
    h('label', { for: `${id}-note` }, t('note')), note,
    h('button', { type: 'submit' }, t('save')), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.className = 'msg';
    msg.textContent = '';
    try {
      const r = await api(`/v1/commitments/${c.id}`, { method: 'PATCH', ifMatch: `"${form.dataset.version}"`, body: { status: status.value, follow_up_note: note.value || null } });
      form.dataset.version = r.body.version;
      const card = form.closest('article');
      card.querySelector('dd.note').textContent = r.body.follow_up_note || t('none');
      const badge = card.querySelector('dd .status');
      badge.className = `status ${r.body.status}`;
      badge.textContent = st[r.body.status] || r.body.status;
      msg.textContent = t('saved');
      msg.className = 'msg ok';
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'conflict') {
        msg.className = 'msg conflict';
        msg.setAttribute('role', 'alert');
        msg.append(h('strong', {}, '412 '), t('conflict'), ' ', h('button', { type: 'button', class: 'reload', onclick: rerender }, t('reload')));
      } else if (err instanceof ApiError && err.kind === 'unauthenticated') {
        ctx.signin();
      } else {
        msg.className = 'msg error';
        msg.setAttribute('role', 'alert');
        msg.textContent = err.kind === 'forbidden' ? t('forbidden') : t('error', err.message);
      }
    }
  });
  return form;
}

export async function renderCommitments(main, ctx) {
  const { st, navigate } = ctx;
  const agreements = await all('/v1/agreements');
  const agreementId = st.agreement || String(agreements[0]?.id || '');
  const [report, list] = await Promise.all([
    api(`/v1/agreements/${agreementId}/report`),
    all('/v1/commitments', { agreement_id: agreementId }),
  ]);
  const versions = new Map(list.map((c) => [c.id, c.version]));
  const ag = agreements.find((a) => String(a.id) === agreementId);
  clear(main);
  const sel = h('select', { id: 'agreement', 'aria-label': t('agreement'), onchange: (e) => navigate({ ...st, agreement: e.target.value }) },
    agreements.map((a) => h('option', { value: a.id, selected: String(a.id) === agreementId }, label(a, 'title') || a.title)));
  main.append(h('h1', { id: 'view-title' }, t('commitments')),
    h('form', { class: 'controls no-print', onsubmit: (e) => e.preventDefault() }, h('label', {}, t('agreement'), ' ', sel)),
    h('h2', {}, ag ? (label(ag, 'title') || ag.title) : ''));
  const cs = report.body.commitments || [];
  if (!cs.length) { main.append(h('p', {}, t('no_commitments'))); return; }
  const stt = t('statuses');
  const rerender = () => navigate({ ...st }, { replace: true, force: true });
  main.append(h('div', { class: 'board', id: 'board' }, cs.map((c) => h('article', { class: 'card', id: `commitment-${c.id}`, 'aria-labelledby': `ch-${c.id}` },
    h('h3', { id: `ch-${c.id}` }, c.code || `#${c.id}`),
    h('p', { class: 'text' }, c.text),
    h('dl', {},
      h('dt', {}, t('responsible')), h('dd', {}, (c.responsible_parties || []).map((p) => p.name).join(', ')),
      h('dt', {}, t('target')), h('dd', {}, targetText(c.target)),
      h('dt', {}, t('progress')), h('dd', { class: 'progress' }, progressText(c)),
      h('dt', {}, t('on_track')), h('dd', {}, onTrack(c.progress)),
      h('dt', {}, t('status')), h('dd', {}, h('span', { class: `status ${c.status}` }, stt[c.status] || c.status)),
      h('dt', {}, t('note')), h('dd', { class: 'note' }, c.follow_up_note || t('none'))),
    canEdit(ctx.session, ctx.cfg, c) ? editor(c, versions.get(c.id), ctx, rerender) : null))));
}
