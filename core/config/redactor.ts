// Keeps the secret values of a loaded configuration and removes them from anything about to be printed:
// logs, errors, status output. A secret is any value in a field marked secret(), and anything read through
// ${file:...}.

const MASK = '***';
// Very short values would mask ordinary words in messages; they are still kept out of structured output.
const MIN_TEXT_SECRET = 4;

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    this.secrets.add(value);
    this.pattern = undefined;
  }

  /** Also redacts every secret `other` keeps (a reloaded configuration's, for a logger made with this one). */
  addAll(other: Redactor): void {
    for (const s of other.secrets) this.add(s);
  }

  has(value: string): boolean {
    return this.secrets.has(value);
  }

  /** The text with every secret replaced by `***`. */
  text(input: string): string {
    if (this.secrets.size === 0) return input;
    this.pattern ??= new RegExp(
      [...this.secrets]
        .filter((s) => s.length >= MIN_TEXT_SECRET)
        .sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|') || '(?!)',
      'g',
    );
    return input.replace(this.pattern, MASK);
  }

  /** A deep copy with secret strings masked, for structured output. */
  value<T>(input: T): T {
    return this.walk(input, new WeakSet()) as T;
  }

  private walk(input: unknown, seen: WeakSet<object>): unknown {
    if (typeof input === 'string') return this.secrets.has(input) ? MASK : this.text(input);
    if (input === null || typeof input !== 'object') return input;
    if (seen.has(input)) return input;
    seen.add(input);
    if (input instanceof Error) {
      const out: Record<string, unknown> = { name: input.name, message: this.text(input.message) };
      for (const [k, v] of Object.entries(input)) out[k] = this.walk(v, seen);
      if (input.stack) out.stack = this.text(input.stack);
      return out;
    }
    if (Array.isArray(input)) return input.map((v) => this.walk(v, seen));
    if (input instanceof Uint8Array) return input;
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, this.walk(v, seen)]));
  }
}
