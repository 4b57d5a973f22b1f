#!/usr/bin/env node
// Builds the web interface into server/ui/dist: one ES module bundle (Preact, htm, uPlot and the pages, all from
// node_modules, so nothing is fetched from a CDN at run time), one stylesheet (ours plus uPlot's), the curated job
// examples, and index.html naming the content-hashed files. `npm install` runs this (the `prepare` script); the
// output is not committed. esbuild is the one tsx already depends on.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(root, 'server/ui');
const dist = join(ui, 'dist');

const started = Date.now();
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

const result = await build({
  entryPoints: { app: join(ui, 'main.ts'), styles: join(ui, 'styles.css') },
  outdir: dist,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
});

/** The hashed output file built from an entry point. */
function outputOf(entry) {
  const [file] = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint === entry) ?? [];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return basename(file);
}

const template = await readFile(join(ui, 'index.html'), 'utf8');
const html = template.replace('%APP%', `/ui/${outputOf('server/ui/main.ts')}`).replace('%STYLES%', `/ui/${outputOf('server/ui/styles.css')}`);
await writeFile(join(dist, 'index.html'), html);
await copyFile(join(ui, 'examples.json'), join(dist, 'examples.json'));
await copyFile(join(ui, 'favicon.svg'), join(dist, 'favicon.svg'));
console.log(`web interface built into ${dist} in ${Date.now() - started} ms`);
