// The shell: a header with the navigation, the view the hash names, and the token form when the admin port asks
// for one. Views are plain links (`#/charts`), so the browser's own keyboard handling and history apply.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SessionReply } from '../console-types';
import { api, hasToken, onUnauthorized, setToken } from './api';
import { ChartsView } from './views/charts';
import { DeadLettersView } from './views/dead-letters';
import { PipelinesView } from './views/pipelines';
import { QueryView } from './views/query';
import { TapView } from './views/tap';
import { WorkersView } from './views/workers';

interface View {
  path: string;
  title: string;
  component: () => JSX.Element;
}

export const VIEWS: readonly View[] = [
  { path: 'pipelines', title: 'Pipelines', component: PipelinesView },
  { path: 'charts', title: 'Charts', component: ChartsView },
  { path: 'workers', title: 'Workers', component: WorkersView },
  { path: 'dead-letters', title: 'Dead letters', component: DeadLettersView },
  { path: 'tap', title: 'Tap', component: TapView },
  { path: 'query', title: 'Query', component: QueryView },
];

/** The view named by `#/name` (its path's first segment); the first view otherwise. */
function viewOf(hash: string): View {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return VIEWS.find((v) => v.path === name) ?? VIEWS[0];
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function TokenForm(props: { wasRefused: boolean; onDone: () => void }): JSX.Element {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = (e: Event) => {
    e.preventDefault();
    setToken(input.current?.value.trim() ?? '');
    props.onDone();
  };
  return (
    <form class="token-form" onSubmit={submit} aria-labelledby="token-title">
      <h2 id="token-title">Admin token</h2>
      <p>
        This admin port asks for its token (<code>--admin-token</code> or <code>SLUICE_ADMIN_TOKEN</code>). It is kept
        in this tab only.
      </p>
      <label>
        Token <input ref={input} type="password" name="token" autocomplete="off" required />
      </label>
      <button type="submit">Open the console</button>
    </form>
  );
}

export function App(): JSX.Element {
  const view = viewOf(useHash());
  // Undefined until the port said whether it wants a token: no view asks before, so none is refused.
  const [needsToken, setNeedsToken] = useState<boolean | undefined>(hasToken() ? false : undefined);
  // Remounts the view once a token is given, so it asks again with it.
  const [attempt, setAttempt] = useState(0);
  useEffect(() => onUnauthorized(() => setNeedsToken(true)), []);
  useEffect(() => {
    if (needsToken !== undefined) return;
    api
      .get<SessionReply>('/api/console/session')
      .then((s) => setNeedsToken(s.needsToken))
      .catch(() => setNeedsToken(false));
  }, [needsToken]);
  useEffect(() => {
    document.title = `${view.title} · Sluice console`;
  }, [view]);
  const Current = view.component;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Sluice</span>
        <nav aria-label="Views">
          <ul>
            {VIEWS.map((v) => (
              <li key={v.path}>
                <a href={`#/${v.path}`} aria-current={v === view ? 'page' : undefined}>
                  {v.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{view.title}</h1>
        {needsToken === undefined ? null : needsToken ? (
          <TokenForm
            wasRefused={hasToken()}
            onDone={() => {
              setNeedsToken(false);
              setAttempt((n) => n + 1);
            }}
          />
        ) : (
          <Current key={`${view.path}:${attempt}`} />
        )}
      </main>
    </>
  );
}
