// The query view: SQL over the stored topics (POST /query), its rows as a table. Ctrl+Enter runs the statement;
// a failed statement shows the engine's own message. The statement stays in this tab across views.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { visibleText } from './dead-letter-event';
import './dead-letters.css';

const SQL_KEY = 'sluice.console.sql';
/** Rows drawn at most; the count says how many came back. */
const SHOWN_ROWS = 1000;

type Row = Record<string, unknown>;

interface Result {
  rows: Row[];
  columns: string[];
  ms: number;
}

function columnsOf(rows: readonly Row[]): string[] {
  const columns = new Set<string>();
  for (const row of rows.slice(0, SHOWN_ROWS)) for (const name of Object.keys(row)) columns.add(name);
  return [...columns];
}

function Cell(props: { value: unknown }): JSX.Element {
  const { value } = props;
  if (value === null || value === undefined) return <td class="muted">null</td>;
  if (typeof value === 'number') return <td class="num">{String(value)}</td>;
  return <td>{visibleText(typeof value === 'string' ? value : JSON.stringify(value))}</td>;
}

function ResultTable(props: { result: Result }): JSX.Element {
  const { rows, columns, ms } = props.result;
  const shown = rows.slice(0, SHOWN_ROWS);
  return (
    <div class="panel">
      <p class="muted" role="status">
        {rows.length} {rows.length === 1 ? 'row' : 'rows'} in {ms} ms
        {rows.length > shown.length ? ` (the first ${shown.length} shown)` : ''}
      </p>
      {rows.length > 0 && (
        <div class="query-table-wrap">
          <table class="query-table">
            <caption class="sr-only">Query result</caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c} scope="col">
                    {visibleText(c)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((row, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <Cell key={c} value={row[c]} />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function QueryView(): JSX.Element {
  const [sql, setSql] = useState(() => sessionStorage.getItem(SQL_KEY) ?? '');
  const [topics, setTopics] = useState<string[]>([]);
  const [result, setResult] = useState<Result | undefined>(undefined);
  const [error, setError] = useState('');
  const [isRunning, setRunning] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const isTouched = useRef(false);

  useEffect(() => {
    api
      .get<{ topics: Array<{ name: string; isDeadLetter: boolean }> }>('/api/status')
      .then((status) => {
        const names = status.topics.map((t) => t.name);
        setTopics(names);
        const first = status.topics.find((t) => !t.isDeadLetter)?.name;
        // Only into a box nobody has touched: a statement set while someone types lands around their text (the
        // caret is already in the box), which is how a query test once ran the example and its own statement as one.
        if (first !== undefined && !isTouched.current)
          setSql((s) => s || `SELECT key, value, ts FROM "${first}" ORDER BY ts DESC LIMIT 20`);
      })
      .catch(() => {
        // The statement can still be typed; a query's own error says what is wrong with the port.
      });
  }, []);

  useEffect(() => sessionStorage.setItem(SQL_KEY, sql), [sql]);

  const run = async () => {
    // The box's own text: a Ctrl+Enter pressed right after typing can reach a handler whose `sql` is from before
    // the last keystroke's render, which would run a stale statement, or none.
    const statement = box.current?.value ?? sql;
    if (statement.trim() === '' || isRunning) return;
    setRunning(true);
    setError('');
    const started = performance.now();
    try {
      const rows = await api.post<Row[]>('/query?format=json', { sql: statement });
      setResult({ rows, columns: columnsOf(rows), ms: Math.round(performance.now() - started) });
    } catch (err) {
      setResult(undefined);
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setRunning(false);
    }
  };

  return (
    <div class="query">
      <form
        class="panel query-form"
        aria-label="SQL query"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label for="query-sql">SQL over the stored topics</label>
        <textarea
          id="query-sql"
          ref={box}
          name="sql"
          rows={6}
          spellcheck={false}
          value={sql}
          aria-describedby="query-hint"
          onFocus={() => {
            isTouched.current = true;
          }}
          onInput={(e) => setSql(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void run();
            }
          }}
        />
        <div class="dlq-filter-buttons">
          <button type="submit" disabled={isRunning || sql.trim() === ''}>
            {isRunning ? 'Running…' : 'Run'}
          </button>
          <span id="query-hint" class="muted">
            Ctrl+Enter runs it. Topics are tables
            {topics.length > 0 ? `: ${topics.map((t) => `"${t}"`).join(', ')}` : ''}.
          </span>
        </div>
      </form>
      {error && (
        <div role="alert" class="panel query-error">
          <strong>The query failed.</strong>
          <pre class="event-value">{visibleText(error)}</pre>
        </div>
      )}
      {result && <ResultTable result={result} />}
    </div>
  );
}
