// A configuration problem with the place it was found, and the error that carries all problems of a load.
import { ConfigError } from '../errors.js';

export type ConfigPath = ReadonlyArray<string | number>;

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  path: ConfigPath;
  message: string;
  /** "did you mean …" and similar advice. */
  hint?: string;
}

/** `pipelines.gps.sinks[0].url` */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out || '(top level)';
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return `${issue.message} at ${where}${issue.hint ? ` — ${issue.hint}` : ''}`;
}

export class ConfigIssues extends ConfigError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'), { code: 'E_CONFIG_INVALID' });
    this.issues = issues;
  }
}
