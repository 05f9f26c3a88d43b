// main.js - the signed-in app: weekly lägesbild and commitments board.
import './app.css';
import { api, all, session as getSession, loginUrl, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { t, setLang } from './i18n.js';
import { read, href } from './state.js';
import { renderWeekly } from './weekly.js';
import { renderCommitments } from './commitments.js';

const ctx = { cfg: { auth: 'off' }, session: null, areas: [], st: null };

function signin() { location.assign(loginUrl()); }
ctx.signin = signin;

function header() {
  const top = clear(document.getElementById('top'));
  const st = ctx.st;
  const nav = h('nav', { 'aria-label': 'Huvudmeny' },
    h('a', { href: href({ ...st, view: 'weekly' }), 'aria-current': st.view === 'weekly' ? 'page' : null, id: 'nav-weekly' }, t('weekly')),
    h('a', { href: href({ ...st, view: 'commitments' }), 'aria-current': st.view === 'commitments' ? 'page' : null, id: 'nav-commitments' }, t('commitments')));
  const user = ctx.session?.authenticated
    ? h('span', { class: 'user' }, t('signed_in_as', ctx.session.name || ctx.session.sub), ' ',
      h('button', { type: 'button', id: 'signout', onclick: signout }, t('signout')))
    : (ctx.cfg.auth === 'off' ? h('span', { class: 'user' }, t('auth_off')) : h('button', { type: 'button', onclick: signin }, t('signin')));
  const langBtn = h('button', { type: 'button', id: 'lang', lang: st.lang === 'en' ? 'sv' : 'en', onclick: () => navigate({ ...st, lang: st.lang === 'en' ? 'sv' : 'en' }) }, t('lang_toggle'));
  top.append(h('span', { class: 'brand' }, 'estd'), nav, h('span', { class: 'spacer' }), user, langBtn);
  document.querySelector('.skip').textContent = t('skip');
}

async function signout() {
  try { await api('/auth/logout', { method: 'POST' }); } catch { /* the page reloads anyway */ }
  location.assign(loginUrl());
}

function showError(main, err) {
  clear(main);
  const retry = h('button', { type: 'button', id: 'retry', onclick: () => render() }, t('retry'));
  let text;
  if (err instanceof ApiError && err.kind === 'network') text = t('unreachable');
  else if (err instanceof ApiError && err.kind === 'unavailable') text = t('unavailable');
  else if (err instanceof ApiError && err.kind === 'forbidden') text = t('forbidden');
  else text = t('error', err.message);
  main.append(h('div', { class: 'notice error', role: 'alert', id: 'error' }, h('p', {}, text), retry));
  retry.focus();
}

async function render() {
  const main = document.getElementById('main');
  ctx.st = read();
  setLang(ctx.st.lang);
  document.title = `${t(ctx.st.view === 'commitments' ? 'commitments' : 'app_title')} – estd`;
  header();
  try {
    if (!ctx.session) {
      ctx.cfg = (await api('/app/config.json')).body;
      ctx.session = await getSession();
    }
    // Without a session the first API call decides: a 401 sends the user to
    // sign-in (below); credentials the browser sends otherwise (an API key
    // through a proxy, the tests' key header) are accepted as the API accepts them.
    if (!ctx.areas.length) ctx.areas = await all('/v1/areas');
    header();
    if (ctx.st.view === 'commitments') await renderCommitments(main, ctx);
    else await renderWeekly(main, ctx);
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'unauthenticated') { signin(); return; }
    console.error(err);
    showError(main, err);
  }
}

// Client-side navigation: the URL is the state.
function navigate(st, { replace = false } = {}) {
  const url = href(st);
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  render();
}
ctx.navigate = navigate;

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href^="/app/"]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || a.target) return;
  e.preventDefault();
  history.pushState(null, '', a.getAttribute('href'));
  render();
});
window.addEventListener('popstate', render);
render();
