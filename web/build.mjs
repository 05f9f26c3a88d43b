// build.mjs - bundles web/src into hashed assets, writes index.html and
// public.html referencing them, and precompresses every text file (.br, .gz).
//   node build.mjs [OUT_DIR]   (default: dist)
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const here = new URL('.', import.meta.url).pathname;
const out = resolve(process.argv[2] || join(here, 'dist'));
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src/main.js'), public: join(here, 'src/public.js') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  splitting: true,
  loader: { '.png': 'file', '.svg': 'file' },
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

// Entry point -> its JS and CSS file names.
const entries = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const name = meta.entryPoint.endsWith('public.js') ? 'public' : 'app';
  entries[name] = { js: relative(out, file), css: meta.cssBundle ? relative(out, meta.cssBundle) : null };
}

function page(template, entry) {
  const t = readFileSync(join(here, 'src', template), 'utf8');
  const css = entry.css ? `<link rel="stylesheet" href="/app/${entry.css}">` : '';
  return t.replace('<!--ASSETS-->', `${css}\n  <script type="module" src="/app/${entry.js}"></script>`);
}
writeFileSync(join(out, 'index.html'), page('index.html', entries.app));
writeFileSync(join(out, 'public.html'), page('public.html', entries.public));

writeFileSync(join(out, 'favicon.svg'), readFileSync(join(here, 'src/favicon.svg')));

// Precompressed variants of every compressible file.
const compressible = /\.(html|js|css|json|svg|txt|map)$/;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { walk(p); continue; }
    if (!compressible.test(name)) continue;
    const data = readFileSync(p);
    writeFileSync(p + '.gz', gzipSync(data, { level: 9 }));
    writeFileSync(p + '.br', brotliCompressSync(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    }));
  }
}
walk(out);
console.log(`web: built ${Object.values(entries).map((e) => e.js).join(', ')} into ${out}`);
