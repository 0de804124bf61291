// DuckDB is a large native module: it is imported on the first query only, so that `run`, `worker` and every
// other command never pay for loading it.

export type DuckDB = typeof import('@duckdb/node-api');

let loading: Promise<DuckDB> | undefined;

export function loadDuckDB(): Promise<DuckDB> {
  loading ??= import('@duckdb/node-api').then((m) => ((m as { default?: DuckDB }).default ?? m) as DuckDB);
  return loading;
}
