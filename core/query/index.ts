// The query engine as a library: `import { query } from 'sluice/query'`.
export {
  DEFAULT_CLOCK_SKEW_MS,
  type QueryColumn,
  type QueryOptions,
  type QueryResult,
  type QueryRow,
  type QueryStats,
  query,
  type ValueDecoder,
} from './query-engine.js';
