// A parsed pipeline file that can say where any value or key sits in its text.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { ConfigIssue, ConfigPath } from './issues.js';

export class YamlFile {
  readonly display: string;
  readonly value: unknown;
  readonly parseIssues: ConfigIssue[] = [];
  private readonly lines = new LineCounter();
  private readonly doc;

  constructor(
    readonly path: string,
    text: string | undefined = undefined,
  ) {
    const rel = relative(process.cwd(), path);
    this.display = rel && !rel.startsWith('..') ? rel : path;
    this.doc = parseDocument(text ?? readFileSync(path, 'utf8'), {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    for (const err of this.doc.errors) {
      const { line, col } = this.lines.linePos(err.pos[0]);
      this.parseIssues.push({
        file: this.display,
        line,
        col,
        path: [],
        message: `YAML: ${err.message.split('\n')[0]}`,
      });
    }
    this.value = this.parseIssues.length === 0 ? this.doc.toJS({ maxAliasCount: 100 }) : undefined;
  }

  /** Line and column of the value at `path`, or of its nearest existing parent. */
  locate(path: ConfigPath): { line: number; col: number } {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (node?.range) return this.position(node.range[0]);
    }
    return { line: 1, col: 1 };
  }

  /** Line and column of the key `key` in the mapping at `path`. */
  locateKey(path: ConfigPath, key: string): { line: number; col: number } {
    const map = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (isMap(map)) {
      for (const pair of map.items) {
        if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range)
          return this.position(pair.key.range[0]);
      }
    }
    return this.locate(path);
  }

  issueAt(path: ConfigPath, message: string, hint?: string, key?: string): ConfigIssue {
    const { line, col } = key === undefined ? this.locate(path) : this.locateKey(path, key);
    return { file: this.display, line, col, path: key === undefined ? path : [...path, key], message, hint };
  }

  private position(offset: number): { line: number; col: number } {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }
}
