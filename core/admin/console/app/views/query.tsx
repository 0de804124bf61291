import type { JSX } from 'preact';

export function QueryView(): JSX.Element {
  return <p class="placeholder">Query view: coming soon.</p>;
}
