import type { JSX } from 'preact';

export function ChartsView(): JSX.Element {
  return <p class="placeholder">Charts view: coming soon.</p>;
}
