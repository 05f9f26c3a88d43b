// bench/web/run.mjs - the web app's budgets (docs/BENCHMARKS.md, section "web"):
//   1. first load of the weekly view, navigation start -> map and table drawn, < 1.0 s,
//      beside the time of the API calls alone (the page's three requests, from node);
//   2. compressed JavaScript + CSS transferred on first load < 600 KiB;
//   3. week switch < 300 ms to a redrawn view when the API answers from cache.
// Measured with the browser's own clock (performance.now(), Resource Timing) in
// Debian's chromium via playwright-core, against a real estd + PostgreSQL with
// the browser tests' data (tests/browser/fixture.sql). Short: ~1 minute.
//   node bench/web/run.mjs [--runs N]      (needs scripts/pg.sh running and the template)
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { REPO, Estd, browser, createDb, dropDb } from '../../tests/browser/harness.mjs';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 10;
const WEEK = '2026-W45';
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const median = (a) => q(a, 0.5);

const db = `b_web_${process.pid}`;
createDb(db);
const estd = await new Estd(db).start();
const out = { date: new Date().toISOString(), runs: RUNS, load_before: loadavg()[0] };
try {
  // The API alone: the page's three requests in parallel, as the page sends them.
  const api = async (week) => {
    const t = performance.now();
    await Promise.all([
      fetch(`${estd.base}/v1/situation?week=${week}`).then((r) => r.arrayBuffer()),
      fetch(`${estd.base}/v1/situation/geojson?week=${week}`, { headers: { Accept: 'application/geo+json' } }).then((r) => r.arrayBuffer()),
      fetch(`${estd.base}/v1/situation?from=2026-08-17&to=2026-11-09&bucket=week`).then((r) => r.arrayBuffer()),
    ]);
    return performance.now() - t;
  };
  await api(WEEK);
  const apiMs = [];
  for (let i = 0; i < RUNS; i++) apiMs.push(await api(WEEK));

  const loadMs = [], apiInPageMs = [], bytes = [], switchMs = [];
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser(); // fresh profile: nothing cached in the browser
    const page = await ctx.newPage();
    await page.goto(`${estd.base}/app/?week=${WEEK}`);
    await page.waitForSelector('main[data-ready]');
    const m = await page.evaluate(() => {
      const res = performance.getEntriesByType('resource');
      const enc = res.filter((r) => /\.(js|css)$/.test(new URL(r.name).pathname)).reduce((s, r) => s + r.encodedBodySize, 0);
      const apiR = res.filter((r) => new URL(r.name).pathname.startsWith('/v1/situation'));
      const apiSpan = Math.max(...apiR.map((r) => r.responseEnd)) - Math.min(...apiR.map((r) => r.startTime));
      return { ready: Number(document.querySelector('main').dataset.readyAt), enc, apiSpan };
    });
    loadMs.push(m.ready); bytes.push(m.enc); apiInPageMs.push(m.apiSpan);
    // Week switch with the API answering from cache: W46 visited once (estd's
    // situation cache and the page's ETag cache are warm), back to W45, then time W45 -> W46.
    for (const w of ['2026-W46', WEEK]) {
      await page.click(w === WEEK ? '#prev' : '#next');
      await page.waitForSelector(`main[data-ready="week:${w}:"]`);
    }
    const t0 = await page.evaluate(() => performance.now());
    await page.click('#next');
    await page.waitForSelector('main[data-ready="week:2026-W46:"]');
    const t1 = await page.evaluate(() => Number(document.querySelector('main').dataset.readyAt));
    switchMs.push(t1 - t0);
    await ctx.close();
  }
  Object.assign(out, {
    api_alone_ms: { median: median(apiMs), p90: q(apiMs, 0.9) },
    api_in_page_ms: { median: median(apiInPageMs), p90: q(apiInPageMs, 0.9) },
    first_load_ms: { median: median(loadMs), p90: q(loadMs, 0.9), budget: 1000 },
    js_css_compressed_bytes: { median: median(bytes), budget: 600 * 1024 },
    week_switch_ms: { median: median(switchMs), p90: q(switchMs, 0.9), budget: 300 },
  });
} finally {
  await estd.stop();
  dropDb(db);
}
mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
writeFileSync(join(REPO, 'bench', 'results', 'web.json'), JSON.stringify(out, null, 2));
const f = (x) => x.toFixed(0);
const md = `<!-- web:begin -->
## Web app

\`bench/web/run.mjs\`, ${out.date}, ${RUNS} runs each, Debian chromium (headless, fresh profile per first load)
via playwright-core against estd (auth off, 4 HTTP threads) and PostgreSQL on loopback, data of
\`tests/browser/fixture.sql\`. Times from the browser's own clock: first load = navigation start
to map and tables drawn (\`performance.now()\` when the view sets \`data-ready\`); week switch =
click on "next week" to the redrawn view, with the week visited before (estd's situation cache
and the page's ETag revalidation answer). The machine is shared by other jobs (2 cores): the
numbers move between runs (load average ${out.load_before.toFixed(1)} when this run started); the
median is the figure held against the budget, the p90 shows how much the shared machine adds.

| measure | median | p90 | budget |
|---|---:|---:|---:|
| API calls alone (the page's 3 requests in parallel, from node) | ${f(out.api_alone_ms.median)} ms | ${f(out.api_alone_ms.p90)} ms | – |
| the same API calls inside the first load (Resource Timing span) | ${f(out.api_in_page_ms.median)} ms | ${f(out.api_in_page_ms.p90)} ms | – |
| first load of the weekly view to map + table drawn | ${f(out.first_load_ms.median)} ms | ${f(out.first_load_ms.p90)} ms | < 1000 ms |
| compressed JS + CSS transferred on first load | ${(out.js_css_compressed_bytes.median / 1024).toFixed(1)} KiB | – | < 600 KiB |
| week switch, API answering from cache | ${f(out.week_switch_ms.median)} ms | ${f(out.week_switch_ms.p90)} ms | < 300 ms |
<!-- web:end -->`;
const docp = join(REPO, 'docs', 'BENCHMARKS.md');
let doc = readFileSync(docp, 'utf8');
doc = doc.includes('<!-- web:begin -->') ? doc.replace(/<!-- web:begin -->[\s\S]*<!-- web:end -->/, md) : doc.trimEnd() + '\n\n' + md + '\n';
writeFileSync(docp, doc);
console.log(md);
const over = out.first_load_ms.median > 1000 || out.js_css_compressed_bytes.median > 600 * 1024 || out.week_switch_ms.median > 300;
process.exit(over ? 1 : 0);
