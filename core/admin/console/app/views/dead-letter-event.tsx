// How an event is shown wherever the console shows one (a dead letter, a tapped event): its key, its value and its
// headers, as text only. Bytes arrive as { "$bytes": base64 } (the JSON form of stored events) and are shown as a
// length and a hex dump, never decoded into the page; text is shown with its control characters made visible.
import type { JSX } from 'preact';

const HEX_BYTES = 256;

export interface ShownEvent {
  key: string | null;
  value: unknown;
  ts?: number;
  headers?: Record<string, string>;
}

function bytesOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  return entries.length === 1 && entries[0][0] === '$bytes' && typeof entries[0][1] === 'string'
    ? entries[0][1]
    : undefined;
}

/** Control characters (but line breaks and tabs) as \u escapes, so that nothing invisible hides in the text. */
export function visibleText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function hexDump(base64: string): { lines: string; length: number } {
  const raw = atob(base64);
  const rows: string[] = [];
  for (let at = 0; at < Math.min(raw.length, HEX_BYTES); at += 16) {
    const chunk = raw.slice(at, at + 16);
    const hex = [...chunk].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((c) => (c >= ' ' && c <= '~' ? c : '.')).join('');
    rows.push(`${at.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return { lines: rows.join('\n'), length: raw.length };
}

/** A one-line preview of a value for a table cell. */
export function valuePreview(value: unknown, max = 80): string {
  const bytes = bytesOf(value);
  const text =
    bytes !== undefined
      ? `binary, ${hexDump(bytes).length} bytes`
      : typeof value === 'string'
        ? visibleText(value)
        : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function EventValue(props: { value: unknown }): JSX.Element {
  const bytes = bytesOf(props.value);
  if (bytes !== undefined) {
    const { lines, length } = hexDump(bytes);
    return (
      <div>
        <p class="muted">
          Binary, {length} bytes{length > HEX_BYTES ? ` (the first ${HEX_BYTES} shown)` : ''}
        </p>
        <pre class="event-value">{lines}</pre>
      </div>
    );
  }
  const text = typeof props.value === 'string' ? visibleText(props.value) : JSON.stringify(props.value, null, 2);
  return <pre class="event-value">{text}</pre>;
}

export function EventHeaders(props: { headers: Record<string, string> }): JSX.Element {
  const names = Object.keys(props.headers).sort();
  if (names.length === 0) return <p class="muted">No headers.</p>;
  return (
    <dl class="event-headers">
      {names.map((name) => (
        <div key={name}>
          <dt>{visibleText(name)}</dt>
          <dd>{visibleText(props.headers[name])}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Key, value and headers of one event. */
export function EventDetails(props: { event: ShownEvent }): JSX.Element {
  const { key, value, headers } = props.event;
  return (
    <div class="event-details">
      <h3>Key</h3>
      {key === null ? <p class="muted">No key.</p> : <pre class="event-value">{visibleText(key)}</pre>}
      <h3>Value</h3>
      <EventValue value={value} />
      <h3>Headers</h3>
      <EventHeaders headers={headers ?? {}} />
    </div>
  );
}
