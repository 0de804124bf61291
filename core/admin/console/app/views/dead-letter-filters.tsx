// The dead-letter view's filter form: the fields of GET /api/dead-letters, kept in the page's address
// (`#/dead-letters?pipeline=orders`) so that a filtered view can be linked to and survives a reload.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';

export interface Filters {
  topic: string;
  pipeline: string;
  sink: string;
  code: string;
  /** `dead`, `redriven`, `discarded` or `all`. */
  state: string;
  /** An ISO time or an age (`1h`), as the API takes them. */
  since: string;
  until: string;
}

export const NO_FILTERS: Filters = {
  topic: '',
  pipeline: '',
  sink: '',
  code: '',
  state: 'dead',
  since: '',
  until: '',
};

const FIELDS = Object.keys(NO_FILTERS) as Array<keyof Filters>;

/** The filters named in the address after `?`, the defaults for the others. */
export function filtersFromHash(hash: string): Filters {
  const at = hash.indexOf('?');
  const query = new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
  const filters = { ...NO_FILTERS };
  for (const field of FIELDS) filters[field] = query.get(field) ?? filters[field];
  return filters;
}

/** The filters as query parameters: only those set. */
export function filterQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  for (const field of FIELDS) if (filters[field] !== '') query.set(field, filters[field]);
  return query;
}

/** The fields that select dead letters in a redrive or discard body (their state is always `dead` there). */
export function selectionFields(filters: Filters): Record<string, string> {
  const { state: _state, ...fields } = filters;
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''));
}

export interface FilterChoices {
  topics: string[];
  pipelines: string[];
  sinks: string[];
  codes: string[];
}

const STATES = [
  ['dead', 'Dead (not yet handled)'],
  ['redriven', 'Redriven'],
  ['discarded', 'Discarded'],
  ['all', 'All'],
] as const;

function Choice(props: {
  label: string;
  name: keyof Filters;
  value: string;
  options: readonly string[];
  onInput: (value: string) => void;
}): JSX.Element {
  return (
    <label>
      {props.label}
      <select name={props.name} value={props.value} onChange={(e) => props.onInput(e.currentTarget.value)}>
        <option value="">any</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function Text(props: {
  label: string;
  name: keyof Filters;
  value: string;
  placeholder?: string;
  suggestions?: readonly string[];
  onInput: (value: string) => void;
}): JSX.Element {
  const list = props.suggestions ? `dlq-${props.name}-choices` : undefined;
  return (
    <label>
      {props.label}
      <input
        name={props.name}
        value={props.value}
        placeholder={props.placeholder}
        list={list}
        autocomplete="off"
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.suggestions && (
        <datalist id={list}>
          {props.suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
    </label>
  );
}

export function FilterForm(props: {
  applied: Filters;
  choices: FilterChoices;
  onApply: (filters: Filters) => void;
}): JSX.Element {
  const [draft, setDraft] = useState(props.applied);
  const set = (field: keyof Filters) => (value: string) => setDraft((d) => ({ ...d, [field]: value }));
  const { choices } = props;
  return (
    <form
      class="panel dlq-filters"
      aria-label="Filter dead letters"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply(draft);
      }}
    >
      <Choice label="Topic" name="topic" value={draft.topic} options={choices.topics} onInput={set('topic')} />
      <Choice
        label="Pipeline"
        name="pipeline"
        value={draft.pipeline}
        options={choices.pipelines}
        onInput={set('pipeline')}
      />
      <Text label="Sink" name="sink" value={draft.sink} suggestions={choices.sinks} onInput={set('sink')} />
      <Text
        label="Error code"
        name="code"
        value={draft.code}
        placeholder="E_…"
        suggestions={choices.codes}
        onInput={set('code')}
      />
      <label>
        State
        <select name="state" value={draft.state} onChange={(e) => set('state')(e.currentTarget.value)}>
          {STATES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <Text label="Since" name="since" value={draft.since} placeholder="1h or ISO time" onInput={set('since')} />
      <Text label="Until" name="until" value={draft.until} placeholder="ISO time or age" onInput={set('until')} />
      <div class="dlq-filter-buttons">
        <button type="submit">Apply filters</button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setDraft(NO_FILTERS);
            props.onApply(NO_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
