// web.test.mjs - the web app in a real browser (Debian's chromium via
// playwright-core) against a real estd and PostgreSQL with known data
// (fixture.sql: ISO week 2026-W45 with a planted cluster in Hässleholmen).
// Screenshots for the README: ESTD_UPDATE_SCREENSHOTS=1 writes docs/screenshots/.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, Estd, browser, axe, createDb, dropDb, sql } from './harness.mjs';

const WEEK = '2026-W45';
const SHOTS = process.env.ESTD_UPDATE_SCREENSHOTS === '1' ? join(REPO, 'docs', 'screenshots') : null;
const db = `t_browser_${process.pid}`;
let estd; // auth off: the development mode of the page
let ctx;

async function openWeekly(page, query) {
  await page.goto(`${estd.base}/app/?${query}`);
  await page.waitForSelector('main[data-ready]', { timeout: 20000 });
}

before(async () => {
  createDb(db);
  estd = await new Estd(db, { ESTD_PUBLIC_PAGE: 'on' }).start();
  ctx = await browser();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await ctx?.close();
  const code = await estd?.stop();
  dropDb(db);
  assert.equal(code, 0, 'estd exit status');
});

describe('weekly lägesbild', () => {
  test('table and map equal the API, the planted cluster is hot spot #1', async () => {
    const page = await ctx.newPage();
    const csp = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await openWeekly(page, `week=${WEEK}`);
    const api = (await estd.get(`/v1/situation?week=${WEEK}`)).body;
    const geo = (await estd.get(`/v1/situation/geojson?week=${WEEK}`, { Accept: 'application/geo+json' })).body;
    const k = api.privacy.min_count;
    const shown = (c, key) => (c[key === 'count' ? 'suppressed' : `${key}_suppressed`] || c[key] === null ? `< ${k}` : String(c[key]));
    // Every category row with data, cell by cell.
    const rows = api.incidents.by_category.filter((c) => c.count || c.previous || c.year_ago || c.suppressed);
    assert.ok(rows.length >= 4, 'the fixture fills several categories');
    for (const c of rows) {
      for (const key of ['count', 'previous', 'year_ago']) {
        const text = (await page.textContent(`#category-table tr[data-code="${c.code}"] td[data-col="${key}"]`)).trim();
        assert.equal(text.replace(/\s/g, ''), shown(c, key).replace(/\s/g, ''), `${c.code}.${key}`);
      }
      const sig = await page.locator(`#category-table tr[data-code="${c.code}"] td.sig`).count();
      const apiSig = [c.change_previous?.significant, c.change_year_ago?.significant].filter(Boolean).length;
      assert.equal(sig, apiSig, `${c.code}: significance markers as the API says`);
    }
    const total = (await page.textContent('#category-table tr.total td[data-col="count"]')).trim();
    assert.equal(total, String(api.incidents.total.count));
    // Map: one path per area feature and per hot spot, with the API's rank and count.
    const areas = geo.features.filter((f) => f.properties.feature_type === 'area');
    const spots = geo.features.filter((f) => f.properties.feature_type === 'hot_spot');
    assert.equal(await page.locator('#map path.area').count(), areas.length);
    assert.equal(await page.locator('#map path.hotspot').count(), spots.length);
    for (const f of spots) {
      const el = page.locator(`#map path.hotspot[data-rank="${f.properties.rank}"]`);
      assert.equal(await el.getAttribute('data-count'), String(f.properties.incident_count));
    }
    // The planted cluster: 14 incidents around (12.9750, 57.7370) is rank 1.
    const top = api.hot_spots.find((h) => h.rank === 1);
    assert.equal(top.incident_count, 14);
    assert.ok(Math.abs(top.centroid.lon - 12.975) < 0.001 && Math.abs(top.centroid.lat - 57.737) < 0.001, JSON.stringify(top.centroid));
    assert.equal((await page.textContent('#hotspot-table tr[data-rank="1"] td:nth-child(2)')).trim(), '14');
    assert.match(await page.textContent('.hs-marker >> nth=0'), /#1\s*14/);
    // Patrol presence inside the hot spot, sources, heatmap and the 12-week trend.
    assert.equal((await page.textContent('#hotspot-table tr[data-rank="1"] td:nth-child(3)')).trim(), String(top.presence.patrols.count));
    assert.equal(await page.locator('#sources-table tbody tr').count(), api.sources.length);
    assert.equal(await page.locator('table.heatmap td').count(), 7 * 24);
    assert.ok(await page.locator('svg.series rect.bar').count() >= 12);
    assert.deepEqual(csp, [], 'no CSP violations');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'weekly.png'), fullPage: true });
    assert.deepEqual(await axe(page), []);
    await page.close();
  });

  test('suppressed cells are shown as "< k" exactly where the API hides them, never as 0', async () => {
    const secret = 'browser-test-secret-0123456789abcdef';
    const key = execFileSync(process.env.ESTD_BIN || join(REPO, 'build', 'estd'), ['keys', 'create', '--party', 'boras-stad', '--scopes', 'read', '--name', 'browser'], {
      env: { ...process.env, ESTD_DATABASE_URL: `postgresql://postgres@127.0.0.1:${process.env.ESTD_PG_PORT || '25432'}/${db}`, ESTD_KEY_SECRET: secret, ESTD_SQL_DIR: join(REPO, 'sql'), ESTD_LOG_LEVEL: 'error' },
      encoding: 'utf8',
    }).trim().split(/\s+/).pop();
    const keyed = await new Estd(db, { ESTD_AUTH: 'required', ESTD_KEY_SECRET: secret }).start();
    const kctx = await browser({ extraHTTPHeaders: { Authorization: `Bearer ${key}` } });
    try {
      const page = await kctx.newPage();
      await page.goto(`${keyed.base}/app/?week=${WEEK}`);
      await page.waitForSelector('main[data-ready]', { timeout: 20000 });
      const api = (await keyed.get(`/v1/situation?week=${WEEK}`, { Authorization: `Bearer ${key}` })).body;
      const k = api.privacy.min_count;
      assert.ok(k >= 2 && api.privacy.suppression_applied, JSON.stringify(api.privacy));
      let hidden = 0;
      for (const c of api.incidents.by_category) {
        for (const key2 of ['count', 'previous', 'year_ago']) {
          const sup = c[key2 === 'count' ? 'suppressed' : `${key2}_suppressed`];
          const cell = page.locator(`#category-table tr[data-code="${c.code}"] td[data-col="${key2}"]`);
          if (!(await cell.count())) { assert.ok(!sup && c[key2] === 0, `${c.code} left out although not 0`); continue; }
          const text = (await cell.textContent()).trim();
          if (sup) { hidden++; assert.equal(text, `< ${k}`, `${c.code}.${key2}`); } else assert.equal(text, String(c[key2]));
        }
      }
      assert.ok(hidden >= 2, 'the fixture has cells below the threshold (fires, drugs)');
      const heatHidden = api.by_weekday_hour.filter((c) => c.suppressed).length;
      assert.equal(await page.locator('table.heatmap td.lsup').count(), heatHidden);
      for (const td of await page.locator('table.heatmap td.lsup').allTextContents()) assert.equal(td, `<${k}`);
      // Without the detail scope the sources show no counts, only whether a party reported.
      assert.ok(api.sources.every((s) => !('events' in s) && !('latest_occurred_at' in s)));
      assert.deepEqual(await axe(page), []);
    } finally {
      await kctx.close();
      assert.equal(await keyed.stop(), 0);
    }
  });

  test('switch to English: labels from label_en, kept in the URL', async () => {
    const page = await ctx.newPage();
    await openWeekly(page, `week=${WEEK}&area=4`);
    assert.match(await page.textContent('h1'), /Lägesbild/);
    await page.click('#lang');
    await page.waitForURL(/lang=en/);
    // The old view keeps main[data-ready] until the new one replaces it, so
    // wait for the English heading itself (fails on timeout), then readiness.
    await page.waitForFunction(() => /Situational picture/.test(document.querySelector('h1')?.textContent || ''),
      null, { timeout: 15000 });
    await page.waitForSelector('main[data-ready]');
    assert.match(await page.textContent('h1'), /Situational picture/);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    const api = (await estd.get(`/v1/situation?week=${WEEK}&area_id=4`)).body;
    const skad = api.incidents.by_category.find((c) => c.code === 'skadegorelse');
    assert.equal((await page.textContent('#category-table tr[data-code="skadegorelse"] th')).trim(), skad.label_en);
    assert.match(page.url(), /week=2026-W45/);
    assert.match(page.url(), /area=4/);
    await page.close();
  });

  test('keyboard: skip link, then the next-week button by Tab and Enter', async () => {
    const page = await ctx.newPage();
    await openWeekly(page, `week=${WEEK}`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement.id) === 'next') break;
    }
    assert.equal(await page.evaluate(() => document.activeElement.id), 'next');
    await page.keyboard.press('Enter');
    await page.waitForURL(/week=2026-W46/);
    await page.waitForSelector('main[data-ready="week:2026-W46:"]');
    await page.close();
  });

  test('a week without data says so', async () => {
    const page = await ctx.newPage();
    await openWeekly(page, 'week=2026-W10');
    assert.match(await page.textContent('#empty'), /Inga händelser/);
    assert.deepEqual(await axe(page), []);
    await page.close();
  });

  test('unreachable API and 503: a clear message and a working retry', async () => {
    const page = await ctx.newPage();
    await page.route('**/v1/situation?**', (r) => r.abort('connectionrefused'));
    await page.goto(`${estd.base}/app/?week=${WEEK}`);
    await page.waitForSelector('#error');
    assert.match(await page.textContent('#error'), /nå estd/);
    await page.unroute('**/v1/situation?**');
    await page.route('**/v1/situation?**', (r) => r.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"type":"/problems/service-unavailable","title":"Service temporarily unavailable","status":503}' }));
    await page.click('#retry');
    await page.waitForSelector('#error >> text=503');
    assert.deepEqual(await axe(page), []);
    await page.unroute('**/v1/situation?**');
    await page.click('#retry');
    await page.waitForSelector('main[data-ready]');
    await page.close();
  });

  test('an expired session goes to sign-in keeping week and area', async () => {
    const page = await ctx.newPage();
    await page.route('**/v1/situation?**', (r) => r.fulfill({ status: 401, contentType: 'application/problem+json', body: '{"type":"/problems/unauthorized","title":"Authentication required","status":401}' }));
    const login = page.waitForRequest((r) => r.url().includes('/auth/login'));
    await page.goto(`${estd.base}/app/?week=${WEEK}&area=4`);
    const u = new URL((await login).url());
    assert.equal(u.searchParams.get('return_to'), `/app/?week=${WEEK}&area=4`);
    await page.close();
  });

  test('the printable weekly pack: A4 PDF with content on every page', async () => {
    const page = await ctx.newPage();
    await openWeekly(page, `week=${WEEK}&area=4`);
    const dir = mkdtempSync(join(tmpdir(), 'estd-pack-'));
    const pdf = join(dir, 'pack.pdf');
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: pdf, format: 'A4', printBackground: true, preferCSSPageSize: true });
    const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)[1]);
    assert.ok(/Page size:\s+595\.\d+ x 841\.\d+/.test(info) || /A4/.test(info), info);
    assert.equal(pages, 3, 'map and tables, trends, sources and commitments');
    execFileSync('pdftoppm', ['-png', '-r', '60', pdf, join(dir, 'page')]);
    execFileSync('pdftoppm', ['-gray', '-r', '30', pdf, join(dir, 'gray')]);
    const pngs = readdirSync(dir).filter((f) => f.startsWith('page') && f.endsWith('.png')).sort();
    const pgms = readdirSync(dir).filter((f) => f.startsWith('gray') && f.endsWith('.pgm')).sort();
    assert.equal(pngs.length, pages);
    for (const f of pgms) {
      const buf = readFileSync(join(dir, f));
      const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.subarray(0, 40).toString('latin1'));
      const px = buf.subarray(m[0].length);
      let ink = 0;
      for (const v of px) if (v < 200) ink++;
      assert.ok(ink / px.length > 0.01, `${f}: ${((100 * ink) / px.length).toFixed(2)} % ink`);
    }
    if (SHOTS) copyFileSync(join(dir, pngs[0]), join(SHOTS, 'pack-page1.png'));
    await page.close();
  });
});

describe('commitments board', () => {
  test('update a note, and see a 412 when another client changed it first', async () => {
    const page = await ctx.newPage();
    await page.goto(`${estd.base}/app/commitments?agreement=1`);
    await page.waitForSelector('#board');
    const id = sql(db, "SELECT id FROM commitments WHERE code = 'so-1-polisen-1'");
    const form = page.locator(`form[data-commitment="${id}"]`);
    // A note, saved with If-Match, is what the API then returns.
    await form.locator('textarea').fill('Deltar i alla nio grupper (uppföljt v45).');
    await form.locator('select').selectOption('ongoing');
    await form.locator('button[type=submit]').click();
    await form.locator('.msg.ok').waitFor();
    let doc = (await estd.get(`/v1/commitments/${id}`)).body;
    assert.equal(doc.follow_up_note, 'Deltar i alla nio grupper (uppföljt v45).');
    assert.equal(doc.status, 'ongoing');
    assert.equal((await page.textContent(`#commitment-${id} dd.note`)).trim(), doc.follow_up_note);
    // Another client changes it first ...
    const r = await fetch(`${estd.base}/v1/commitments/${id}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': `"${doc.version}"` },
      body: JSON.stringify({ follow_up_note: 'Ändrat av en annan klient.' }),
    });
    assert.equal(r.status, 200);
    // ... so this page's save (with its now stale version) is refused and shown as a conflict.
    await form.locator('textarea').fill('Min ändring.');
    await form.locator('button[type=submit]').click();
    await form.locator('.msg.conflict').waitFor();
    assert.match(await form.locator('.msg.conflict').textContent(), /412/);
    doc = (await estd.get(`/v1/commitments/${id}`)).body;
    assert.equal(doc.follow_up_note, 'Ändrat av en annan klient.', 'not silently overwritten');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'commitments.png') });
    assert.deepEqual(await axe(page), []);
    // By keyboard: Tab to the textarea of the first card, type, Tab to save, Enter.
    await page.reload();
    await page.waitForSelector('#board');
    await page.focus('#board form textarea');
    await page.keyboard.type(' Tangentbord.');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('#board form .msg.ok').first().waitFor();
    await page.close();
  });
});

describe('public medborgarlöfte page', () => {
  test('no sign-in, aggregates only, no count below the threshold', async () => {
    const pub = await browser();
    const page = await pub.newPage();
    const agreement = sql(db, "SELECT id FROM agreements WHERE kind = 'medborgarlofte'");
    await page.goto(`${estd.base}/app/public/${agreement}`);
    await page.waitForSelector('#public-table');
    const api = (await estd.get(`/v1/public/agreements/${agreement}`)).body;
    const k = api.privacy.min_count;
    assert.ok(k >= 2);
    // ml-3 has 2 operative actions in the fixture: hidden, shown as "< k".
    const ml3 = api.commitments.find((c) => c.code === 'ml-3');
    assert.equal(ml3.progress.value, null);
    assert.equal(ml3.progress.value_suppressed, true);
    assert.ok(!('last_event' in ml3.progress));
    const cells = await page.locator('#public-table td.progress').allTextContents();
    const ml3Cell = await page.textContent(`#public-table tr[data-commitment="${ml3.id}"] td.progress`);
    assert.match(ml3Cell, new RegExp(`^< ${k}`));
    for (const text of cells) {
      const m = /^(\d+)(?!\s*h)/.exec(text.trim());
      if (m) assert.ok(Number(m[1]) === 0 || Number(m[1]) >= k, `a count below ${k} is shown: ${text}`);
    }
    // Every count the page shows is what the API published.
    for (const c of api.commitments) {
      const p = c.progress;
      if (!p || p.indicator?.measure !== 'count') continue;
      const text = (await page.textContent(`#public-table tr[data-commitment="${c.id}"] td.progress`)).trim();
      assert.ok(p.value_suppressed ? text.startsWith(`< ${k}`) : text.startsWith(String(p.value)), `${c.code}: ${text}`);
    }
    // ml-5 (5 information meetings) is published as the cell-key rounding says: a multiple of k.
    const ml5 = api.commitments.find((c) => c.code === 'ml-5');
    assert.ok(ml5.progress.value % k === 0 && ml5.progress.value > 0, JSON.stringify(ml5.progress));
    assert.match(await page.textContent(`#public-table tr[data-commitment="${ml5.id}"] td.progress`), new RegExp(`^${ml5.progress.value}`));
    assert.deepEqual(await axe(page), []);
    await pub.close();
  });

  test('off unless ESTD_PUBLIC_PAGE=on', async () => {
    const off = await new Estd(db).start();
    try {
      const r = await fetch(`${off.base}/v1/public/agreements`);
      assert.equal(r.status, 404);
      assert.equal((await fetch(`${off.base}/app/public/`)).status, 404);
    } finally {
      assert.equal(await off.stop(), 0);
    }
  });
});
