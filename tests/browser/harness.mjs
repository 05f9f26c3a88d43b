// harness.mjs - what the browser tests run against, started the way the
// pytest fixtures do it (tests/integration/conftest.py): a database cloned
// from the migrated, seeded template on the PostgreSQL of scripts/pg.sh,
// the known test data of fixture.sql, a real `estd serve` on a free
// loopback port serving the built web app, and Debian's chromium driven by
// playwright-core (Playwright cannot download its own browsers here).
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = process.env.ESTD_REPO || resolve(here, '..', '..');
const require = createRequire(join(REPO, 'web', 'package.json'));
export const { chromium } = require('playwright-core');
export const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const BIN = process.env.ESTD_BIN || join(REPO, 'build', 'estd');
const SQL_DIR = process.env.ESTD_SQL_DIR || join(REPO, 'sql');
const WEB_DIR = process.env.ESTD_WEB_DIR || join(REPO, 'build', 'web');
const PG_PORT = process.env.ESTD_PG_PORT || '25432';
const TEMPLATE = process.env.ESTD_TEMPLATE_DB || 'estd_template';
export const CHROMIUM = process.env.ESTD_CHROMIUM || '/usr/bin/chromium';

export const pgUrl = (db) => `postgresql://postgres@127.0.0.1:${PG_PORT}/${db}`;
export function psql(db, args, input) {
  return execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', pgUrl(db), ...args], { input, encoding: 'utf8' });
}
export function sql(db, query) { return psql(db, ['-c', query]).trim(); }

export function createDb(name) {
  psql('postgres', ['-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, '-c', `CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE}"`]);
  psql(name, ['-f', join(here, 'fixture.sql')]);
}
export function dropDb(name) { psql('postgres', ['-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]); }

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

export class Estd {
  constructor(db, env = {}, port = 0) { this.db = db; this.extra = env; this.port = port; }
  async start() {
    this.port = this.port || await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.logPath = join(tmpdir(), `estd-browser-${this.db}-${this.port}.log`);
    const env = {
      ...process.env, ESTD_DATABASE_URL: pgUrl(this.db), ESTD_SQL_DIR: SQL_DIR, ESTD_WEB_DIR: WEB_DIR,
      ESTD_LISTEN_ADDRESS: '127.0.0.1', ESTD_PORT: String(this.port), ESTD_LOG_LEVEL: 'warn', ESTD_AUTH: 'off',
      ESTD_KAFKA_BROKERS: '',
      // Not under test here (tests/integration/test_resilience.py): a page load's assets and the
      // sign-in redirects come from one address without a key.
      ESTD_RATE_LIMIT_ANON_RPS: '0', ESTD_RATE_LIMIT_RPS: '0', ...this.extra,
    };
    const log = openSync(this.logPath, 'w');
    this.proc = spawn(BIN, ['serve'], { env, stdio: ['ignore', log, log] });
    this.exit = new Promise((r) => this.proc.on('exit', (code, sig) => r(code ?? sig)));
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`estd exited: ${readFileSync(this.logPath, 'utf8').slice(-2000)}`);
      try { if ((await fetch(this.base + '/readyz')).status === 200) return this; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('estd did not become ready');
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.proc?.exitCode;
    this.proc.kill('SIGTERM');
    return this.exit;
  }
  async get(path, headers = {}) {
    const r = await fetch(this.base + path, { headers: { Accept: 'application/json', ...headers } });
    return { status: r.status, headers: r.headers, body: await r.json().catch(() => null) };
  }
}

// Debian's chromium with a fresh user-data-dir each time.
export async function browser(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'estd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1300, height: 1000 },
    locale: 'sv-SE',
    timezoneId: 'Europe/Stockholm',
    ...options,
  });
  context.close0 = context.close;
  context.close = async () => { await context.close0(); rmSync(profile, { recursive: true, force: true }); };
  return context;
}

// axe-core on the page: the serious and critical violations.
export async function axe(page) {
  await page.evaluate(AXE_SOURCE);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
