// Builds one of the TypeScript client packages (run from its folder by its `build`
// script, and so by `npm pack` through `prepack`): compiles src/ to ESM JavaScript and
// .d.ts in dist/ with the package's tsconfig.build.json, then points the relative
// imports of the declarations at .js files (tsc rewrites them in the JavaScript only),
// so the output resolves under every moduleResolution a consumer may use.
// Usage: node ../build-package.mjs [extra file to copy into dist/ ...]
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';

const packageDir = process.cwd();
const dist = join(packageDir, 'dist');
const tsc = createRequire(join(packageDir, 'package.json')).resolve('typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);

/** Every file under `dir`. */
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const relativeTsImport = /(from\s+|import\(\s*)(['"])(\.{1,2}\/[^'"]+?)\.ts\2/g;
for (const file of walk(dist)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(relativeTsImport, (_, head, quote, path) => `${head}${quote}${path}.js${quote}`);
  if (rewritten !== text) writeFileSync(file, rewritten);
}
for (const extra of process.argv.slice(2)) copyFileSync(resolve(extra), join(dist, basename(extra)));
console.log(`built ${basename(packageDir)} into ${dist}`);
