// A parsed pipeline file that can say where any value or key sits in its text. Hostile YAML (alias bombs,
// aliases inside their own anchor, absurd nesting) becomes a parse issue with a position, never a crash.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  type Alias,
  Document,
  isCollection,
  isMap,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import type { ConfigIssue, ConfigPath } from './issues.js';

export class YamlFile {
  readonly display: string;
  readonly value: unknown;
  readonly parseIssues: ConfigIssue[] = [];
  private readonly lines = new LineCounter();
  private readonly doc: Document;

  constructor(
    readonly path: string,
    text: string | undefined = undefined,
  ) {
    const rel = relative(process.cwd(), path);
    this.display = rel && !rel.startsWith('..') ? rel : path;
    this.doc = this.parse(text ?? readFileSync(path, 'utf8'));
    if (this.parseIssues.length === 0) this.parseIssues.push(...this.aliasIssues());
    this.value = this.parseIssues.length === 0 ? this.toValue() : undefined;
  }

  private parse(text: string): Document {
    try {
      const doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
      // Nested unclosed flows make the parser repeat an error at one place: each is said once.
      const said = new Set<string>();
      for (const err of doc.errors) {
        const message = `YAML: ${err.message.split('\n')[0]}`;
        if (said.has(`${err.pos[0]} ${message}`)) continue;
        said.add(`${err.pos[0]} ${message}`);
        this.parseIssues.push(this.issueAtOffset(err.pos[0], message));
      }
      return doc;
    } catch (err) {
      // The parser recurses per nesting level; thousands of levels exhaust the stack.
      this.parseIssues.push(this.issueAtOffset(0, `YAML: the file cannot be parsed (${(err as Error).message})`));
      return new Document();
    }
  }

  /**
   * Aliases without an anchor, aliases inside the very value their anchor names (an endless value), the key
   * `__proto__`, which a JavaScript object cannot hold as data (it would vanish or replace the prototype), and a
   * list or mapping used as a key (`? [a]`), which an object can hold only as a string nobody wrote.
   */
  private aliasIssues(): ConfigIssue[] {
    const out: ConfigIssue[] = [];
    visit(this.doc, {
      Pair: (_key, pair) => {
        if (isScalar(pair.key) && pair.key.value === '__proto__')
          out.push(this.issueAtOffset(pair.key.range?.[0] ?? 0, 'key "__proto__" is not allowed in a pipeline file'));
        if (isCollection(pair.key))
          out.push(
            this.issueAtOffset(
              pair.key.range?.[0] ?? 0,
              'YAML: a key must be a plain value such as a name, not a list or a mapping',
              'write the key as a name; a list or mapping belongs on the value side of the colon',
            ),
          );
      },
      Alias: (_key, node: Alias) => {
        const at = node.range?.[0] ?? 0;
        const target = node.resolve(this.doc);
        if (!target)
          out.push(this.issueAtOffset(at, `YAML: alias *${node.source} has no anchor &${node.source} before it`));
        else if (target.range && at >= target.range[0] && at < target.range[2])
          out.push(
            this.issueAtOffset(
              at,
              `YAML: alias *${node.source} sits inside the value of its own anchor, which makes it endless`,
            ),
          );
      },
    });
    return out;
  }

  private toValue(): unknown {
    try {
      const value = this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      const depth = nestingDepth(value);
      if (depth > MAX_DEPTH) {
        this.parseIssues.push(
          this.issueAtOffset(
            0,
            `YAML: values are nested ${depth} levels deep; a pipeline file may nest at most ${MAX_DEPTH}`,
          ),
        );
        return undefined;
      }
      return value;
    } catch (err) {
      const firstAlias = this.firstAliasOffset();
      const reason = /alias/i.test((err as Error).message)
        ? `aliases expand to more than ${MAX_ALIAS_COUNT} copies of their anchors`
        : (err as Error).message;
      this.parseIssues.push(
        this.issueAtOffset(firstAlias, `YAML: ${reason}`, 'write the values out, or use fewer aliases'),
      );
      return undefined;
    }
  }

  private firstAliasOffset(): number {
    let offset = 0;
    visit(this.doc, {
      Alias: (_key, node) => {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    return offset;
  }

  private issueAtOffset(offset: number, message: string, hint?: string): ConfigIssue {
    const { line, col } = this.position(offset);
    return { file: this.display, line: Math.max(line, 1), col: Math.max(col, 1), path: [], message, hint };
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

const MAX_ALIAS_COUNT = 100;
const MAX_DEPTH = 64;

/** How deeply arrays and objects nest in `value`, without recursion so that depth itself cannot overflow. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, d + 1);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}
