// Builds dist/ from src/ with esbuild (one ESM bundle, dependencies left external, lazy chunks for
// the chat adapters), so `npm start` runs plain JavaScript: no TypeScript loader in the service
// process (~37 MB of resident memory and a slower start). Skips the build when dist is newer than
// every source; `--force` builds anyway. Files land atomically (built aside, then renamed, main.js
// last), so services starting at the same moment never load a half-written bundle.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const entry = path.join(dist, 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, item.name);
    if (item.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (/\.(ts|mjs|js|json)$/.test(item.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh() {
  try {
    const built = statSync(entry).mtimeMs;
    return built >= newestSource(path.join(root, 'src')) && built >= statSync(path.join(root, 'package-lock.json')).mtimeMs;
  } catch {
    return false;
  }
}

if (!process.argv.includes('--force') && isFresh()) process.exit(0);

const aside = path.join(root, `.dist-${process.pid}`);
rmSync(aside, { recursive: true, force: true });
await build({
  // The engine thread's entry is a file of its own: src/main.ts starts it as a worker.
  entryPoints: [path.join(root, 'src/main.ts'), path.join(root, 'src/engine.ts')],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir: aside,
  sourcemap: true,
  logLevel: 'warning',
});
mkdirSync(dist, { recursive: true });
const files = readdirSync(aside).sort((a, b) => Number(a.startsWith('main.')) - Number(b.startsWith('main.')));
for (const file of files) renameSync(path.join(aside, file), path.join(dist, file));
rmSync(aside, { recursive: true, force: true });
