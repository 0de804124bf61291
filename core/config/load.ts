// Loads pipeline files: parse, interpolate, load plugin modules, validate every key against its schema, and
// turn the result into pipeline specs. Every problem is collected with its file, line and column; nothing
// starts unless there are none.
import { readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { toSluiceError } from '../errors.js';
import type { Plugin, PluginKind, ProcessorPlugin, SinkPlugin, SourcePlugin } from '../plugin.js';
import type { RetryPolicy } from '../queue/retry-policy.js';
import { type PluginEntry, PluginRegistry } from '../registry.js';
import type { TopicSpec } from '../storage/storage.js';
import { runComponentChecks } from './component-checks.js';
import { interpolate } from './interpolate.js';
import { type ConfigIssue, ConfigIssues, type ConfigPath, formatPath } from './issues.js';
import { loadPluginModule } from './load-plugins.js';
import type { ComponentSpec, LoadedConfig, PipelineSpec, RedisSettings, SinkSpec } from './pipeline-spec.js';
import { Redactor } from './redactor.js';
import {
  type BatchConfig,
  type FileConfig,
  fileSchema,
  type PipelineConfig,
  SINK_COMMON_KEYS,
  sinkCommonSchema,
  topicSchema,
} from './schema.js';
import { didYouMean, suggest } from './suggest.js';
import { YamlFile } from './yaml-file.js';
import { declaredKeys, findSecrets, findUnknownKeys } from './zod-walk.js';

export interface LoadOptions {
  /** Variables for ${VAR} (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Built-in plugins (the catalog's entries are imported only when a file names them). */
  builtins: readonly PluginEntry[];
  /** `--redis` from the command line: wins over the files. */
  redisOverride?: string;
  /** Also run the plugins' connection checks (`validate --connect`). Default false. */
  connect?: boolean;
  /** Pipeline files given as text rather than read from disk (from code); `path` names them in messages. */
  documents?: ReadonlyArray<{ path: string; text: string }>;
}

/** The pipeline files named by paths: files as given, folders by their *.yaml / *.yml files. */
export function expandPaths(paths: readonly string[]): { files: string[]; issues: ConfigIssue[] } {
  const files: string[] = [];
  const issues: ConfigIssue[] = [];
  for (const p of paths) {
    const full = resolve(p);
    let isDir: boolean;
    try {
      isDir = statSync(full).isDirectory();
    } catch {
      issues.push({ file: p, line: 0, col: 0, path: [], message: `pipeline file ${p} does not exist` });
      continue;
    }
    if (!isDir) {
      files.push(full);
      continue;
    }
    const found = readdirSync(full)
      .filter((f) => ['.yaml', '.yml'].includes(extname(f)))
      .sort()
      .map((f) => join(full, f));
    if (found.length === 0)
      issues.push({ file: p, line: 0, col: 0, path: [], message: `folder ${p} has no .yaml or .yml files` });
    files.push(...found);
  }
  return { files, issues };
}

interface ParsedFile {
  yaml: YamlFile;
  config: FileConfig;
  coerced: Map<string, string>;
  referenced: Set<string>;
}

export async function loadConfig(paths: readonly string[], options: LoadOptions): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const redactor = new Redactor();
  const registry = new PluginRegistry(options.builtins);

  const expanded = expandPaths(paths);
  issues.push(...expanded.issues);
  const parsed: ParsedFile[] = [];
  const sources = [
    ...expanded.files.map((path) => ({ path, text: undefined })),
    ...(options.documents ?? []).map((d) => ({ path: resolve(d.path), text: d.text })),
  ];
  for (const { path, text } of sources) {
    const yaml = new YamlFile(path, text);
    issues.push(...yaml.parseIssues);
    if (yaml.parseIssues.length > 0) continue;
    const interpolated = interpolate(yaml.value ?? {}, { env, baseDir: dirname(path) });
    for (const p of interpolated.problems) issues.push(yaml.issueAt(p.path, p.message, p.hint));
    for (const v of interpolated.fromFiles) redactor.add(v);
    const config = validateAgainst(
      fileSchema,
      interpolated.value,
      { yaml, base: [], label: 'pipeline file', coerced: interpolated.coerced },
      issues,
    );
    if (config) {
      parsed.push({
        yaml,
        config: config as FileConfig,
        coerced: interpolated.coerced,
        referenced: interpolated.referenced,
      });
    }
  }
  if (issues.length > 0) throw new ConfigIssues(issues);

  for (const { yaml, config } of parsed) {
    for (const [i, specifier] of config.plugins.entries()) {
      try {
        for (const plugin of await loadPluginModule(specifier, dirname(yaml.path))) registry.add(plugin, specifier);
      } catch (err) {
        issues.push(yaml.issueAt(['plugins', i], toSluiceError(err).message));
      }
    }
  }
  if (issues.length > 0) throw new ConfigIssues(issues);
  for (const { yaml, config } of parsed) {
    for (const { kind, type, path } of componentTypes(config)) {
      try {
        await registry.load(kind, type);
      } catch (err) {
        issues.push(yaml.issueAt([...path, 'type'], toSluiceError(err).message));
      }
    }
  }
  if (issues.length > 0) throw new ConfigIssues(issues);

  const redis = mergeRedis(parsed, options.redisOverride, redactor, issues);
  const topics = new Map<string, TopicSpec>();
  const maxLag = new Map<string, number>();
  const staleAfter = new Map<string, number>();
  const topicOrigin = new Map<string, string>();
  const queryDecoders = new Map<string, ComponentSpec<ProcessorPlugin>[]>();
  for (const file of parsed) {
    const { yaml, config } = file;
    for (const [name, t] of Object.entries(config.topics)) {
      const decode = t.decode
        .map((raw, i) =>
          buildComponent<ProcessorPlugin>(
            'processor',
            raw,
            ['topics', name, 'decode', i],
            file,
            registry,
            redactor,
            issues,
          ),
        )
        .filter((c): c is ComponentSpec<ProcessorPlugin> => c !== undefined);
      if (decode.length > 0) queryDecoders.set(name, decode);
      if (topics.has(name)) {
        issues.push(
          yaml.issueAt(
            ['topics', name],
            `topic "${name}" is also declared in ${topicOrigin.get(name)}`,
            'declare each topic once',
          ),
        );
        continue;
      }
      topics.set(name, toTopicSpec(name, t));
      if (t.maxLag !== undefined) maxLag.set(name, t.maxLag);
      staleAfter.set(name, t.retention.staleAfter);
      topicOrigin.set(name, yaml.display);
    }
  }

  const pipelines: PipelineSpec[] = [];
  const pipelineOrigin = new Map<string, string>();
  for (const file of parsed) {
    for (const [name, p] of Object.entries(file.config.pipelines)) {
      if (pipelineOrigin.has(name)) {
        issues.push(
          file.yaml.issueAt(
            ['pipelines', name],
            `pipeline "${name}" is also declared in ${pipelineOrigin.get(name)}`,
            'pipeline names must be unique across files',
          ),
        );
        continue;
      }
      pipelineOrigin.set(name, file.yaml.display);
      const spec = buildPipeline(name, p, file, registry, redactor, issues);
      if (spec) pipelines.push(spec);
    }
  }
  if (pipelines.length === 0 && issues.length === 0) {
    const first = parsed[0]?.yaml;
    issues.push({
      file: first?.display ?? paths.join(', '),
      line: 1,
      col: 1,
      path: ['pipelines'],
      message: 'no pipelines are declared',
      hint: 'add a `pipelines:` section; see templates/pipelines/quickstart.yaml',
    });
  }
  const warnings = unwrittenTopics(pipelines, topics, parsed);
  for (const p of pipelines) {
    for (const t of [p.topic, p.deadLetterTopic, ...(p.query ? [p.query.input] : [])]) {
      if (topics.has(t)) continue;
      const defaults = topicSchema.parse({});
      topics.set(t, toTopicSpec(t, defaults));
      staleAfter.set(t, defaults.retention.staleAfter);
    }
  }
  if (issues.length === 0) {
    const files = new Map(parsed.map((f) => [f.yaml.display, f.yaml]));
    const connect = options.connect ?? false;
    issues.push(...(await runComponentChecks(pipelines, files, { connect, connectTimeoutMs: 10_000 })));
  }
  if (issues.length > 0) throw new ConfigIssues(issues);
  return {
    files: expanded.files,
    redis,
    topics,
    maxLag,
    staleAfter,
    pipelines,
    queryDecoders,
    registry,
    redactor,
    warnings,
  };
}

/** Every component a file names, so the plugins behind them are loaded before validation needs their schemas. */
function componentTypes(config: FileConfig): Array<{ kind: PluginKind; type: string; path: ConfigPath }> {
  const found: Array<{ kind: PluginKind; type: string; path: ConfigPath }> = [];
  const add = (kind: PluginKind, list: readonly unknown[], path: ConfigPath) => {
    for (const [i, raw] of list.entries()) {
      const type = (raw as { type?: unknown } | null)?.type;
      if (typeof type === 'string') found.push({ kind, type, path: [...path, i] });
    }
  };
  for (const [name, t] of Object.entries(config.topics)) add('processor', t.decode, ['topics', name, 'decode']);
  for (const [name, p] of Object.entries(config.pipelines)) {
    const base: ConfigPath = ['pipelines', name];
    if (p.source && typeof p.source.type === 'string')
      found.push({ kind: 'source', type: p.source.type, path: [...base, 'source'] });
    add('processor', p.processors, [...base, 'processors']);
    add('sink', p.sinks, [...base, 'sinks']);
    for (const [i, sink] of p.sinks.entries())
      if (Array.isArray(sink.processors)) add('processor', sink.processors, [...base, 'sinks', i, 'processors']);
  }
  return found;
}

/**
 * Subscriptions to a topic that no pipeline writes, no pipeline dead-letters to, and no `topics:` entry declares:
 * most often a typo in `topic:`. Declaring the topic says it is written from outside (another deployment).
 */
function unwrittenTopics(
  pipelines: readonly PipelineSpec[],
  declared: ReadonlyMap<string, TopicSpec>,
  parsed: readonly ParsedFile[],
): ConfigIssue[] {
  // A source or a continuous query writes its pipeline's topic; every pipeline writes its dead-letter topic.
  const written = new Set(
    pipelines.flatMap((p) => (p.source || p.query ? [p.topic, p.deadLetterTopic] : [p.deadLetterTopic])),
  );
  const yamlOf = new Map(parsed.map((f) => [f.yaml.display, f.yaml]));
  const warnings: ConfigIssue[] = [];
  for (const p of pipelines) {
    if (p.source || p.query || written.has(p.topic) || declared.has(p.topic)) continue;
    const yaml = yamlOf.get(p.file);
    if (!yaml) continue;
    const writers = [...written];
    warnings.push(
      yaml.issueAt(
        ['pipelines', p.name, 'topic'],
        `pipeline "${p.name}" subscribes to topic "${p.topic}", which no pipeline writes and no \`topics:\` entry declares`,
        didYouMean(p.topic, writers) ??
          'check the name; if another deployment writes it, declare it under `topics:` to say so',
      ),
    );
  }
  return warnings;
}

function toTopicSpec(name: string, t: z.output<typeof topicSchema>): TopicSpec {
  return {
    name,
    partitions: t.partitions,
    retention: { maxEvents: t.retention.maxEvents, maxAgeMs: t.retention.maxAge, allowLoss: t.retention.allowLoss },
  };
}

function mergeRedis(
  parsed: ParsedFile[],
  override: string | undefined,
  redactor: Redactor,
  issues: ConfigIssue[],
): RedisSettings | undefined {
  let settings: RedisSettings | undefined;
  let origin: YamlFile | undefined;
  const candidates: Array<{ value: FileConfig['redis']; yaml?: YamlFile }> = parsed.map((p) => ({
    value: p.config.redis,
    yaml: p.yaml,
  }));
  if (override !== undefined) candidates.unshift({ value: override });
  for (const { value, yaml } of candidates) {
    if (value === undefined) continue;
    const s: RedisSettings | undefined =
      typeof value === 'string'
        ? value.trim() === ''
          ? undefined
          : { url: value.trim(), prefix: 'sluice', cluster: false, memoryLimit: 0.9 }
        : value;
    if (!s) continue;
    if (settings && yaml && origin && (s.url !== settings.url || s.prefix !== settings.prefix)) {
      issues.push(
        yaml.issueAt(
          ['redis'],
          `redis differs from the one in ${origin.display}`,
          'use one Redis for all files of a run',
        ),
      );
      continue;
    }
    if (!settings) {
      settings = s;
      origin = yaml;
    }
  }
  if (settings) {
    try {
      const password = new URL(settings.url).password;
      if (password) redactor.add(decodeURIComponent(password));
    } catch {
      // Not echoed: an unparsable URL may still hold a password.
      const message = 'redis is not a URL';
      const hint = 'write it as redis://[user:password@]host:port[/db]';
      issues.push(
        origin
          ? origin.issueAt(['redis'], message, hint)
          : { file: '--redis', line: 0, col: 0, path: ['redis'], message, hint },
      );
    }
  }
  return settings;
}

/** Where a value sits, for the issues found in it. */
interface Place {
  yaml: YamlFile;
  /** Path of the value in the file. */
  base: ConfigPath;
  /** "pipeline file", or "pipelines.gps.sinks[0] (http)". */
  label: string;
  coerced: Map<string, string>;
  /** Keys accepted at the top of the value besides the schema's own (the keys every sink has). */
  alsoKnown?: readonly string[];
}

/**
 * Validates `value` against `schema`, reporting unknown keys with suggestions and every other problem once.
 * A required key that is missing because it was misspelled (`tpye:`) is reported as the unknown key only.
 */
function validateAgainst(schema: z.ZodType, value: unknown, place: Place, issues: ConfigIssue[]): unknown {
  const { yaml, base, label, coerced } = place;
  const before = issues.length;
  const reported = new Set<string>();
  const report = (issue: ConfigIssue) => {
    const id = `${issue.line}:${issue.col}:${issue.message}`;
    if (reported.has(id)) return;
    reported.add(id);
    issues.push(issue);
  };
  const misspelt = new Map<string, string>();
  for (const u of findUnknownKeys(schema, value)) {
    const known = u.path.length === 0 && place.alsoKnown ? [...u.known, ...place.alsoKnown] : u.known;
    const where = u.path.length === 0 ? label : `${label} at ${formatPath(u.path)}`;
    const suggestion = suggest(u.key, known);
    if (suggestion !== undefined) misspelt.set(JSON.stringify([...u.path, suggestion]), u.key);
    report(
      yaml.issueAt(
        [...base, ...u.path],
        `unknown key "${u.key}" in ${where}`,
        suggestion !== undefined ? `did you mean "${suggestion}"?` : `known keys: ${known.join(', ')}`,
        u.key,
      ),
    );
  }
  let result = schema.safeParse(value);
  if (!result.success) {
    // `port: ${PORT}` became a number; where the schema wants text, give it back its text.
    let retried = false;
    for (const issue of result.error.issues) {
      const full = JSON.stringify([...base, ...issue.path]);
      if (issue.code === 'invalid_type' && issue.expected === 'string' && coerced.has(full)) {
        setIn(value, issue.path as ConfigPath, coerced.get(full));
        retried = true;
      }
    }
    if (retried) result = schema.safeParse(value);
  }
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') continue;
      const path = issue.path as ConfigPath;
      const missing = missingKey(value, path);
      if (missing) {
        const key = String(path[path.length - 1]);
        const parent = path.slice(0, -1);
        const where = parent.length === 0 ? label : `${label} at ${formatPath(parent)}`;
        const typo = typoFor(value, parent, key, misspelt);
        if (typo === 'reported') continue;
        if (typo !== undefined) {
          report(
            yaml.issueAt([...base, ...parent], `unknown key "${typo}" in ${where}`, `did you mean "${key}"?`, typo),
          );
          continue;
        }
        report(yaml.issueAt([...base, ...parent], `missing key "${key}" in ${where}: ${describeExpected(issue)}`));
        continue;
      }
      if (issue.code === 'invalid_key' && path.length > 0) {
        const name = String(path[path.length - 1]);
        const reason = issue.issues[0]?.message ?? issue.message;
        report(
          yaml.issueAt(
            [...base, ...path.slice(0, -1)],
            `invalid name "${name}" in ${label}: ${reason}`,
            undefined,
            name,
          ),
        );
        continue;
      }
      const field = path.length > 0 ? `"${formatPath(path)}"` : 'the value';
      const message = issue.message.replace(/^Invalid input: /, '');
      report(yaml.issueAt([...base, ...path], `invalid ${field} in ${label}: ${message}`));
    }
  }
  return issues.length === before && result.success ? result.data : undefined;
}

/** True when the issue is about a key that the object at its parent path does not have at all. */
function missingKey(value: unknown, path: ConfigPath): boolean {
  if (path.length === 0) return false;
  const parent = getIn(value, path.slice(0, -1));
  return (
    parent !== null &&
    typeof parent === 'object' &&
    !Array.isArray(parent) &&
    !Object.hasOwn(parent, path[path.length - 1] as string)
  );
}

/**
 * The key that stands where `key` is missing, when it looks like a typo of it: `'reported'` when the unknown-key
 * walk already named it, the key itself when the object is open (a component's plugin keys) and nothing did.
 */
function typoFor(
  value: unknown,
  parent: ConfigPath,
  key: string,
  misspelt: Map<string, string>,
): string | 'reported' | undefined {
  if (misspelt.has(JSON.stringify([...parent, key]))) return 'reported';
  const object = getIn(value, parent) as Record<string, unknown>;
  return Object.keys(object).find((k) => suggest(k, [key]) === key);
}

function describeExpected(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_type' ? `add it (${issue.expected})` : 'add it';
}

function getIn(target: unknown, path: ConfigPath): unknown {
  let cur = target;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, p)) return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function setIn(target: unknown, path: ConfigPath, v: unknown): void {
  let cur = target as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  if (path.length > 0) cur[path[path.length - 1]] = v;
}

function buildComponent<P extends Plugin>(
  kind: PluginKind,
  raw: Record<string, unknown>,
  path: ConfigPath,
  file: ParsedFile,
  registry: PluginRegistry,
  redactor: Redactor,
  issues: ConfigIssue[],
  commonKeys: readonly string[] = [],
): ComponentSpec<P> | undefined {
  const { yaml } = file;
  const label = `${formatPath(path)} (${String(raw.type)})`;
  const plugin = registry.get(kind, raw.type as string) as P | undefined;
  if (!plugin) {
    const names = registry.names(kind);
    issues.push(
      yaml.issueAt(
        [...path, 'type'],
        `unknown ${kind} type "${String(raw.type)}" in ${formatPath(path)}`,
        didYouMean(String(raw.type), names) ?? `available: ${names.join(', ')}`,
      ),
    );
    return undefined;
  }
  const clash = declaredKeys(plugin.config).filter((k) => commonKeys.includes(k));
  if (clash.length > 0) {
    issues.push(
      yaml.issueAt(
        path,
        `${kind} plugin "${plugin.name}" declares ${clash.map((k) => `"${k}"`).join(', ')}, which every ${kind} already has`,
        'rename the key in the plugin',
      ),
    );
    return undefined;
  }
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (k !== 'type' && !commonKeys.includes(k)) own[k] = v;
  const before = issues.length;
  const config = validateAgainst(
    plugin.config,
    own,
    { yaml, base: path, label, coerced: file.coerced, alsoKnown: commonKeys },
    issues,
  );
  if (issues.length > before) return undefined;
  for (const s of findSecrets(plugin.config, own)) {
    redactor.add(s.value);
    if (s.referenceOnly && !file.referenced.has(JSON.stringify([...path, ...s.path]))) {
      issues.push(
        yaml.issueAt(
          [...path, ...s.path],
          `"${formatPath(s.path)}" in ${label} is written in the file`,
          'give it as ${NAME} or ${file:path} so that it never sits in a pipeline file',
        ),
      );
    }
  }
  if (issues.length > before) return undefined;
  return { plugin, config, label, path, file: yaml.display };
}

function buildPipeline(
  name: string,
  p: PipelineConfig,
  file: ParsedFile,
  registry: PluginRegistry,
  redactor: Redactor,
  issues: ConfigIssue[],
): PipelineSpec | undefined {
  const { yaml } = file;
  const base: ConfigPath = ['pipelines', name];
  const before = issues.length;
  if (!p.source && !p.topic) {
    issues.push(
      yaml.issueAt(
        base,
        `pipeline "${name}" has neither a source nor a topic`,
        'add a `source:` to bring events in, or a `topic:` to subscribe to',
      ),
    );
  }
  if (p.source && !p.topic && p.sinks.length === 0) {
    issues.push(
      yaml.issueAt(
        base,
        `pipeline "${name}" has a source but nowhere to put its events`,
        'add a `topic:` to store them, or `sinks:` to deliver them',
      ),
    );
  }
  if (p.query && p.source) {
    issues.push(
      yaml.issueAt(
        [...base, 'query'],
        `pipeline "${name}" has both a source and a query`,
        'a query reads a stored topic: put the source in a pipeline of its own that writes that topic',
      ),
    );
  }
  if (p.query && !p.topic) {
    issues.push(
      yaml.issueAt([...base, 'query'], `the query of pipeline "${name}" has no topic to read`, 'add `topic:`'),
    );
  }
  if (!p.source && !p.query && p.topic && p.sinks.length === 0) {
    issues.push(
      yaml.issueAt(base, `pipeline "${name}" subscribes to topic "${p.topic}" but has no sinks`, 'add `sinks:`'),
    );
  }
  const source = p.source
    ? buildComponent<SourcePlugin>('source', p.source, [...base, 'source'], file, registry, redactor, issues)
    : undefined;
  const processors = p.processors
    .map((raw, i) =>
      buildComponent<ProcessorPlugin>('processor', raw, [...base, 'processors', i], file, registry, redactor, issues),
    )
    .filter((c): c is ComponentSpec<ProcessorPlugin> => c !== undefined);
  const sinks: SinkSpec[] = [];
  const subscriptionNames = new Set<string>();
  p.sinks.forEach((raw, index) => {
    const path: ConfigPath = [...base, 'sinks', index];
    const component = buildComponent<SinkPlugin>('sink', raw, path, file, registry, redactor, issues, SINK_COMMON_KEYS);
    const commonRaw = Object.fromEntries(Object.entries(raw).filter(([k]) => SINK_COMMON_KEYS.includes(k)));
    const common = validateAgainst(
      sinkCommonSchema,
      commonRaw,
      { yaml, base: path, label: `${formatPath(path)} (${raw.type})`, coerced: file.coerced },
      issues,
    ) as SinkSpec['common'] | undefined;
    if (!component || !common) return;
    const sinkName = common.name ?? `${raw.type}-${index}`;
    if (subscriptionNames.has(sinkName)) {
      issues.push(
        yaml.issueAt(
          [...path, 'name'],
          `two sinks of pipeline "${name}" are named "${sinkName}"`,
          'give each sink a unique `name:`',
        ),
      );
      return;
    }
    subscriptionNames.add(sinkName);
    const own = common.processors
      .map((r, i) =>
        buildComponent<ProcessorPlugin>('processor', r, [...path, 'processors', i], file, registry, redactor, issues),
      )
      .filter((c): c is ComponentSpec<ProcessorPlugin> => c !== undefined);
    sinks.push({
      ...component,
      index,
      common,
      subscription: `${name}.${sinkName}`,
      // Without a source, the pipeline's processors run on the way to every sink.
      processors: p.source ? own : [...processors, ...own],
      batch: (common.batch ?? p.batch) as BatchConfig,
      retry: (common.retry ?? p.retry) as RetryPolicy,
    });
  });
  if (issues.length > before) return undefined;
  return {
    name,
    file: yaml.display,
    baseDir: dirname(yaml.path),
    source,
    inbound: p.source ? processors : [],
    topic: p.query ? p.query.output : (p.topic ?? name),
    sinks,
    deadLetterTopic: p.deadLetterTopic ?? `${name}.dlq`,
    query: p.query && p.topic ? { ...p.query, input: p.topic } : undefined,
  };
}
