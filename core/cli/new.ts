// `sluice new source|sink|processor <name>`: a plugin package to start from, made of the files in
// templates/plugins/ (the same plugins and tests the repository runs): it imports only from `sluice`, and its
// test runs the conformance suite for its kind, so `npm install && npm test` passes at once.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { packageVersion } from './package-version.js';
import { reportError } from './report-error.js';

export type NewKind = 'source' | 'sink' | 'processor';

export interface NewOptions {
  /** Folder to create (default: ./<name>). */
  dir?: string;
  /** How the package depends on Sluice for development (default: ^<this version>). */
  sluice?: string;
}

/** For each kind: the template plugin it copies and an example of its use in a pipeline. */
const kinds: Record<NewKind, { template: string; example: (name: string) => string }> = {
  source: {
    template: 'counter-source',
    example: (name) => `    source: { type: ${name}, upTo: 100 }\n    topic: numbers\n    sinks: [ { type: stdout } ]`,
  },
  sink: {
    template: 'webhook-sink',
    example: (name) =>
      `    source: { type: generate, preset: temperature }\n    topic: readings\n    sinks:\n      - { type: ${name}, url: 'https://example.invalid/hook' }`,
  },
  processor: {
    template: 'uppercase-processor',
    example: (name) =>
      `    source: { type: stdin }\n    processors: [ { type: json }, { type: ${name}, field: name } ]\n    topic: names\n    sinks: [ { type: stdout } ]`,
  },
};

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** templates/plugins of this package: two folders up from source, three from dist/. */
function templatesFolder(): string {
  for (const up of ['../../templates/plugins', '../../../templates/plugins']) {
    const dir = new URL(up, import.meta.url);
    if (existsSync(dir)) return dir.pathname;
  }
  throw new Error('the plugin templates are missing from this installation of sluice; reinstall it');
}

function summaryOf(pluginSource: string): string {
  return /summary: '([^']*)'/.exec(pluginSource)?.[1] ?? 'A Sluice plugin.';
}

/** Writes the package; returns the folder. Throws ConfigError for a bad name or a folder in use. */
export function scaffoldPlugin(kind: NewKind, name: string, options: NewOptions = {}): string {
  if (!NAME.test(name)) {
    throw new ConfigError(`plugin name "${name}": use lower-case letters, digits and dashes, e.g. "my-${kind}"`, {
      code: 'E_NEW_NAME',
    });
  }
  const dir = resolve(options.dir ?? name);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new ConfigError(`${dir} is not empty; choose another folder with --dir`, { code: 'E_NEW_EXISTS' });
  }
  const templates = templatesFolder();
  const { template, example } = kinds[kind];
  const version = packageVersion();
  const plugin = readFileSync(join(templates, `${template}.ts`), 'utf8').replace(/name: '[^']*'/, `name: '${name}'`);
  const test = readFileSync(join(templates, `${template}.test.ts`), 'utf8').replace(
    `from './${template}.js'`,
    `from '../src/index.js'`,
  );
  const fill = (text: string) =>
    text
      .replaceAll('__NAME__', `sluice-plugin-${name}`)
      .replaceAll('__KIND__', kind)
      .replaceAll('__SUMMARY__', summaryOf(plugin))
      .replaceAll('__EXAMPLE__', example(name))
      .replaceAll('__SLUICE_RANGE__', `^${version}`)
      .replaceAll('__SLUICE_SPEC__', options.sluice ?? `^${version}`);

  const files: Record<string, string> = {
    'src/index.ts': plugin,
    [`test/${name}.test.ts`]: test,
    '.gitignore': readFileSync(join(templates, 'package/gitignore'), 'utf8'),
  };
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md']) {
    files[file] = fill(readFileSync(join(templates, 'package', file), 'utf8'));
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

export function newCommand(kind: NewKind, name: string, options: NewOptions): number {
  try {
    const dir = scaffoldPlugin(kind, name, options);
    const shown = relative(process.cwd(), dir) || '.';
    process.stdout.write(
      `created the ${kind} plugin "${name}" in ${shown}\n\nnext:\n  cd ${shown}\n  npm install\n  npm test\n\n` +
        `then name it in a pipeline file: plugins: [${shown.startsWith('.') ? shown : `./${shown}`}/src/index.ts]\n`,
    );
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}
