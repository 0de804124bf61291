// Bundles the web console (app/) into dist/console: one script, one stylesheet and the page that loads them.
// File names carry a hash of their content, so the admin port lets browsers keep them for good; only index.html
// is asked for again. Everything is in the package: the page loads nothing from elsewhere.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = new URL('../../../', import.meta.url);
const outdir = fileURLToPath(new URL('dist/console/', root));

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  entryPoints: { app: fileURLToPath(new URL('app/main.tsx', import.meta.url)) },
  outdir,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((name) => name.endsWith('.js'));
const style = outputs.find((name) => name.endsWith('.css'));
if (!script || !style)
  throw new Error(`the console build made ${outputs.join(', ')}: a script and a stylesheet expected`);
await writeFile(
  new URL('index.html', `file://${outdir}`),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/${style}">
<script type="module" src="/console/${script}"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`,
);
