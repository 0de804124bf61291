// Runs the plugins' own start-up checks (`check`, and `checkConnection` when asked) on every component of the
// loaded pipelines, and turns what they find into issues at the offending key. A check that throws is a
// problem of its component, not a crash of the loader.
import { errorKind, toSluiceError } from '../errors.js';
import type { ConfigProblem, Plugin } from '../plugin.js';
import type { ConfigIssue } from './issues.js';
import type { ComponentSpec, PipelineSpec } from './pipeline-spec.js';
import type { YamlFile } from './yaml-file.js';

export interface CheckOptions {
  /** Also run the checks that need a connection. */
  connect: boolean;
  /** Longest a connection check may take. */
  connectTimeoutMs: number;
}

/** Each component once: without a source, the pipeline's processors are shared by every sink. */
function componentsOf(pipelines: readonly PipelineSpec[]): ComponentSpec<Plugin>[] {
  const seen = new Set<ComponentSpec<Plugin>>();
  for (const p of pipelines) {
    if (p.source) seen.add(p.source);
    for (const c of p.inbound) seen.add(c);
    for (const sink of p.sinks) {
      seen.add(sink);
      for (const c of sink.processors) seen.add(c);
    }
  }
  return [...seen];
}

export async function runComponentChecks(
  pipelines: readonly PipelineSpec[],
  files: ReadonlyMap<string, YamlFile>,
  options: CheckOptions,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const pipeline of pipelines) {
    for (const component of componentsOf([pipeline])) {
      const yaml = files.get(component.file);
      if (!yaml) continue;
      const ctx = { pipeline: pipeline.name, component: component.label, baseDir: pipeline.baseDir };
      const report = (problems: ConfigProblem[] | undefined) => {
        for (const p of problems ?? [])
          issues.push(yaml.issueAt([...component.path, ...p.path], `${component.label}: ${p.message}`, p.hint));
      };
      const { plugin, config } = component;
      try {
        if (plugin.check) report(await plugin.check(config, ctx));
        if (options.connect && plugin.checkConnection) {
          const signal = AbortSignal.timeout(options.connectTimeoutMs);
          report(await plugin.checkConnection(config, { ...ctx, signal }));
        }
      } catch (err) {
        const e = toSluiceError(err);
        const what = errorKind(err) === 'retryable' ? 'could not be reached' : 'failed its check';
        issues.push(yaml.issueAt(component.path, `${component.label} ${what}: ${e.message}`));
      }
    }
  }
  return issues;
}
